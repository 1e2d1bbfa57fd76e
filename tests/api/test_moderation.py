"""The moderation side of abuse reports, through chalice's test client on moto: the prioritised queue (one item per
target), decisions with a statement of reasons that reach every reporter, muting reporters, flags, and who may call
the moderator routes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import (
    BORN_13_15,
    BORN_16_17,
    BORN_ADULT,
    assert_problem,
    header,
    scan_all_tables,
    sign_up,
    throttle,
)
from tests.conftest import FIXED_NOW, Api, auth, body

MODERATOR = ("mod-7", "moderator")
ADULT_REPORTER = "adult-reporter"
STATEMENT = {
    "facts": "The comment calls the account holder names in three replies.",
    "ground": "Community Guidelines 4.2 (bullying)",
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


def report_body(
    target_id: str = "comment-1",
    reason: str = "spam",
    target_type: str = "comment",
    account_id: str | None = None,
) -> dict[str, Any]:
    target: dict[str, Any] = {"type": target_type, "id": target_id}
    if account_id is not None:
        target["account_id"] = account_id
    return {"target": target, "reason": reason, "good_faith": True}


def filed(api: Api, reporter: str, payload: dict[str, Any]) -> str:
    """Files a report that must be accepted; returns its id."""
    headers = {**auth(reporter), "Idempotency-Key": uuid.uuid4().hex}
    response = api.call("POST", "/v1/reports", payload, headers)
    assert response.status_code == 201, response.body
    report_id: str = body(response)["report_id"]
    return report_id


def queue(api: Api, query: str = "") -> dict[str, Any]:
    api.drain()
    response = api.call("GET", f"/v1/moderation/queue{query}", headers=auth(*MODERATOR))
    assert response.status_code == 200, response.body
    page: dict[str, Any] = body(response)
    return page


def queue_item(api: Api, target_id: str, target_type: str = "comment") -> dict[str, Any]:
    """The one queue item for a target (the queue must hold exactly one)."""
    items: list[dict[str, Any]] = [
        item
        for item in queue(api, "?limit=100")["items"]
        if (item["target"]["type"], item["target"]["id"]) == (target_type, target_id)
    ]
    assert len(items) == 1, items
    return items[0]


def priority_of(api: Api, target_id: str, target_type: str = "comment") -> str:
    priority: str = queue_item(api, target_id, target_type)["priority"]
    return priority


def decide(api: Api, decision: dict[str, Any], target_id: str = "comment-1", target_type: str = "comment") -> Any:
    """Decides the target's open case at the revision the queue shows, then lets the close-out run."""
    item = queue_item(api, target_id, target_type)
    return decide_case(api, item["case_id"], item["etag"], decision)


def decide_case(api: Api, case_id: str, etag: str | None, decision: dict[str, Any]) -> Any:
    headers = auth(*MODERATOR) if etag is None else {**auth(*MODERATOR), "If-Match": etag}
    response = api.call("POST", f"/v1/moderation/cases/{case_id}/decision", decision, headers)
    api.drain()
    return response


def mute(api: Api, reporter: str, hours: Any = 24, reason: str = "mass false reports") -> Any:
    path = f"/v1/moderation/reporters/{reporter}/mute"
    return api.call("POST", path, {"hours": hours, "reason": reason}, auth(*MODERATOR))


def read_report(api: Api, report_id: str, reader: str, *groups: str) -> dict[str, Any]:
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth(reader, *groups))
    assert response.status_code == 200, response.body
    report: dict[str, Any] = body(response)
    return report


# -- priority ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["child_safety", "self_harm"])
def test_child_safety_and_self_harm_reports_are_urgent(api: Api, reason: str) -> None:
    # Given an adult reporter / When they report a comment for a possible child in danger or self-harm
    filed(api, ADULT_REPORTER, report_body("comment-1", reason))
    # Then the target is urgent in the queue
    assert priority_of(api, "comment-1") == "urgent"


@pytest.mark.parametrize("owner_born", [BORN_13_15, BORN_16_17], ids=["13-15", "16-17"])
def test_content_claimed_to_belong_to_a_minor_is_high(api: Api, owner_born: str) -> None:
    # Given an account under 18
    sign_up(api, "young-owner", owner_born)
    # When an adult reports spam on a comment they say that account posted
    filed(api, ADULT_REPORTER, report_body("comment-1", "spam", account_id="young-owner"))
    # Then the target is high, with the minor owner shown as a claim
    item = queue_item(api, "comment-1")
    assert item["priority"] == "high"
    assert item["target"]["claimed_account_ids"] == ["young-owner"]
    assert "claimed_minor_owner" in item["flags"]


def test_a_reported_minors_account_is_high(api: Api) -> None:
    # Given a 14-year-old's account
    sign_up(api, "young-owner", BORN_13_15)
    # When an adult reports the account itself for impersonation
    filed(api, ADULT_REPORTER, report_body("young-owner", "impersonation", target_type="account"))
    # Then the account is high in the queue
    assert priority_of(api, "young-owner", "account") == "high"


def test_a_claimed_adult_owner_does_not_lower_a_reported_minors_account(api: Api) -> None:
    # Given a 14-year-old's account and an adult's
    sign_up(api, "young-owner", BORN_13_15)
    sign_up(api, "adult-owner", BORN_ADULT)
    # When someone reports the child's account itself, but claims in `account_id` that the adult owns it
    filed(api, ADULT_REPORTER, report_body("young-owner", "impersonation", "account", account_id="adult-owner"))
    # Then the reported account is still high: a claim may raise a priority, never lower one
    assert priority_of(api, "young-owner", "account") == "high"


@pytest.mark.parametrize("reason", ["bullying", "harassment"])
@pytest.mark.parametrize("reporter_born", [BORN_13_15, BORN_16_17], ids=["13-15", "16-17"])
def test_bullying_or_harassment_reported_by_a_minor_is_high(api: Api, reason: str, reporter_born: str) -> None:
    # Given a reporter under 18, and an adult account holder
    sign_up(api, "young-reporter", reporter_born)
    sign_up(api, "adult-owner", BORN_ADULT)
    # When the young reporter reports the adult's comment for bullying or harassment
    filed(api, "young-reporter", report_body("comment-1", reason, account_id="adult-owner"))
    # Then the target is high
    assert priority_of(api, "comment-1") == "high"


@pytest.mark.parametrize("reason", ["bullying", "harassment"])
def test_bullying_or_harassment_reported_by_an_adult_about_an_adult_is_normal(api: Api, reason: str) -> None:
    # Given an adult reporter and an adult account holder
    sign_up(api, ADULT_REPORTER, BORN_ADULT)
    sign_up(api, "adult-owner", BORN_ADULT)
    # When the adult reports the other adult's comment for bullying or harassment
    filed(api, ADULT_REPORTER, report_body("comment-1", reason, account_id="adult-owner"))
    # Then the target is normal
    assert priority_of(api, "comment-1") == "normal"


def test_a_minors_spam_report_about_an_adult_is_normal(api: Api) -> None:
    # Given a reporter under 18 and an adult account holder
    sign_up(api, "young-reporter", BORN_13_15)
    sign_up(api, "adult-owner", BORN_ADULT)
    # When the young reporter reports the adult's comment as spam
    filed(api, "young-reporter", report_body("comment-1", "spam", account_id="adult-owner"))
    # Then the target is normal: only bullying and harassment are raised for a young reporter
    assert priority_of(api, "comment-1") == "normal"


def test_spam_about_an_unknown_account_is_normal(api: Api) -> None:
    # Given an account id nobody has signed up / When someone reports it as spam
    filed(api, ADULT_REPORTER, report_body("nobody-here", "spam", target_type="account"))
    # Then the account is normal in the queue
    assert priority_of(api, "nobody-here", "account") == "normal"


def test_a_muted_reporters_spam_report_is_low_and_marked(api: Api) -> None:
    # Given a reporter a moderator has muted
    assert mute(api, "noisy-reporter").status_code == 200
    # When they report a comment as spam
    filed(api, "noisy-reporter", report_body("comment-1", "spam"))
    # Then the target is low, marked as from a muted reporter
    item = queue_item(api, "comment-1")
    assert item["priority"] == "low"
    assert "muted_reporter" in item["flags"]


@pytest.mark.parametrize("reason", ["child_safety", "self_harm"])
def test_a_muted_reporters_child_safety_or_self_harm_report_stays_urgent(api: Api, reason: str) -> None:
    # Given a reporter a moderator has muted
    assert mute(api, "noisy-reporter").status_code == 200
    # When they report a comment for a possible child in danger or self-harm
    filed(api, "noisy-reporter", report_body("comment-1", reason))
    # Then the target is still urgent
    assert priority_of(api, "comment-1") == "urgent"


def test_a_targets_priority_rises_to_its_most_urgent_open_report(api: Api, clock: list[datetime]) -> None:
    # Given a comment reported as spam (normal)
    filed(api, "reporter-a", report_body("comment-1", "spam"))
    assert priority_of(api, "comment-1") == "normal"
    # When someone else reports it for child safety
    clock[0] = FIXED_NOW + timedelta(minutes=5)
    filed(api, "reporter-b", report_body("comment-1", "child_safety"))
    # Then the one item for the comment is urgent, with both reports and reasons
    item = queue_item(api, "comment-1")
    assert item["priority"] == "urgent"
    assert item["report_count"] == 2
    assert item["reasons"] == ["child_safety", "spam"]


def test_a_less_urgent_report_does_not_lower_a_targets_priority(api: Api, clock: list[datetime]) -> None:
    # Given a comment reported for self-harm (urgent)
    filed(api, "reporter-a", report_body("comment-1", "self_harm"))
    # When someone else reports it as spam, and a muted reporter reports it too
    clock[0] = FIXED_NOW + timedelta(minutes=5)
    filed(api, "reporter-b", report_body("comment-1", "spam"))
    assert mute(api, "noisy-reporter").status_code == 200
    filed(api, "noisy-reporter", report_body("comment-1", "spam"))
    # Then the comment stays urgent
    assert priority_of(api, "comment-1") == "urgent"


def test_a_later_claim_of_an_adult_owner_does_not_lower_a_claimed_childs_content(api: Api) -> None:
    # Given a comment reported as belonging to a 14-year-old
    sign_up(api, "young-owner", BORN_13_15)
    sign_up(api, "adult-owner", BORN_ADULT)
    filed(api, "reporter-a", report_body("comment-1", "spam", account_id="young-owner"))
    # When another reporter claims an adult posted it
    filed(api, "reporter-b", report_body("comment-1", "spam", account_id="adult-owner"))
    # Then the reports form one item, still high, showing both claims
    item = queue_item(api, "comment-1")
    assert item["priority"] == "high"
    assert item["report_count"] == 2
    assert item["target"]["claimed_account_ids"] == ["adult-owner", "young-owner"]


def test_the_queue_is_ordered_by_priority_then_oldest_first(api: Api, clock: list[datetime]) -> None:
    # Given targets reported a minute apart, with mixed priorities
    sign_up(api, "young-owner", BORN_13_15)
    reports = [
        ("spam-old", "spam", None),
        ("urgent-old", "child_safety", None),
        ("spam-new", "spam", None),
        ("high", "spam", "young-owner"),
        ("urgent-new", "self_harm", None),
    ]
    for minute, (target_id, reason, owner) in enumerate(reports):
        clock[0] = FIXED_NOW + timedelta(minutes=minute)
        filed(api, f"reporter-{minute}", report_body(target_id, reason, account_id=owner))
    # When a moderator reads the queue
    items = queue(api)["items"]
    # Then urgent comes first, then high, then normal; within a priority the oldest first
    assert [item["target"]["id"] for item in items] == ["urgent-old", "urgent-new", "high", "spam-old", "spam-new"]
    assert [item["priority"] for item in items] == ["urgent", "urgent", "high", "normal", "normal"]


def test_a_target_raised_to_urgent_keeps_its_place_by_its_first_report(api: Api, clock: list[datetime]) -> None:
    # Given an urgent target reported at 12:05, and a spam target first reported at 12:00
    clock[0] = FIXED_NOW + timedelta(minutes=5)
    filed(api, "reporter-a", report_body("urgent-later", "child_safety"))
    clock[0] = FIXED_NOW
    filed(api, "reporter-b", report_body("raised", "spam"))
    # When the spam target is reported for self-harm at 12:10
    clock[0] = FIXED_NOW + timedelta(minutes=10)
    filed(api, "reporter-c", report_body("raised", "self_harm"))
    # Then it is urgent and, first reported earlier, comes first
    assert [item["target"]["id"] for item in queue(api)["items"]] == ["raised", "urgent-later"]


def test_paging_through_the_queue_returns_each_item_once(api: Api, clock: list[datetime]) -> None:
    # Given seven reported targets of mixed priority
    reasons = ["spam", "child_safety", "hate", "self_harm", "spam", "other", "child_safety"]
    for minute, reason in enumerate(reasons):
        clock[0] = FIXED_NOW + timedelta(minutes=minute)
        filed(api, f"reporter-{minute}", report_body(f"comment-{minute}", reason))
    # When a moderator pages through the queue three at a time
    seen: list[str] = []
    pages = 0
    query = "?limit=3"
    for _ in range(10):
        page = queue(api, query)
        pages += 1
        assert len(page["items"]) <= 3
        seen += [item["target"]["id"] for item in page["items"]]
        if page["next"] is None:
            break
        query = f"?limit=3&next={page['next']}"
    # Then every target appears exactly once, in the order of one full read
    assert sorted(seen) == sorted(f"comment-{n}" for n in range(7))
    assert seen == [item["target"]["id"] for item in queue(api)["items"]]
    assert pages >= 3


@pytest.mark.parametrize(
    ("query", "status"), [("?limit=0", 422), ("?limit=101", 422), ("?limit=ten", 422), ("?next=not-a-cursor", 400)]
)
def test_a_bad_queue_page_request_is_refused(api: Api, query: str, status: int) -> None:
    # Given a moderator / When they ask for a queue page with a bad limit (422) or cursor (400) / Then problem+json
    response = api.call("GET", f"/v1/moderation/queue{query}", headers=auth(*MODERATOR))
    assert_problem(response, status)


# -- many reports, one item --------------------------------------------------------------------------------------------
FIFTY_REASONS = ["spam", "hate", "other", "impersonation", "violence"]


def fifty_reports(api: Api, clock: list[datetime]) -> list[tuple[str, str]]:
    """Fifty different reporters report one comment, a minute apart; returns (reporter, report id) pairs."""
    reports = []
    for n in range(50):
        clock[0] = FIXED_NOW + timedelta(minutes=n)
        reporter = f"mob-{n}"
        reports.append((reporter, filed(api, reporter, report_body("viral-1", FIFTY_REASONS[n % 5]))))
    return reports


def test_fifty_reports_about_one_target_are_one_queue_item(api: Api, clock: list[datetime]) -> None:
    # Given fifty different reporters reporting the same comment
    fifty_reports(api, clock)
    # When a moderator reads the queue
    items = queue(api)["items"]
    # Then there is one item, counting 50 reports with every reason, from the first to the last report's time
    assert len(items) == 1
    item = items[0]
    assert item["target"]["id"] == "viral-1"
    assert item["report_count"] == 50
    assert item["reasons"] == sorted(FIFTY_REASONS)
    assert item["first_reported_at"] == "2026-11-25T12:00:00Z"
    assert item["last_reported_at"] == "2026-11-25T12:49:00Z"


def test_fifty_reports_do_not_raise_a_targets_priority(api: Api, clock: list[datetime]) -> None:
    # Given fifty adults' reports about one comment, none urgent
    fifty_reports(api, clock)
    # When a moderator reads the queue / Then the comment is still normal: numbers raise nothing
    assert priority_of(api, "viral-1") == "normal"


def test_fifty_reports_about_one_target_trigger_no_automated_action(api: Api, clock: list[datetime]) -> None:
    # Given fifty different reporters reporting the same comment
    reports = fifty_reports(api, clock)
    # When each reporter reads their report
    views = [read_report(api, report_id, reporter) for reporter, report_id in reports]
    # Then nothing has been decided: every report is still received, and the target still awaits a moderator
    assert {(view["status"], view["outcome"], view["action"]) for view in views} == {("received", None, None)}
    assert queue_item(api, "viral-1")["report_count"] == 50


# -- decisions ---------------------------------------------------------------------------------------------------------
def three_reports(api: Api) -> list[tuple[str, str]]:
    """Three reporters report comment-1 for different reasons; returns (reporter, report id) pairs."""
    reasons = {"reporter-a": "bullying", "reporter-b": "harassment", "reporter-c": "hate"}
    return [(reporter, filed(api, reporter, report_body("comment-1", reason))) for reporter, reason in reasons.items()]


def test_a_decision_answers_with_the_decision_on_every_open_report(api: Api, clock: list[datetime]) -> None:
    # Given three reports about one comment
    three_reports(api)
    # When a moderator decides it an hour later
    clock[0] = FIXED_NOW + timedelta(hours=1)
    response = decide(api, TAKEN_DOWN)
    # Then the answer is the decision covering the three reports
    assert response.status_code == 200, response.body
    decision = body(response)
    assert decision["target"] == {"type": "comment", "id": "comment-1"}
    assert (decision["outcome"], decision["action"], decision["report_count"]) == ("action_taken", "remove_content", 3)
    assert decision["statement_of_reasons"] == STATEMENT
    assert decision["decided_at"] == "2026-11-25T13:00:00Z"


def test_a_decision_reaches_every_reporter(api: Api, clock: list[datetime]) -> None:
    # Given three reports about one comment, decided an hour later
    reports = three_reports(api)
    clock[0] = FIXED_NOW + timedelta(hours=1)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # When each reporter reads their report
    views = [read_report(api, report_id, reporter) for reporter, report_id in reports]
    # Then each sees it decided, with the outcome, the action and the statement of reasons
    for view in views:
        assert view["status"] == "decided"
        assert view["outcome"] == "action_taken"
        assert view["action"] == "remove_content"
        assert view["statement_of_reasons"] == STATEMENT
        assert view["decided_at"] == "2026-11-25T13:00:00Z"


def test_a_decision_shows_in_each_reporters_list(api: Api) -> None:
    # Given three reports about one comment, decided
    reports = three_reports(api)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # When each reporter lists their reports / Then the report there is decided too
    for reporter, report_id in reports:
        listed = body(api.call("GET", "/v1/reports", headers=auth(reporter)))["reports"]
        assert [(r["report_id"], r["status"], r["outcome"]) for r in listed] == [(report_id, "decided", "action_taken")]


def test_the_reporters_view_of_a_decision_never_names_the_moderator(api: Api) -> None:
    # Given a report decided by moderator mod-7
    reports = three_reports(api)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # When the reporter reads their report
    reporter, report_id = reports[0]
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth(reporter))
    # Then nothing in it names the moderator
    assert response.status_code == 200
    assert b"mod-7" not in response.body
    assert "moderator" not in response.body.decode()


def test_a_decision_on_fifty_reports_reaches_all_fifty_reporters(api: Api, clock: list[datetime]) -> None:
    # Given fifty different reporters' reports about one comment
    reports = fifty_reports(api, clock)
    # When a moderator decides it
    response = decide(api, TAKEN_DOWN, "viral-1")
    # Then the decision covers the fifty, and every reporter sees it decided
    assert body(response)["report_count"] == 50
    views = [read_report(api, report_id, reporter) for reporter, report_id in reports]
    assert {(view["status"], view["outcome"], view["action"]) for view in views} == {
        ("decided", "action_taken", "remove_content")
    }


def test_reporters_see_the_decision_even_before_their_reports_are_updated(api: Api) -> None:
    # Given three reports about one comment, and storage refusing the batch writes that mark reports decided
    reports = three_reports(api)
    item = queue_item(api, "comment-1")
    undo = throttle("BatchWriteItem")
    try:
        # When a moderator decides the comment, and the close-out is delivered once and fails
        path = f"/v1/moderation/cases/{item['case_id']}/decision"
        response = api.call("POST", path, TAKEN_DOWN, {**auth(*MODERATOR), "If-Match": item["etag"]})
        api.drain_once_failing()
    finally:
        undo()
    # Then the decision stands, and though the stored reports still say received, each reporter sees it decided
    assert response.status_code == 200, response.body
    assert {item["status"]["S"] for item in _stored("REPORT")} == {"received"}
    views = [read_report(api, report_id, reporter) for reporter, report_id in reports]
    assert {(view["status"], view["outcome"]) for view in views} == {("decided", "action_taken")}


def _stored(kind_prefix: str) -> list[dict[str, Any]]:
    return [item for item in scan_all_tables() if item.get("sk", {}).get("S", "").startswith(kind_prefix)]


def test_decided_reports_are_kept_for_400_days_after_the_decision(api: Api, clock: list[datetime]) -> None:
    # Given three reports about one comment
    three_reports(api)
    # When a moderator decides it an hour later
    clock[0] = FIXED_NOW + timedelta(hours=1)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # Then each stored report expires (DynamoDB TTL) 400 days after the decision
    expiry = int((FIXED_NOW + timedelta(hours=1, days=400)).timestamp())
    reports = _stored("REPORT")
    assert len(reports) == 3
    assert [int(item["expires_at"]["N"]) for item in reports] == [expiry] * 3


def test_undecided_reports_have_no_expiry(api: Api) -> None:
    # Given reports nobody has decided yet / When stored / Then none of them is set to expire
    three_reports(api)
    assert [item for item in _stored("REPORT") if "expires_at" in item] == []


def test_a_decision_is_recorded_with_the_moderator_time_and_reasons_for_the_retention(api: Api) -> None:
    # Given three reports about one comment / When moderator mod-7 decides it
    three_reports(api)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # Then one decision record is stored, naming the moderator, the time and the statement, kept as the reports are
    decisions = _stored("DECISION")
    assert len(decisions) == 1
    record = decisions[0]
    assert record["moderator_id"] == {"S": "mod-7"}
    assert record["decided_at"] == {"S": FIXED_NOW.isoformat()}
    assert record["statement"]["M"]["ground"] == {"S": STATEMENT["ground"]}
    assert record["expires_at"] == {"N": str(int((FIXED_NOW + timedelta(days=400)).timestamp()))}


def test_a_decided_target_leaves_the_queue(api: Api) -> None:
    # Given two reported comments, one of them decided
    three_reports(api)
    filed(api, "reporter-d", report_body("comment-2", "spam"))
    assert decide(api, TAKEN_DOWN, "comment-1").status_code == 200
    # When a moderator reads the queue / Then only the undecided comment is left
    assert [item["target"]["id"] for item in queue(api)["items"]] == ["comment-2"]


def test_a_second_decision_on_the_same_case_is_a_conflict(api: Api) -> None:
    # Given a case that was decided
    three_reports(api)
    item = queue_item(api, "comment-1")
    assert decide_case(api, item["case_id"], item["etag"], TAKEN_DOWN).status_code == 200
    # When a moderator decides it again / Then it is 409 already_decided
    assert_problem(decide_case(api, item["case_id"], item["etag"], NO_VIOLATION), 409, "already_decided")


def test_a_second_decision_does_not_change_what_reporters_see(api: Api) -> None:
    # Given a comment taken down, and a second (refused) decision of no violation
    reporter, report_id = three_reports(api)[0]
    item = queue_item(api, "comment-1")
    assert decide_case(api, item["case_id"], item["etag"], TAKEN_DOWN).status_code == 200
    decide_case(api, item["case_id"], item["etag"], NO_VIOLATION)
    # When the reporter reads their report / Then they still see the first decision
    assert read_report(api, report_id, reporter)["outcome"] == "action_taken"


@pytest.mark.parametrize("case_id", ["0f8fad5b-d9cb-469f-a165-70867728950e", "not-a-case-id", "..%2F"])
def test_deciding_a_case_that_does_not_exist_is_404(api: Api, case_id: str) -> None:
    # Given a case id nobody was given / When a moderator decides it / Then it is 404 not_found
    assert_problem(decide_case(api, case_id, '"1"', TAKEN_DOWN), 404, "not_found")


def test_a_new_report_after_a_decision_opens_a_new_queue_item(api: Api, clock: list[datetime]) -> None:
    # Given a comment whose three reports were decided
    three_reports(api)
    assert decide(api, TAKEN_DOWN).status_code == 200
    # When someone new reports it an hour later
    clock[0] = FIXED_NOW + timedelta(hours=1)
    new_id = filed(api, "reporter-z", report_body("comment-1", "spam"))
    # Then the queue has a new item for it counting only the new report, which is not decided
    item = queue_item(api, "comment-1")
    assert item["report_count"] == 1
    assert item["reasons"] == ["spam"]
    assert item["first_reported_at"] == "2026-11-25T13:00:00Z"
    assert read_report(api, new_id, "reporter-z")["status"] == "in_review"


INVALID_DECISIONS = {
    "an action with no_violation": {**NO_VIOLATION, "action": "warn"},
    "action_taken with a null action": {**TAKEN_DOWN, "action": None},
    "an unknown outcome": {**TAKEN_DOWN, "outcome": "banned"},
    "an unknown action": {**TAKEN_DOWN, "action": "delete_account"},
    "no statement of reasons": {"outcome": "action_taken", "action": "warn"},
    "a statement without its ground": {
        **TAKEN_DOWN,
        "statement_of_reasons": {k: v for k, v in STATEMENT.items() if k != "ground"},
    },
    "an empty ground": {**TAKEN_DOWN, "statement_of_reasons": {**STATEMENT, "ground": ""}},
    "an unknown field": {**TAKEN_DOWN, "moderator": "someone-else"},
}


@pytest.mark.parametrize("decision", INVALID_DECISIONS.values(), ids=INVALID_DECISIONS.keys())
def test_a_malformed_decision_is_refused_and_decides_nothing(api: Api, decision: dict[str, Any]) -> None:
    # Given a reported comment
    reporter, report_id = three_reports(api)[0]
    # When a moderator sends a malformed decision
    response = decide(api, decision)
    # Then it is 422 problem+json, and the comment is still open
    assert_problem(response, 422)
    assert read_report(api, report_id, reporter)["status"] == "in_review"
    assert queue_item(api, "comment-1")["report_count"] == 3


# -- mutes -------------------------------------------------------------------------------------------------------------
def test_muting_a_reporter_answers_when_the_mute_ends(api: Api) -> None:
    # Given a moderator / When they mute a reporter for 48 hours
    response = mute(api, "noisy-reporter", hours=48)
    # Then the answer is 200 with the reporter and the end of the mute
    assert response.status_code == 200, response.body
    assert body(response) == {"account_id": "noisy-reporter", "muted_until": "2026-11-27T12:00:00Z"}


@pytest.mark.parametrize("hours", [1, 720])
def test_a_mute_of_one_to_720_hours_is_accepted(api: Api, hours: int) -> None:
    # Given a moderator / When they mute a reporter for the shortest or longest allowed time / Then it is accepted
    assert mute(api, "noisy-reporter", hours=hours).status_code == 200


@pytest.mark.parametrize("hours", [0, 721, -1, "24", 1.5, None])
def test_a_mute_outside_one_to_720_hours_is_refused(api: Api, hours: Any) -> None:
    # Given a moderator / When they mute a reporter for a length outside 1..720 whole hours
    response = mute(api, "noisy-reporter", hours=hours)
    # Then it is 422, and the reporter's next spam report is not lowered
    assert_problem(response, 422)
    filed(api, "noisy-reporter", report_body("comment-1", "spam"))
    assert priority_of(api, "comment-1") == "normal"


def test_a_mute_without_a_reason_is_refused(api: Api) -> None:
    # Given a moderator / When they mute a reporter without saying why / Then it is 422
    assert_problem(mute(api, "noisy-reporter", reason=""), 422)


def test_a_muted_reporter_still_gets_a_receipt(api: Api) -> None:
    # Given a muted reporter
    assert mute(api, "noisy-reporter").status_code == 200
    # When they report a comment
    response = api.call("POST", "/v1/reports", report_body(), {**auth("noisy-reporter"), "Idempotency-Key": "muted-1"})
    # Then they get the ordinary receipt, which does not reveal the mute
    assert response.status_code == 201
    assert list(body(response)) == ["report_id", "status", "received_at"]
    assert body(response)["status"] == "received"


def test_reports_after_a_mute_expires_are_normal_again(api: Api, clock: list[datetime]) -> None:
    # Given a reporter muted for 24 hours
    assert mute(api, "noisy-reporter", hours=24).status_code == 200
    # When they report a comment as spam once the mute has ended
    clock[0] = FIXED_NOW + timedelta(hours=24, minutes=1)
    filed(api, "noisy-reporter", report_body("comment-1", "spam"))
    # Then the target is normal, with no mute flag
    item = queue_item(api, "comment-1")
    assert item["priority"] == "normal"
    assert "muted_reporter" not in item["flags"]


# -- the unfounded-reporter flag ---------------------------------------------------------------------------------------
def unfounded_reports(api: Api, reporter: str, count: int) -> None:
    """The reporter's `count` reports on different comments, each decided no_violation."""
    for n in range(count):
        filed(api, reporter, report_body(f"unfounded-{n}", "hate"))
        assert decide(api, NO_VIOLATION, f"unfounded-{n}").status_code == 200


def test_a_reporter_with_ten_unfounded_reports_in_30_days_is_flagged(api: Api, clock: list[datetime]) -> None:
    # Given a reporter whose last ten reports were all decided no_violation
    unfounded_reports(api, "serial-reporter", 10)
    # When they report another comment the next day
    clock[0] = FIXED_NOW + timedelta(days=1)
    filed(api, "serial-reporter", report_body("comment-new", "hate"))
    # Then its queue item is flagged, but its priority is not lowered
    item = queue_item(api, "comment-new")
    assert item["flags"] == ["frequent_unfounded_reporter"]
    assert item["priority"] == "normal"


def test_a_reporter_with_nine_unfounded_reports_is_not_flagged(api: Api, clock: list[datetime]) -> None:
    # Given a reporter with nine reports decided no_violation
    unfounded_reports(api, "serial-reporter", 9)
    # When they report another comment the next day / Then its queue item has no flag
    clock[0] = FIXED_NOW + timedelta(days=1)
    filed(api, "serial-reporter", report_body("comment-new", "hate"))
    assert queue_item(api, "comment-new")["flags"] == []


def test_unfounded_reports_older_than_30_days_no_longer_flag_a_reporter(api: Api, clock: list[datetime]) -> None:
    # Given a reporter with ten reports decided no_violation
    unfounded_reports(api, "serial-reporter", 10)
    # When they report another comment 31 days later
    clock[0] = FIXED_NOW + timedelta(days=31)
    filed(api, "serial-reporter", report_body("comment-new", "hate"))
    # Then its queue item has no flag
    assert queue_item(api, "comment-new")["flags"] == []


def test_reports_that_led_to_action_do_not_count_as_unfounded(api: Api, clock: list[datetime]) -> None:
    # Given a reporter whose ten reports all led to content being removed
    for n in range(10):
        filed(api, "good-reporter", report_body(f"founded-{n}", "hate"))
        assert decide(api, TAKEN_DOWN, f"founded-{n}").status_code == 200
    # When they report another comment the next day / Then its queue item has no flag
    clock[0] = FIXED_NOW + timedelta(days=1)
    filed(api, "good-reporter", report_body("comment-new", "hate"))
    assert queue_item(api, "comment-new")["flags"] == []


# -- who may call the moderator routes ---------------------------------------------------------------------------------
MODERATOR_ROUTES = {
    "queue": ("GET", "/v1/moderation/queue", None),
    "decision": ("POST", "/v1/moderation/cases/0f8fad5b-d9cb-469f-a165-70867728950e/decision", TAKEN_DOWN),
    "mute": ("POST", "/v1/moderation/reporters/someone/mute", {"hours": 24, "reason": "spam waves"}),
}


@pytest.mark.parametrize("route", MODERATOR_ROUTES.values(), ids=MODERATOR_ROUTES.keys())
def test_a_user_calling_a_moderator_route_is_forbidden(api: Api, route: tuple[str, str, Any]) -> None:
    # Given a signed-in user with no groups (who has reported the comment)
    filed(api, "plain-user", report_body("comment-1", "spam"))
    method, path, payload = route
    # When they call a moderator route
    response = api.call(method, path, payload, auth("plain-user"))
    # Then it is 403 problem+json
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("route", MODERATOR_ROUTES.values(), ids=MODERATOR_ROUTES.keys())
def test_an_auditor_calling_a_moderator_route_is_forbidden(api: Api, route: tuple[str, str, Any]) -> None:
    # Given an auditor
    method, path, payload = route
    # When they call a moderator route / Then it is 403 problem+json
    assert_problem(api.call(method, path, payload, auth("auditor-1", "auditor")), 403, "forbidden")


def test_a_forbidden_decision_decides_nothing(api: Api) -> None:
    # Given a reported comment
    reporter, report_id = three_reports(api)[0]
    # When a user who is not a moderator tries to decide it
    api.call("POST", "/v1/moderation/targets/comment/comment-1/decision", TAKEN_DOWN, auth(reporter))
    # Then the report is still open
    assert read_report(api, report_id, reporter)["status"] == "received"
    assert queue_item(api, "comment-1")["report_count"] == 3


@pytest.mark.parametrize("route", MODERATOR_ROUTES.values(), ids=MODERATOR_ROUTES.keys())
def test_a_moderator_route_without_a_token_is_unauthenticated(api: Api, route: tuple[str, str, Any]) -> None:
    # Given no Authorization header / When a moderator route is called
    method, path, payload = route
    response = api.call(method, path, payload)
    # Then it is 401 (answered by chalice's gateway layer in the test client, so only the status is ours to check)
    assert response.status_code == 401


@pytest.mark.parametrize("route", MODERATOR_ROUTES.values(), ids=MODERATOR_ROUTES.keys())
def test_a_moderator_route_with_a_bad_token_is_401_problem_json(api: Api, route: tuple[str, str, Any]) -> None:
    # Given a token that is not signed with the service's key
    method, path, payload = route
    headers = {"Authorization": "Bearer not.a.valid-token"}
    # When a moderator route is called with it
    response = api.call(method, path, payload, headers)
    # Then the app answers 401 problem+json, without echoing the token
    assert_problem(response, 401, "unauthenticated")
    assert b"not.a.valid-token" not in response.body
    assert "not.a.valid-token" not in str(response.headers)


def test_a_report_route_with_a_bad_token_is_401_problem_json(api: Api) -> None:
    # Given a token that is not signed with the service's key / When a report is filed with it
    headers = {"Authorization": "Bearer not.a.valid-token", "Idempotency-Key": "k-1"}
    response = api.call("POST", "/v1/reports", report_body(), headers)
    # Then the app answers 401 problem+json
    assert_problem(response, 401, "unauthenticated")


def test_a_moderator_can_read_the_queue_whatever_else_they_are(api: Api) -> None:
    # Given a moderator who is also an auditor / When they read the queue / Then it is allowed
    response = api.call("GET", "/v1/moderation/queue", headers=auth("mod-8", "auditor", "moderator"))
    assert response.status_code == 200
    assert header(response, "Content-Type") == "application/json"
