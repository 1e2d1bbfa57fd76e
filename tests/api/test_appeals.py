"""Appeals (DSA Art. 20) and statements of reasons for the transparency database (Art. 24(5)), through the API."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.api.helpers import assert_problem, scan_all_tables
from tests.conftest import FIXED_NOW, PROJECT_DIR, Api, auth, body

DECIDER = ("mod-7", "moderator")
REVIEWER = ("mod-8", "moderator")
STATEMENT = {
    "facts": "The comment repeats a classmate's name with insults.",
    "ground": "Community Guidelines 4.2 (bullying)",
    "automated": False,
    "redress": "Appeal in the app within six months, or go to a certified out-of-court body.",
}
NO_VIOLATION = {"outcome": "no_violation", "action": None, "statement_of_reasons": STATEMENT}
TAKEN_DOWN = {
    "outcome": "action_taken",
    "action": "remove_content",
    "statement_of_reasons": STATEMENT,
    "affected_account_id": "owner-1",
}
SCHEMA = json.loads(Path(PROJECT_DIR, "chalicelib/moderation/transparency-statement.schema.json").read_text())


def decided_case(api: Api, decision: dict[str, Any], reporters: tuple[str, ...] = ("reporter-a", "reporter-b")) -> str:
    """Reports by `reporters` on one comment, decided by mod-7; returns the decision id."""
    for reporter in reporters:
        payload = {"target": {"type": "comment", "id": "comment-1"}, "reason": "bullying", "good_faith": True}
        headers = {**auth(reporter), "Idempotency-Key": uuid.uuid4().hex}
        assert api.call("POST", "/v1/reports", payload, headers).status_code == 201
    api.drain()
    (case,) = body(api.call("GET", "/v1/moderation/queue", headers=auth(*DECIDER)))["items"]
    path = f"/v1/moderation/cases/{case['case_id']}/decision"
    response = api.call("POST", path, decision, {**auth(*DECIDER), "If-Match": case["etag"]})
    assert response.status_code == 200, response.body
    api.drain()
    decision_id: str = body(response)["decision_id"]
    return decision_id


def appeal(api: Api, decision_id: str, appellant: str, key: str | None = None, text: str = "It was not me") -> Any:
    headers = {**auth(appellant), "Idempotency-Key": key or uuid.uuid4().hex}
    return api.call("POST", f"/v1/decisions/{decision_id}/appeals", {"explanation": text}, headers)


def decide_appeal(api: Api, appeal_id: str, decision: dict[str, Any], moderator: tuple[str, str] = REVIEWER) -> Any:
    response = api.call("POST", f"/v1/moderation/appeals/{appeal_id}/decision", decision, auth(*moderator))
    api.drain()
    return response


def outcomes_seen(api: Api, reporters: tuple[str, ...] = ("reporter-a", "reporter-b")) -> set[str]:
    seen = set()
    for reporter in reporters:
        for report in body(api.call("GET", "/v1/reports", headers=auth(reporter)))["reports"]:
            seen.add(report["outcome"])
    return seen


# -- who may appeal, and when --------------------------------------------------------------------------------------
@pytest.mark.parametrize("days", [0, 184], ids=["at once", "on day 184"])
def test_a_reporter_may_appeal_until_day_184(api: Api, clock: list[datetime], days: int) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    clock[0] = FIXED_NOW + timedelta(days=days)
    response = appeal(api, decision_id, "reporter-a")
    assert response.status_code == 201, response.body
    assert body(response)["status"] == "open"


def test_an_appeal_on_day_185_is_409_window_closed(api: Api, clock: list[datetime]) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    clock[0] = FIXED_NOW + timedelta(days=185)
    assert_problem(appeal(api, decision_id, "reporter-a"), 409, "appeal_window_closed")


def test_the_affected_account_may_appeal(api: Api) -> None:
    decision_id = decided_case(api, TAKEN_DOWN)
    assert appeal(api, decision_id, "owner-1").status_code == 201
    (queued,) = body(api.call("GET", "/v1/moderation/appeals", headers=auth(*REVIEWER)))["items"]
    assert queued["appellant_role"] == "affected_account"
    assert "owner-1" not in json.dumps(queued)


@pytest.mark.parametrize("stranger", ["someone-else", "owner-1"])
def test_a_stranger_to_the_decision_gets_404(api: Api, stranger: str) -> None:
    # owner-1 is a stranger to a no_violation decision addressed to nobody
    decision_id = decided_case(api, NO_VIOLATION)
    assert_problem(appeal(api, decision_id, stranger), 404, "not_found")


def test_an_appeal_of_a_decision_that_does_not_exist_is_the_same_404(api: Api) -> None:
    assert_problem(appeal(api, str(uuid.uuid4()), "reporter-a"), 404, "not_found")


def test_a_second_appeal_by_the_same_appellant_is_409_and_a_retry_replays_the_first(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    first = appeal(api, decision_id, "reporter-a", key="key-1")
    assert first.status_code == 201
    replay = appeal(api, decision_id, "reporter-a", key="key-1")
    assert (replay.status_code, body(replay)) == (201, body(first))
    assert_problem(appeal(api, decision_id, "reporter-a", key="key-2"), 409, "appeal_exists")
    assert_problem(appeal(api, decision_id, "reporter-a", key="key-1", text="other"), 422, "idempotency_key_reused")


@pytest.mark.parametrize(
    "payload", [{}, {"explanation": ""}, {"explanation": "x" * 2001}, {"explanation": "ok", "extra": 1}]
)
def test_a_malformed_appeal_is_422_and_files_nothing(api: Api, payload: dict[str, Any]) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    headers = {**auth("reporter-a"), "Idempotency-Key": "k"}
    assert_problem(api.call("POST", f"/v1/decisions/{decision_id}/appeals", payload, headers), 422)
    assert body(api.call("GET", "/v1/moderation/appeals", headers=auth(*REVIEWER)))["items"] == []


def test_an_appeal_needs_an_idempotency_key(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    response = api.call("POST", f"/v1/decisions/{decision_id}/appeals", {"explanation": "x"}, auth("reporter-a"))
    assert response.status_code == 400


# -- deciding appeals ----------------------------------------------------------------------------------------------
def test_the_moderator_who_decided_may_not_decide_the_appeal(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    response = decide_appeal(api, appeal_id, {**TAKEN_DOWN, "outcome": "reversed"}, DECIDER)
    assert_problem(response, 403, "conflict_of_interest")
    assert outcomes_seen(api) == {"no_violation"}


def test_reversing_a_no_violation_reaches_every_reporter_and_corrects_the_unfounded_count(api: Api) -> None:
    # Given a no_violation decision that counted against both reporters, appealed by one of them
    decision_id = decided_case(api, NO_VIOLATION)
    assert _unfounded_entries() == 2
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    # When another moderator reverses it, taking the content down
    reversal = {**TAKEN_DOWN, "outcome": "reversed"}
    response = decide_appeal(api, appeal_id, reversal)
    # Then the appeal is closed, a new decision replaces the old, every reporter reads it, and nobody is counted
    assert response.status_code == 200, response.body
    new = body(response)["decision"]
    assert (body(response)["status"], new["outcome"], new["action"], new["supersedes"]) == (
        "reversed",
        "action_taken",
        "remove_content",
        decision_id,
    )
    assert outcomes_seen(api) == {"action_taken"}
    assert _unfounded_entries() == 0
    old = body(api.call("GET", f"/v1/decisions/{decision_id}", headers=auth(*REVIEWER)))
    assert old["superseded_by"] == new["decision_id"]
    assert body(api.call("GET", "/v1/moderation/appeals", headers=auth(*REVIEWER)))["items"] == []


def test_reversing_an_action_taken_lifts_it(api: Api, clock: list[datetime]) -> None:
    decision_id = decided_case(api, TAKEN_DOWN)
    appeal_id = body(appeal(api, decision_id, "owner-1"))["appeal_id"]
    clock[0] = FIXED_NOW + timedelta(days=3)
    reversal = {"outcome": "reversed", "action": None, "statement_of_reasons": STATEMENT}
    response = decide_appeal(api, appeal_id, reversal)
    assert response.status_code == 200, response.body
    assert (body(response)["decision"]["outcome"], body(response)["decision"]["action"]) == ("no_violation", None)
    assert outcomes_seen(api) == {"no_violation"}
    listed = body(api.call("GET", "/v1/accounts/owner-1/decisions", headers=auth("owner-1")))["decisions"]
    assert [item["outcome"] for item in listed] == ["no_violation", "action_taken"]


def test_reversing_a_no_violation_needs_an_action(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    response = decide_appeal(api, appeal_id, {"outcome": "reversed", "action": None, "statement_of_reasons": STATEMENT})
    assert_problem(response, 422)
    assert outcomes_seen(api) == {"no_violation"}


def test_an_upheld_appeal_changes_nothing_but_the_appeal(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    response = decide_appeal(api, appeal_id, {"outcome": "upheld", "statement_of_reasons": STATEMENT})
    assert (response.status_code, body(response)["status"], body(response)["decision"]) == (200, "upheld", None)
    assert outcomes_seen(api) == {"no_violation"}
    assert_problem(decide_appeal(api, appeal_id, {"outcome": "upheld", "statement_of_reasons": STATEMENT}), 409)


def test_the_case_log_records_the_appeal_and_the_reversal_by_role(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    decide_appeal(api, appeal_id, {**TAKEN_DOWN, "outcome": "reversed"})
    case_id = body(api.call("GET", f"/v1/decisions/{decision_id}", headers=auth(*REVIEWER)))["case_id"]
    events = body(api.call("GET", f"/v1/moderation/cases/{case_id}", headers=auth("auditor-1", "auditor")))["events"]
    assert [(e["kind"], e["role"]) for e in events][-3:] == [
        ("decided", "moderator"),
        ("appealed", "reporter"),
        ("reversed", "moderator"),
    ]


@pytest.mark.parametrize("caller", [("reporter-a",), ("auditor-1", "auditor")])
def test_only_moderators_read_and_decide_appeals(api: Api, caller: tuple[str, ...]) -> None:
    assert_problem(api.call("GET", "/v1/moderation/appeals", headers=auth(*caller)), 403, "forbidden")
    path = f"/v1/moderation/appeals/{uuid.uuid4()}/decision"
    decision = {"outcome": "upheld", "statement_of_reasons": STATEMENT}
    assert_problem(api.call("POST", path, decision, auth(*caller)), 403, "forbidden")


def _unfounded_entries() -> int:
    return sum(
        len([name for name in item if name.startswith("u_")])
        for item in scan_all_tables()
        if item["sk"]["S"] == "UNFOUNDED"
    )


# -- statements of reasons -----------------------------------------------------------------------------------------
def test_every_restricting_decision_produces_a_statement_that_validates_against_the_schema(api: Api) -> None:
    decided_case(api, TAKEN_DOWN)
    response = api.call(
        "GET", "/v1/moderation/statements?from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z", headers=auth(*DECIDER)
    )
    assert response.status_code == 200, response.body
    (record,) = body(response)["statements"]
    jsonschema.validate(record, SCHEMA)
    assert record["category"] == "STATEMENT_CATEGORY_CYBER_VIOLENCE"
    assert record["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert record["source_type"] == "SOURCE_ARTICLE_16"
    assert "owner-1" not in json.dumps(record) and "mod-7" not in json.dumps(record)


def test_a_no_violation_produces_no_statement(api: Api) -> None:
    decided_case(api, NO_VIOLATION)
    query = "from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z"
    assert (
        body(api.call("GET", f"/v1/moderation/statements?{query}", headers=auth("auditor-1", "auditor")))["statements"]
        == []
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=2026-11-25T00:00:00Z",
        "from=yesterday&to=2026-11-26T00:00:00Z",
        "from=2026-11-26T00:00:00Z&to=2026-11-25T00:00:00Z",
        "from=2026-01-01T00:00:00Z&to=2026-11-26T00:00:00Z",
        "from=9999-12-31T23:59:59%2B00:00&to=9999-12-31T23:59:59-14:00",
        "from=0001-01-01T00:00:00%2B14:00&to=0001-01-02T00:00:00Z",
    ],
    ids=["no range", "no end", "not a time", "backwards", "over 31 days", "near datetime.max", "near datetime.min"],
)
def test_a_bad_statements_range_is_422(api: Api, query: str) -> None:
    assert_problem(api.call("GET", f"/v1/moderation/statements?{query}", headers=auth(*DECIDER)), 422)


def test_a_user_may_not_read_statements(api: Api) -> None:
    query = "from=2026-11-25T00:00:00Z&to=2026-11-26T00:00:00Z"
    assert_problem(api.call("GET", f"/v1/moderation/statements?{query}", headers=auth("reporter-a")), 403)


def test_a_moderator_who_appealed_may_not_decide_their_own_appeal(api: Api) -> None:
    decision_id = decided_case(api, NO_VIOLATION, reporters=("mod-9", "reporter-b"))
    appeal_id = body(appeal(api, decision_id, "mod-9"))["appeal_id"]
    response = decide_appeal(api, appeal_id, {**TAKEN_DOWN, "outcome": "reversed"}, ("mod-9", "moderator"))
    assert_problem(response, 403, "conflict_of_interest")


def test_an_appeal_of_a_decision_replaced_on_another_appeal_leaves_the_queue(api: Api) -> None:
    decision_id = decided_case(api, TAKEN_DOWN)
    first = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    appeal(api, decision_id, "owner-1")
    reversal = {"outcome": "reversed", "action": None, "statement_of_reasons": STATEMENT}
    assert decide_appeal(api, first, reversal).status_code == 200
    assert body(api.call("GET", "/v1/moderation/appeals", headers=auth(*REVIEWER)))["items"] == []


# -- following an appeal -------------------------------------------------------------------------------------------
def test_an_appellant_follows_their_appeal_from_open_to_reversed(api: Api, clock: list[datetime]) -> None:
    # Given an open appeal of a no_violation
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    path = f"/v1/appeals/{appeal_id}"
    # When the appellant reads it / Then it is open, and the appealed outcome is in force
    opened = body(api.call("GET", path, headers=auth("reporter-a")))
    assert (opened["status"], opened["outcome"], opened["decided_at"], opened["replaced_by"]) == (
        "open",
        "no_violation",
        None,
        None,
    )
    # When another moderator reverses it a day later
    clock[0] = FIXED_NOW + timedelta(days=1)
    new = body(decide_appeal(api, appeal_id, {**TAKEN_DOWN, "outcome": "reversed"}))["decision"]
    # Then the appellant reads it reversed, with the new outcome and when, and never who decided
    reversed_ = api.call("GET", path, headers=auth("reporter-a"))
    assert reversed_.status_code == 200
    seen = body(reversed_)
    assert (seen["status"], seen["outcome"], seen["replaced_by"]) == ("reversed", "action_taken", new["decision_id"])
    assert seen["decided_at"] == new["decided_at"]
    assert "mod-8" not in reversed_.body.decode() and "mod-7" not in reversed_.body.decode()
    assert set(seen) == {"appeal_id", "decision_id", "status", "filed_at", "decided_at", "outcome", "replaced_by"}


def test_an_upheld_appeal_reads_upheld_with_the_outcome_unchanged(api: Api) -> None:
    decision_id = decided_case(api, TAKEN_DOWN)
    appeal_id = body(appeal(api, decision_id, "owner-1"))["appeal_id"]
    decide_appeal(api, appeal_id, {"outcome": "upheld", "statement_of_reasons": STATEMENT})
    seen = body(api.call("GET", f"/v1/appeals/{appeal_id}", headers=auth("owner-1")))
    assert (seen["status"], seen["outcome"], seen["replaced_by"]) == ("upheld", "action_taken", None)
    assert seen["decided_at"] is not None


@pytest.mark.parametrize("caller", [("reporter-b",), ("owner-1",), ("stranger-1",), ("flagger-1", "trusted-flagger")])
def test_anyone_but_the_appellant_moderators_and_auditors_gets_the_404_of_a_missing_appeal(
    api: Api, caller: tuple[str, ...]
) -> None:
    # Given reporter-a's appeal (reporter-b reported the same case; owner-1 is the affected account)
    decision_id = decided_case(api, TAKEN_DOWN)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    # When anyone else asks for it / Then it is the same 404 as an appeal that does not exist
    refused = api.call("GET", f"/v1/appeals/{appeal_id}", headers=auth(*caller))
    missing = api.call("GET", f"/v1/appeals/{uuid.uuid4()}", headers=auth(*caller))
    assert_problem(refused, 404, "not_found")
    assert (refused.body, refused.status_code) == (missing.body, missing.status_code)


@pytest.mark.parametrize("caller", [("mod-9", "moderator"), ("auditor-1", "auditor")])
def test_moderators_and_auditors_read_any_appeal(api: Api, caller: tuple[str, ...]) -> None:
    decision_id = decided_case(api, NO_VIOLATION)
    appeal_id = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    assert body(api.call("GET", f"/v1/appeals/{appeal_id}", headers=auth(*caller)))["status"] == "open"


@pytest.mark.parametrize("appeal_id", ["x" * 200, "not an id", "%00", "..%2F"])
def test_a_malformed_appeal_id_is_refused_without_a_lookup(api: Api, appeal_id: str) -> None:
    response = api.call("GET", f"/v1/appeals/{appeal_id}", headers=auth("reporter-a"))
    assert 400 <= response.status_code < 500
    assert response.headers["Content-Type"] == "application/problem+json"


def test_an_upheld_appeal_reads_the_outcome_in_force_after_another_appellant_wins_a_reversal(api: Api) -> None:
    # Given two reporters' appeals of one no_violation: the first upheld, the second reversing it
    decision_id = decided_case(api, NO_VIOLATION)
    first = body(appeal(api, decision_id, "reporter-a"))["appeal_id"]
    second = body(appeal(api, decision_id, "reporter-b"))["appeal_id"]
    decide_appeal(api, first, {"outcome": "upheld", "statement_of_reasons": STATEMENT})
    new = body(decide_appeal(api, second, {**TAKEN_DOWN, "outcome": "reversed"}))["decision"]
    # When the first appellant reads their appeal / Then it was upheld, but the outcome now in force is the reversal
    seen = body(api.call("GET", f"/v1/appeals/{first}", headers=auth("reporter-a")))
    assert (seen["status"], seen["outcome"], seen["replaced_by"]) == ("upheld", "action_taken", new["decision_id"])
