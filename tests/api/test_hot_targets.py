"""A busy target does not serialise its reports on one item, a decision counts exactly, and an interrupted close-out
is completed later."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.services.moderation import _close_reports
from chalicelib.store.dynamo import from_item
from chalicelib.store.reports_store import _decision_from_item
from tests.api.helpers import scan_all_tables, throttle
from tests.conftest import FIXED_NOW, Api, auth, body
from tests.conftest import service_dynamodb as dynamodb_client

DECISION = {
    "outcome": "no_violation",
    "action": None,
    "statement_of_reasons": {"facts": "f", "ground": "Rule 1", "automated": False, "redress": "Appeal"},
}


def report(api: Api, reporter: str, target_id: str = "c-hot", reason: str = "spam") -> Any:
    payload = {"target": {"type": "comment", "id": target_id}, "reason": reason, "good_faith": True}
    return api.call("POST", "/v1/reports", payload, {**auth(reporter), "Idempotency-Key": f"{reporter}-{target_id}"})


@pytest.fixture
def transactions() -> list[list[dict[str, Any]]]:
    seen: list[list[dict[str, Any]]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(json.loads(params["body"])["TransactItems"])

    dynamodb_client().meta.events.register("before-call.dynamodb.TransactWriteItems", record)
    return seen


def keys_written(transaction: list[dict[str, Any]]) -> list[str]:
    keys = []
    for operation in transaction:
        (_, spec), *_ = operation.items()
        key = spec.get("Key") or {name: spec["Item"][name] for name in ("pk", "sk")}
        keys.append(key["sk"]["S"])
    return keys


def test_later_reports_on_a_target_leave_its_queue_item_out_of_their_transaction(
    api: Api, transactions: list[list[dict[str, Any]]]
) -> None:
    # Given a target that already has an open queue item
    report(api, "hot-0")
    transactions.clear()
    # When nine more reporters report it, at the same priority
    for n in range(1, 10):
        assert report(api, f"hot-{n}").status_code == 201
    # Then no report's transaction touches the shared OPEN item, and their counter writes spread over shards
    reports = [keys_written(t) for t in transactions if any(k.startswith("ROUND#") for k in keys_written(t))]
    assert len(reports) == 9
    assert all("OPEN" not in keys for keys in reports)
    shards = {key for keys in reports for key in keys if "#SHARD#" in key}
    assert len(shards) > 1


def test_a_decision_counts_a_report_that_lands_while_it_is_made(api: Api) -> None:
    # Given a target with two reports, and a third that lands after the moderator's read of the counters
    report(api, "late-0", "c-late")
    report(api, "late-1", "c-late")
    store = api.deps.reporting.reports
    real_open_round = store.open_round
    calls = []

    def open_round_then_a_report_lands(target: Any) -> Any:
        result = real_open_round(target)
        calls.append(1)
        if len(calls) == 1:
            report(api, "late-2", "c-late")
        return result

    store.open_round = open_round_then_a_report_lands  # type: ignore[method-assign]
    # When the decision is made
    decision = api.call("POST", "/v1/moderation/targets/comment/c-late/decision", DECISION, auth("m", "moderator"))
    # Then it is not held up by the late report, and its count (read after the round is sealed) covers all three
    assert decision.status_code == 200, decision.body
    assert body(decision)["report_count"] == 3


def test_an_interrupted_close_out_is_completed_by_the_next_decision_attempt(api: Api) -> None:
    # Given a decision whose close-out (marking each report decided, with its retention) storage refused
    receipt = body(report(api, "closeout-0", "c-closeout"))
    undo = throttle("BatchWriteItem")
    first = api.call("POST", "/v1/moderation/targets/comment/c-closeout/decision", DECISION, auth("m", "moderator"))
    undo()
    stored = next(
        item
        for item in scan_all_tables()
        if item.get("report_id", {}).get("S") == receipt["report_id"] and item["sk"]["S"] == "REPORT"
    )
    assert first.status_code == 200 and "expires_at" not in stored
    # When a moderator tries to decide the target again
    second = api.call("POST", "/v1/moderation/targets/comment/c-closeout/decision", DECISION, auth("m", "moderator"))
    # Then it is refused as already decided, and the earlier close-out is now complete
    assert second.status_code == 409 and body(second)["code"] == "no_open_reports"
    stored = next(
        item
        for item in scan_all_tables()
        if item.get("report_id", {}).get("S") == receipt["report_id"] and item["sk"]["S"] == "REPORT"
    )
    assert stored["status"]["S"] == "decided"
    assert int(stored["expires_at"]["N"]) > 0


@pytest.mark.parametrize("good_faith", ["1", "1.0", '"true"', "false"])
def test_good_faith_must_be_the_json_value_true(api: Api, good_faith: str) -> None:
    prefix = '{"target": {"type": "comment", "id": "c-gf"}, "reason": "spam", "good_faith": '
    raw = (prefix + good_faith + "}").encode()
    response = api.call("POST", "/v1/reports", headers={**auth("gf"), "Idempotency-Key": "gf"}, raw=raw)
    assert response.status_code == 422
    assert body(response)["errors"][0]["field"] == "good_faith"


def test_a_decision_made_on_a_stale_queue_view_is_refused(api: Api) -> None:
    # Given a moderator who read the queue item of a target that was decided and reopened since
    report(api, "stale-0", "c-stale")
    seen = body(api.call("GET", "/v1/moderation/queue", headers=auth("m", "moderator")))["items"][0]["round_id"]
    api.call("POST", "/v1/moderation/targets/comment/c-stale/decision", DECISION, auth("m2", "moderator"))
    report(api, "stale-1", "c-stale", reason="child_safety")
    # When they decide with the round they saw
    headers = {**auth("m", "moderator"), "If-Match": f'"{seen}"'}
    response = api.call("POST", "/v1/moderation/targets/comment/c-stale/decision", DECISION, headers)
    # Then nothing is decided, and the new child-safety report stays open
    assert response.status_code == 412 and body(response)["code"] == "precondition_failed"
    queue = body(api.call("GET", "/v1/moderation/queue", headers=auth("m", "moderator")))["items"]
    assert [(item["target"]["id"], item["priority"]) for item in queue] == [("c-stale", "urgent")]


def test_an_interrupted_close_out_is_completed_even_after_the_target_reopens(api: Api) -> None:
    # Given a decision whose close-out storage refused, and a new report that reopened the target
    receipt = body(report(api, "reopen-0", "c-reopen"))
    undo = throttle("BatchWriteItem")
    api.call("POST", "/v1/moderation/targets/comment/c-reopen/decision", DECISION, auth("m", "moderator"))
    undo()
    report(api, "reopen-1", "c-reopen")
    # When the new round is decided
    response = api.call("POST", "/v1/moderation/targets/comment/c-reopen/decision", DECISION, auth("m", "moderator"))
    # Then the first round's report now carries its retention too
    assert response.status_code == 200
    stored = next(
        item
        for item in scan_all_tables()
        if item.get("report_id", {}).get("S") == receipt["report_id"] and sort_key(item) == "REPORT"
    )
    assert stored["status"]["S"] == "decided" and "expires_at" in stored


def sort_key(item: dict[str, Any]) -> str:
    return str(item.get("sk", {}).get("S", ""))


def test_a_completed_close_out_run_twice_counts_each_unfounded_outcome_once(api: Api) -> None:
    # Given a no_violation decision on one report, whose close-out is then run again
    report(api, "twice-0", "c-twice")
    api.call("POST", "/v1/moderation/targets/comment/c-twice/decision", DECISION, auth("m", "moderator"))
    decision_item = next(item for item in scan_all_tables() if sort_key(item).startswith("DECISION#"))
    _close_reports(api.deps.moderation, _decision_from_item(from_item(decision_item)))
    # When the reporter's recent unfounded outcomes are counted, as a new report of theirs would count them
    since = FIXED_NOW - timedelta(days=30)
    counted = api.deps.reporting.reports._count_unfounded("REPORTER#twice-0", since, cap=100)
    # Then the one decision counts once
    assert counted == 1


def test_a_retry_after_a_lost_answer_gets_the_original_receipt(api: Api) -> None:
    # Given a report stored, whose answer was lost (storage failed after the write)
    from chalicelib.domain.errors import Unavailable

    store = api.deps.reporting.reports
    real_record = store.record_report

    def record_then_fail(*args: Any, **kwargs: Any) -> None:
        real_record(*args, **kwargs)
        raise Unavailable("lost answer")

    store.record_report = record_then_fail  # type: ignore[method-assign]
    lost = report(api, "lost-0", "c-lost")
    store.record_report = real_record  # type: ignore[method-assign]
    # When the app retries with the same key and body
    retry = report(api, "lost-0", "c-lost")
    # Then the first answer was 503, the retry is the original 201 receipt, and one report is stored
    assert lost.status_code == 503
    assert retry.status_code == 201
    mine = body(api.call("GET", "/v1/reports", headers=auth("lost-0")))["reports"]
    assert [item["report_id"] for item in mine] == [body(retry)["report_id"]]
