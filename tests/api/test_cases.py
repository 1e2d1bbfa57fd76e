"""Cases: exact decisions (a decision covers exactly the reports reviewed), aggregation off the request path from the
reports table's stream, trusted flaggers, decisions addressed to the affected account, and retention."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.reports import Priority, Report, Target
from tests.api.helpers import assert_problem, header, scan_all_tables, throttle
from tests.conftest import FIXED_NOW, Api, auth, body, drain_reports_stream, service_dynamodb, stream_deps

MODERATOR = ("mod-7", "moderator")
OTHER_MODERATOR = ("mod-8", "moderator")
STATEMENT = {
    "facts": "The comment urges a child to meet in person.",
    "ground": "Community Guidelines 1.1 (child safety)",
    "automated": False,
    "redress": "You can appeal within six months in the app, or go to a certified out-of-court body.",
}
TAKEN_DOWN = {
    "outcome": "action_taken",
    "action": "remove_content",
    "statement_of_reasons": STATEMENT,
    "affected_account_id": "owner-1",
}
NO_VIOLATION = {"outcome": "no_violation", "action": None, "statement_of_reasons": STATEMENT}


def report(api: Api, reporter: str, reason: str = "spam", target_id: str = "comment-1", *groups: str) -> str:
    payload = {"target": {"type": "comment", "id": target_id}, "reason": reason, "good_faith": True}
    response = api.call(
        "POST", "/v1/reports", payload, {**auth(reporter, *groups), "Idempotency-Key": uuid.uuid4().hex}
    )
    assert response.status_code == 201, response.body
    report_id: str = body(response)["report_id"]
    return report_id


def the_case(api: Api, target_id: str = "comment-1") -> dict[str, Any]:
    api.drain()
    page = body(api.call("GET", "/v1/moderation/queue?limit=100", headers=auth(*MODERATOR)))
    cases: list[dict[str, Any]] = [item for item in page["items"] if item["target"]["id"] == target_id]
    assert len(cases) == 1, page
    return cases[0]


def read_case(api: Api, case_id: str, *caller: str) -> Any:
    return api.call("GET", f"/v1/moderation/cases/{case_id}", headers=auth(*(caller or MODERATOR)))


def decide(api: Api, case_id: str, if_match: str | None, decision: dict[str, Any] = TAKEN_DOWN) -> Any:
    headers = auth(*MODERATOR) if if_match is None else {**auth(*MODERATOR), "If-Match": if_match}
    return api.call("POST", f"/v1/moderation/cases/{case_id}/decision", decision, headers)


def seen_by(api: Api, report_id: str, reporter: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth(reporter))
    assert response.status_code == 200, response.body
    seen: dict[str, Any] = body(response)
    return seen


# -- the scenario that opened the issue ----------------------------------------------------------------------------
def test_a_report_arriving_between_reading_and_deciding_refuses_the_decision_and_decides_nothing(api: Api) -> None:
    # Given a moderator who read a case holding one spam report
    report(api, "reporter-a", "spam")
    read = the_case(api)
    assert (read["report_count"], read["reasons"]) == (1, ["spam"])
    # And a child-safety report on the same comment that arrives before they decide
    child_safety = report(api, "reporter-b", "child_safety")
    api.drain()
    # When they send their decision with the revision they read
    response = decide(api, read["case_id"], read["etag"], NO_VIOLATION)
    # Then it is 412 case_changed, nothing is decided, and the child-safety report is still open
    assert_problem(response, 412, "case_changed")
    assert seen_by(api, child_safety, "reporter-b")["status"] == "in_review"
    assert read_case(api, read["case_id"]).headers["ETag"] != read["etag"]


def test_after_reading_again_the_decision_covers_both_reports(api: Api) -> None:
    # Given the case that gained a child-safety report after the moderator first read it
    first = report(api, "reporter-a", "spam")
    stale = the_case(api)
    second = report(api, "reporter-b", "child_safety")
    api.drain()
    assert decide(api, stale["case_id"], stale["etag"]).status_code == 412
    # When the moderator reads it again and decides at the new revision
    again = read_case(api, stale["case_id"])
    response = decide(api, stale["case_id"], header(again, "ETag"))
    api.drain()
    # Then the decision covers both reports, and both reporters read it
    assert response.status_code == 200, response.body
    assert body(response)["report_count"] == 2
    assert body(again)["reasons"] == ["child_safety", "spam"]
    assert body(again)["priority"] == "urgent"
    for report_id, reporter in ((first, "reporter-a"), (second, "reporter-b")):
        assert (seen_by(api, report_id, reporter)["status"], seen_by(api, report_id, reporter)["outcome"]) == (
            "decided",
            "action_taken",
        )


@pytest.mark.parametrize("if_match", [None, "*"], ids=["missing", "any"])
def test_a_decision_without_the_revision_it_saw_is_428_and_decides_nothing(api: Api, if_match: str | None) -> None:
    # Given an open case / When a moderator decides it without naming a revision
    report(api, "reporter-a")
    case = the_case(api)
    # Then it is 428 precondition_required and the case stays open
    assert_problem(decide(api, case["case_id"], if_match), 428, "precondition_required")
    assert body(read_case(api, case["case_id"]))["status"] == "open"


@pytest.mark.parametrize("if_match", ['W/"1"', '"01"', '"x"', "1", '"1", "2"', '"0", "1", "2", "3"'])
def test_an_if_match_that_cannot_name_a_revision_is_412(api: Api, if_match: str) -> None:
    # Given an open case at revision 1 / When the decision's If-Match is weak, padded, not a number or unquoted
    report(api, "reporter-a")
    case = the_case(api)
    # Then it is 412 and nothing is decided (strong comparison; exactly one revision, the one reviewed)
    assert decide(api, case["case_id"], if_match).status_code == 412
    assert body(read_case(api, case["case_id"]))["status"] == "open"


def test_a_decided_case_is_409_already_decided(api: Api) -> None:
    report(api, "reporter-a")
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"]).status_code == 200
    assert_problem(decide(api, case["case_id"], case["etag"], NO_VIOLATION), 409, "already_decided")


def test_a_restricting_decision_must_name_the_affected_account(api: Api) -> None:
    # Given an open case / When a moderator removes the content without naming whose it is
    report(api, "reporter-a")
    case = the_case(api)
    decision = {key: value for key, value in TAKEN_DOWN.items() if key != "affected_account_id"}
    # Then it is 422 (the statement of reasons must reach someone), and nothing is decided
    problem = assert_problem(decide(api, case["case_id"], case["etag"], decision), 422)
    assert [item["field"] for item in problem["errors"]] == ["affected_account_id"]
    assert body(read_case(api, case["case_id"]))["status"] == "open"


def test_reports_after_a_decision_open_a_new_case(api: Api) -> None:
    report(api, "reporter-a")
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"]).status_code == 200
    later = report(api, "reporter-b", "hate")
    new_case = the_case(api)
    assert new_case["case_id"] != case["case_id"]
    assert (new_case["report_count"], new_case["reasons"], new_case["revision"]) == (1, ["hate"], 1)
    assert seen_by(api, later, "reporter-b")["status"] == "in_review"


# -- the case, its log and who may read it -------------------------------------------------------------------------
def test_a_case_keeps_its_activity_log_by_role_only(api: Api) -> None:
    # Given two batches of reports and a decision
    report(api, "reporter-a")
    api.drain()
    report(api, "reporter-b")
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"]).status_code == 200
    # When an auditor reads the case
    response = read_case(api, case["case_id"], "auditor-1", "auditor")
    # Then the log lists the reports and the decision, by role, and names nobody
    assert response.status_code == 200
    events = body(response)["events"]
    assert [(event["kind"], event["role"]) for event in events] == [
        ("reported", "reporter"),
        ("reported", "reporter"),
        ("decided", "moderator"),
    ]
    assert not {"reporter-a", "reporter-b", "mod-7"} & set(str(body(response)).split("'"))


@pytest.mark.parametrize("caller", [("reporter-a",), ("owner-1",), ("signup-service", "signup-service")])
def test_only_moderators_and_auditors_read_a_case(api: Api, caller: tuple[str, ...]) -> None:
    report(api, "reporter-a")
    case = the_case(api)
    assert_problem(read_case(api, case["case_id"], *caller), 403, "forbidden")


def test_a_reporters_own_list_shows_a_report_the_moment_it_is_filed(api: Api) -> None:
    # Given a report just filed, before any aggregation ran / When the reporter lists their reports
    report_id = report(api, "reporter-a")
    listed = body(api.call("GET", "/v1/reports", headers=auth("reporter-a")))["reports"]
    # Then it is there, received
    assert [(item["report_id"], item["status"]) for item in listed] == [(report_id, "received")]


# -- trusted flaggers -----------------------------------------------------------------------------------------------
def test_a_trusted_flaggers_report_is_at_least_high_and_the_case_shows_the_source(api: Api) -> None:
    # Given an ordinary spam report and a trusted flagger's spam report on another comment
    report(api, "reporter-a", "spam", "comment-1")
    report(api, "flagger-org", "spam", "comment-2", "trusted-flagger")
    # When a moderator reads the queue
    ordinary, flagged = the_case(api, "comment-1"), the_case(api, "comment-2")
    # Then the flagged one is high, shows its source, and comes first
    assert (ordinary["priority"], ordinary["sources"]) == ("normal", ["user"])
    assert (flagged["priority"], flagged["sources"]) == ("high", ["trusted_flagger"])
    queue = body(api.call("GET", "/v1/moderation/queue", headers=auth(*MODERATOR)))["items"]
    assert [item["target"]["id"] for item in queue] == ["comment-2", "comment-1"]


def test_a_trusted_flaggers_child_safety_report_stays_urgent(api: Api) -> None:
    report(api, "flagger-org", "child_safety", "comment-1", "trusted-flagger")
    assert the_case(api)["priority"] == "urgent"


# -- the queue -----------------------------------------------------------------------------------------------------
def test_the_queue_pages_most_urgent_first_then_oldest_across_priorities(api: Api, clock: list[datetime]) -> None:
    # Given cases of every priority, filed in an order that is not the queue's
    filings = [("c-normal-old", "spam", ()), ("c-urgent", "self_harm", ()), ("c-high", "spam", ("trusted-flagger",))]
    filings += [("c-normal-new", "spam", ()), ("c-urgent-2", "child_safety", ())]
    for n, (target, reason, groups) in enumerate(filings):
        clock[0] = FIXED_NOW + timedelta(minutes=n)
        report(api, f"reporter-{n}", reason, target, *groups)
    api.drain()
    # When a moderator pages through two at a time
    seen: list[str] = []
    query = "?limit=2"
    for _ in range(10):
        page = body(api.call("GET", f"/v1/moderation/queue{query}", headers=auth(*MODERATOR)))
        seen += [item["target"]["id"] for item in page["items"]]
        if page["next"] is None:
            break
        query = f"?limit=2&next={page['next']}"
    # Then urgent comes first, then high, then normal, each oldest first, every case once
    assert seen == ["c-urgent", "c-urgent-2", "c-high", "c-normal-old", "c-normal-new"]


def test_the_queue_index_spreads_cases_over_one_partition_per_priority(api: Api) -> None:
    report(api, "reporter-a", "self_harm", "c-1")
    report(api, "reporter-b", "spam", "c-2")
    api.drain()
    partitions = {item["queue_pk"]["S"] for item in scan_all_tables() if "queue_pk" in item}
    assert partitions == {f"Q#{int(Priority.URGENT)}", f"Q#{int(Priority.NORMAL)}"}


# -- aggregation ---------------------------------------------------------------------------------------------------
def _recorded_stream(api: Api) -> list[dict[str, Any]]:
    """Every stream record so far, as Lambda would deliver them (none delivered to the consumer)."""
    records: list[dict[str, Any]] = []

    def keep(event: dict[str, Any]) -> dict[str, Any]:
        records.extend(event["Records"])
        return {"batchItemFailures": []}

    drain_reports_stream(api.deps, keep)
    return records


def test_duplicated_and_reordered_stream_records_give_the_same_case(api: Api) -> None:
    from chalicelib.workers.reports_stream import handle_reports_stream

    # Given five reports on one comment, and their stream records
    for n in range(5):
        report(api, f"reporter-{n}", ["spam", "hate"][n % 2])
    records = _recorded_stream(api)
    # When the consumer gets them reversed, then all again, then the first two once more
    deps = stream_deps(api.deps)
    for batch in (list(reversed(records)), records, records[:2]):
        assert handle_reports_stream({"Records": batch}, deps) == {"batchItemFailures": []}
    # Then there is one case with the five reports, at the revision of the one batch that added them
    case = the_case(api)
    assert (case["report_count"], case["reasons"], case["revision"]) == (5, ["hate", "spam"], 1)
    events = body(read_case(api, case["case_id"]))["events"]
    assert [event["kind"] for event in events] == ["reported"]


def test_a_late_record_of_a_decided_report_changes_nothing(api: Api) -> None:
    from chalicelib.workers.reports_stream import handle_reports_stream

    # Given a decided case, and its report's stream record delivered again a day later
    report(api, "reporter-a")
    records = _recorded_stream(api)
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"]).status_code == 200
    api.drain()
    # When the old record comes again
    handle_reports_stream({"Records": records}, stream_deps(api.deps))
    api.drain()
    # Then no new case is opened
    queue = body(api.call("GET", "/v1/moderation/queue", headers=auth(*MODERATOR)))["items"]
    assert queue == []


def _stored_directly(api: Api, reports: list[Report]) -> None:
    """Reports as filing stores them, written in batches (moto copies every table on each transaction, which 1,000
    filings would make slow): the aggregator reads only the reports' stream records."""
    from chalicelib.store.reports_store import _report_item

    client = service_dynamodb()
    table = api.deps.reporting.reports._table
    for start in range(0, len(reports), 25):
        requests = [{"PutRequest": {"Item": _report_item(r)}} for r in reports[start : start + 25]]
        assert not client.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems")


def test_a_thousand_reports_from_two_hundred_reporters_make_one_case_with_the_exact_count(
    api: Api, clock: list[datetime]
) -> None:
    # Given 1,000 reports on one comment from 200 reporters, over ten minutes
    target = Target("comment", "viral")
    at = [FIXED_NOW + timedelta(seconds=0.6 * n) for n in range(1000)]
    reports = [
        Report(
            str(uuid.UUID(int=n, version=4)),
            f"reporter-{n % 200}",
            target,
            None,
            "spam",
            None,
            (),
            at[n],
            Priority.NORMAL,
            frozenset(),
        )
        for n in range(1000)
    ]
    _stored_directly(api, reports)
    # When the stream has been consumed
    api.drain()
    # Then there is one case counting exactly 1,000, written once per batch of 100 (not once per report)
    case = the_case(api, "viral")
    assert case["report_count"] == 1000
    assert case["revision"] == 10
    assert body(decide(api, case["case_id"], case["etag"], NO_VIOLATION))["report_count"] == 1000


@pytest.mark.parametrize(
    "operation", ["TransactWriteItems", "BatchGetItem"], ids=["writes throttled", "reads throttled"]
)
def test_throttling_in_the_aggregator_loses_nothing_and_counts_nothing_twice(api: Api, operation: str) -> None:
    # Given twelve reports filed, and the aggregator's storage throttled on its first delivery
    for n in range(12):
        report(api, f"reporter-{n}")
    undo = throttle(operation)
    try:
        api.drain_once_failing()
    finally:
        undo()
    # When the records are delivered again (as Lambda retries) / Then the case holds each report exactly once
    case = the_case(api)
    assert (case["report_count"], case["revision"]) == (12, 1)


def test_throttling_in_the_close_out_loses_nothing_and_counts_nothing_twice(api: Api) -> None:
    # Given a case of three spam reports, decided no_violation while the close-out's writes are throttled
    ids = [(report(api, f"reporter-{n}"), f"reporter-{n}") for n in range(3)]
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"], NO_VIOLATION).status_code == 200
    undo = throttle("BatchWriteItem")
    try:
        api.drain_once_failing()
        # Then meanwhile every report already reads as decided, through its case
        assert {seen_by(api, rid, who)["status"] for rid, who in ids} == {"decided"}
    finally:
        undo()
    # And once the close-out is delivered again, each report is marked once and each reporter counted once
    api.drain()
    api.drain()
    stored = [item for item in scan_all_tables() if item["sk"]["S"] == "REPORT"]
    assert {item["status"]["S"] for item in stored} == {"decided"}
    unfounded = [item for item in scan_all_tables() if item["sk"]["S"] == "UNFOUNDED"]
    assert len(unfounded) == 3
    assert all(len([name for name in item if name.startswith("u_")]) == 1 for item in unfounded)


# -- retention -----------------------------------------------------------------------------------------------------
def test_nothing_undecided_expires(api: Api) -> None:
    report(api, "reporter-a")
    api.drain()
    undecided = [
        item
        for item in scan_all_tables()
        if item["sk"]["S"].startswith(("REPORT", "FILED#", "CASE", "SEEN#", "EVENT#"))
    ]
    assert undecided
    assert [item for item in undecided if "expires_at" in item] == []


def test_a_decided_case_and_its_reports_expire_with_the_retention(api: Api) -> None:
    report(api, "reporter-a")
    case = the_case(api)
    assert decide(api, case["case_id"], case["etag"]).status_code == 200
    api.drain()
    expiry = str(int((FIXED_NOW + timedelta(days=400)).timestamp()))
    kept = [item for item in scan_all_tables() if item["sk"]["S"].startswith(("REPORT", "FILED#", "CASE", "SEEN#"))]
    assert {item["sk"]["S"].split("#")[0] for item in kept} == {"REPORT", "FILED", "CASE", "SEEN"}
    assert {item["expires_at"]["N"] for item in kept} == {expiry}


# -- decisions addressed to the affected account -------------------------------------------------------------------
def _decided(api: Api, decision: dict[str, Any] = TAKEN_DOWN) -> str:
    report(api, "reporter-a", "child_safety")
    case = the_case(api)
    response = decide(api, case["case_id"], case["etag"], decision)
    assert response.status_code == 200, response.body
    decision_id: str = body(response)["decision_id"]
    return decision_id


def test_the_affected_account_holder_reads_the_decision_without_anyone_named(api: Api) -> None:
    decision_id = _decided(api)
    response = api.call("GET", f"/v1/decisions/{decision_id}", headers=auth("owner-1"))
    assert response.status_code == 200
    seen = body(response)
    assert (seen["outcome"], seen["action"]) == ("action_taken", "remove_content")
    assert seen["statement_of_reasons"]["redress"] == STATEMENT["redress"]
    assert seen["appeal_until"] == "2027-05-28T12:00:00Z"
    assert "reporter-a" not in str(seen) and "mod-7" not in str(seen)


@pytest.mark.parametrize("caller", [("reporter-a",), ("someone-else",), ("signup-service", "signup-service")])
def test_anyone_else_gets_404_for_a_decision(api: Api, caller: tuple[str, ...]) -> None:
    decision_id = _decided(api)
    assert_problem(api.call("GET", f"/v1/decisions/{decision_id}", headers=auth(*caller)), 404, "not_found")


def test_a_missing_decision_is_the_same_404(api: Api) -> None:
    response = api.call("GET", f"/v1/decisions/{uuid.uuid4()}", headers=auth("owner-1"))
    assert_problem(response, 404, "not_found")


def test_the_holder_lists_the_decisions_addressed_to_them_and_nobody_else_can(api: Api) -> None:
    decision_id = _decided(api)
    listed = api.call("GET", "/v1/accounts/owner-1/decisions", headers=auth("owner-1"))
    assert [item["decision_id"] for item in body(listed)["decisions"]] == [decision_id]
    assert_problem(api.call("GET", "/v1/accounts/owner-1/decisions", headers=auth("reporter-a")), 404)


def test_moderators_and_auditors_read_any_decision(api: Api) -> None:
    decision_id = _decided(api)
    for caller in (MODERATOR, ("auditor-1", "auditor")):
        seen = body(api.call("GET", f"/v1/decisions/{decision_id}", headers=auth(*caller)))
        assert seen["report_count"] == 1
        assert "mod-7" not in str(seen)
