"""Filing abuse reports (POST /v1/reports) and reading them back, through chalice's test client on moto.

The receipt never says anything about the reported account; retries with the same Idempotency-Key make one report;
duplicates within 24 hours and the rolling hourly limit are enforced; reports are private to their reporter and the
moderators; and a report's details never reach a log line.
"""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.helpers import BORN_13_15, BORN_ADULT, assert_problem, header, sign_up
from tests.conftest import FIXED_NOW, Api, auth, body

REPORTER = "reporter-1"
OTHER_REPORTER = "reporter-2"
STRANGER = "stranger-1"
MODERATOR = ("mod-1", "moderator")


def report_body(
    target_id: str = "comment-1",
    reason: str = "bullying",
    target_type: str = "comment",
    account_id: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    target: dict[str, Any] = {"type": target_type, "id": target_id}
    if account_id is not None:
        target["account_id"] = account_id
    return {"target": target, "reason": reason, "good_faith": True, **fields}


def file_report(api: Api, payload: Any, reporter: str = REPORTER, key: str | None = None) -> Any:
    headers = {**auth(reporter), "Idempotency-Key": key or uuid.uuid4().hex}
    return api.call("POST", "/v1/reports", payload, headers)


def filed(api: Api, payload: Any, reporter: str = REPORTER) -> str:
    """Files a report that must be accepted; returns its id."""
    response = file_report(api, payload, reporter)
    assert response.status_code == 201, response.body
    report_id: str = body(response)["report_id"]
    return report_id


def my_reports(api: Api, reporter: str = REPORTER) -> list[dict[str, Any]]:
    response = api.call("GET", "/v1/reports?limit=100", headers=auth(reporter))
    assert response.status_code == 200, response.body
    reports: list[dict[str, Any]] = body(response)["reports"]
    return reports


def normalised_receipt(raw: bytes) -> bytes:
    """The receipt's bytes with its id and time replaced, so only its shape is left."""
    raw = re.sub(rb'"report_id":\s*"[^"]*"', b'"report_id":"<id>"', raw)
    return re.sub(rb'"received_at":\s*"[^"]*"', b'"received_at":"<time>"', raw)


# -- the receipt -------------------------------------------------------------------------------------------------------
def test_a_report_gets_a_receipt_with_its_id_status_and_time_and_nothing_else(api: Api) -> None:
    # Given a signed-in user
    # When they report a comment
    response = file_report(api, report_body())
    # Then the answer is 201 with exactly the receipt: id, status "received" and the time received
    assert response.status_code == 201, response.body
    receipt = body(response)
    assert list(receipt) == ["report_id", "status", "received_at"]
    assert isinstance(receipt["report_id"], str) and receipt["report_id"]
    assert receipt["status"] == "received"
    assert receipt["received_at"] == "2026-11-25T12:00:00Z"
    assert header(response, "Content-Type") == "application/json"


def test_the_receipt_is_the_same_shape_for_a_child_an_adult_and_an_unknown_account(api: Api) -> None:
    # Given a 14-year-old and an adult account, and an account id nobody has signed up
    sign_up(api, "child-owner", BORN_13_15)
    sign_up(api, "adult-owner", BORN_ADULT)
    targets = {"child": "child-owner", "adult": "adult-owner", "unknown": "nobody-here"}
    # When the same reporter reports content claimed to belong to each
    responses = {
        kind: file_report(api, report_body(f"comment-{kind}", "bullying", account_id=owner))
        for kind, owner in targets.items()
    }
    # Then the three answers have the same status, headers and, ids and times aside, the same bytes
    assert {kind: r.status_code for kind, r in responses.items()} == {"child": 201, "adult": 201, "unknown": 201}
    shapes = {kind: normalised_receipt(r.body) for kind, r in responses.items()}
    assert shapes["child"] == shapes["adult"] == shapes["unknown"], shapes
    header_names = {kind: sorted(r.headers) for kind, r in responses.items()}
    assert header_names["child"] == header_names["adult"] == header_names["unknown"]
    kinds_of_values = {kind: [(k, type(v).__name__) for k, v in body(r).items()] for kind, r in responses.items()}
    assert kinds_of_values["child"] == kinds_of_values["adult"] == kinds_of_values["unknown"]


def test_the_receipt_for_a_reported_account_does_not_reveal_whether_it_exists(api: Api) -> None:
    # Given a child's account, and an account id nobody has signed up
    sign_up(api, "child-owner", BORN_13_15)
    # When accounts (not content) are reported, the child's and the unknown one
    child = file_report(api, report_body("child-owner", "harassment", target_type="account"))
    unknown = file_report(api, report_body("nobody-here", "harassment", target_type="account"))
    # Then both receipts look alike
    assert child.status_code == unknown.status_code == 201
    assert normalised_receipt(child.body) == normalised_receipt(unknown.body)


# -- idempotency -------------------------------------------------------------------------------------------------------
def test_retries_with_the_same_key_and_body_get_the_same_answer(api: Api) -> None:
    # Given a report sent with an Idempotency-Key
    first = file_report(api, report_body(), key="retry-key-1")
    # When the client retries it five times with the same key and body
    retries = [file_report(api, report_body(), key="retry-key-1") for _ in range(5)]
    # Then every retry gets the first answer: same status, same body
    assert first.status_code == 201
    assert [(r.status_code, r.body) for r in retries] == [(first.status_code, first.body)] * 5


def test_retries_with_the_same_key_store_one_report(api: Api) -> None:
    # Given a report sent, then retried five times with the same key and body
    for _ in range(6):
        file_report(api, report_body(), key="retry-key-1")
    # When the reporter lists their reports / Then there is one
    assert len(my_reports(api)) == 1


def test_retries_with_the_same_key_count_once_against_the_hourly_limit(api: Api) -> None:
    # Given a report sent, then retried five times with the same key and body
    for _ in range(6):
        assert file_report(api, report_body("comment-0"), key="retry-key-1").status_code == 201
    # When the reporter files 19 more distinct reports in the same hour
    more = [file_report(api, report_body(f"comment-{n}")).status_code for n in range(1, 20)]
    # Then all are accepted (the retries counted once), and the 21st report is refused
    assert more == [201] * 19
    assert_problem(file_report(api, report_body("comment-20")), 429, "rate_limited")


def test_the_same_key_with_another_body_is_refused_as_reused(api: Api) -> None:
    # Given a report sent with an Idempotency-Key
    assert file_report(api, report_body("comment-1"), key="reused-key").status_code == 201
    # When the same reporter sends a different report with the same key
    response = file_report(api, report_body("comment-2"), key="reused-key")
    # Then it is refused as a reused key, and only the first report exists
    assert_problem(response, 422, "idempotency_key_reused")
    assert [r["target"]["id"] for r in my_reports(api)] == ["comment-1"]


def test_the_same_key_from_two_reporters_files_two_separate_reports(api: Api) -> None:
    # Given a report sent by one reporter with a key
    first = file_report(api, report_body(), REPORTER, key="shared-key")
    # When another reporter happens to use the same key for the same report
    second = file_report(api, report_body(), OTHER_REPORTER, key="shared-key")
    # Then each gets their own new report, and each sees only their own
    assert first.status_code == second.status_code == 201
    assert body(first)["report_id"] != body(second)["report_id"]
    assert [r["report_id"] for r in my_reports(api, REPORTER)] == [body(first)["report_id"]]
    assert [r["report_id"] for r in my_reports(api, OTHER_REPORTER)] == [body(second)["report_id"]]


def test_a_report_without_an_idempotency_key_is_refused(api: Api) -> None:
    # Given a signed-in user / When they send a report without an Idempotency-Key header
    response = api.call("POST", "/v1/reports", report_body(), auth(REPORTER))
    # Then it is 400 idempotency_key_missing, and nothing is stored
    assert_problem(response, 400, "idempotency_key_missing")
    assert my_reports(api) == []


def test_an_idempotency_key_longer_than_64_characters_is_refused(api: Api) -> None:
    # Given a signed-in user / When they send a report with a 65-character key
    response = file_report(api, report_body(), key="k" * 65)
    # Then it is 400, and nothing is stored
    assert_problem(response, 400)
    assert my_reports(api) == []


def test_an_idempotency_key_of_64_characters_is_accepted(api: Api) -> None:
    # Given a signed-in user / When they send a report with a 64-character key / Then it is accepted
    assert file_report(api, report_body(), key="k" * 64).status_code == 201


# -- duplicates --------------------------------------------------------------------------------------------------------
def test_reporting_the_same_target_for_the_same_reason_within_a_day_returns_the_first_report(
    api: Api, clock: list[datetime]
) -> None:
    # Given a report about a comment
    first_id = filed(api, report_body("comment-1", "bullying"))
    # When the reporter reports it again for the same reason 23 hours later, with a new key
    clock[0] = FIXED_NOW + timedelta(hours=23)
    again = file_report(api, report_body("comment-1", "bullying"))
    # Then the answer is 200 with the first report, received at the first time
    assert again.status_code == 200, again.body
    assert body(again) == {"report_id": first_id, "status": "received", "received_at": "2026-11-25T12:00:00Z"}


def test_a_duplicate_within_a_day_stores_no_new_report(api: Api, clock: list[datetime]) -> None:
    # Given a report about a comment, and the same report again an hour later
    filed(api, report_body("comment-1", "bullying"))
    clock[0] = FIXED_NOW + timedelta(hours=1)
    file_report(api, report_body("comment-1", "bullying"))
    # When the reporter lists their reports / Then there is still one
    assert len(my_reports(api)) == 1


def test_a_duplicate_does_not_count_against_the_hourly_limit(api: Api) -> None:
    # Given a report, then the same report again (a duplicate)
    filed(api, report_body("comment-0", "bullying"))
    assert file_report(api, report_body("comment-0", "bullying")).status_code == 200
    # When the reporter files 19 more distinct reports in the same hour
    more = [file_report(api, report_body(f"comment-{n}")).status_code for n in range(1, 20)]
    # Then all are accepted: the duplicate was not counted
    assert more == [201] * 19


def test_the_same_report_after_a_day_is_a_new_report(api: Api, clock: list[datetime]) -> None:
    # Given a report about a comment
    first_id = filed(api, report_body("comment-1", "bullying"))
    # When the reporter reports it again for the same reason a day and a minute later
    clock[0] = FIXED_NOW + timedelta(hours=24, minutes=1)
    again = file_report(api, report_body("comment-1", "bullying"))
    # Then it is a new report (201), and the reporter has two
    assert again.status_code == 201, again.body
    assert body(again)["report_id"] != first_id
    assert len(my_reports(api)) == 2


def test_the_same_target_for_another_reason_is_a_new_report(api: Api) -> None:
    # Given a report about a comment for bullying
    first_id = filed(api, report_body("comment-1", "bullying"))
    # When the reporter reports the same comment for hate
    again = file_report(api, report_body("comment-1", "hate"))
    # Then it is a new report
    assert again.status_code == 201, again.body
    assert body(again)["report_id"] != first_id
    assert len(my_reports(api)) == 2


def test_another_reporter_reporting_the_same_target_and_reason_files_a_new_report(api: Api) -> None:
    # Given one reporter's report about a comment
    first_id = filed(api, report_body("comment-1", "bullying"), REPORTER)
    # When another reporter reports it for the same reason / Then theirs is a new report
    again = file_report(api, report_body("comment-1", "bullying"), OTHER_REPORTER)
    assert again.status_code == 201, again.body
    assert body(again)["report_id"] != first_id


# -- the hourly limit --------------------------------------------------------------------------------------------------
def test_twenty_five_reports_in_an_hour_accept_twenty_and_refuse_five(api: Api) -> None:
    # Given a reporter / When they file 25 reports about different comments within the hour
    statuses = [file_report(api, report_body(f"comment-{n}")).status_code for n in range(25)]
    # Then the first 20 are accepted and the last 5 refused
    assert statuses == [201] * 20 + [429] * 5


def test_a_refused_report_says_when_to_retry(api: Api) -> None:
    # Given a reporter who has filed 20 reports this hour
    for n in range(20):
        filed(api, report_body(f"comment-{n}"))
    # When they file one more
    response = file_report(api, report_body("comment-20"))
    # Then it is 429 rate_limited with Retry-After in whole, positive seconds (at most the hour)
    assert_problem(response, 429, "rate_limited")
    retry_after = header(response, "Retry-After")
    assert retry_after is not None and retry_after.isdigit(), retry_after
    assert 0 < int(retry_after) <= 3600


def test_refused_reports_are_not_stored(api: Api) -> None:
    # Given a reporter who files 25 reports about different comments within the hour
    for n in range(25):
        file_report(api, report_body(f"comment-{n}"))
    # When they list their reports / Then only the 20 accepted are stored
    stored = my_reports(api)
    assert len(stored) == 20
    assert {r["target"]["id"] for r in stored} == {f"comment-{n}" for n in range(20)}


def test_reports_are_accepted_again_once_the_hour_has_passed(api: Api, clock: list[datetime]) -> None:
    # Given a reporter refused after 20 reports this hour
    for n in range(20):
        filed(api, report_body(f"comment-{n}"))
    assert file_report(api, report_body("comment-20")).status_code == 429
    # When the hour has passed
    clock[0] = FIXED_NOW + timedelta(hours=1, seconds=1)
    # Then their next report is accepted
    assert file_report(api, report_body("comment-20")).status_code == 201


def test_a_refused_report_can_be_retried_with_the_same_key_once_the_hour_has_passed(
    api: Api, clock: list[datetime]
) -> None:
    # Given a reporter refused after 20 reports this hour
    for n in range(20):
        filed(api, report_body(f"comment-{n}"))
    assert file_report(api, report_body("comment-20"), key="late-key").status_code == 429
    # When the hour has passed and the client retries with the same key
    clock[0] = FIXED_NOW + timedelta(hours=1, seconds=1)
    retry = file_report(api, report_body("comment-20"), key="late-key")
    # Then the retry is accepted: the refusal was not remembered as the answer
    assert retry.status_code == 201, retry.body


def test_the_hourly_limit_is_per_reporter(api: Api) -> None:
    # Given a reporter who has used up the hour's 20 reports
    for n in range(20):
        filed(api, report_body(f"comment-{n}"))
    # When another reporter files a report / Then theirs is accepted
    assert file_report(api, report_body("comment-x"), OTHER_REPORTER).status_code == 201


# -- validation --------------------------------------------------------------------------------------------------------
def _without(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != name}


INVALID_REPORTS = {
    "good_faith false": {**report_body(), "good_faith": False},
    "good_faith missing": _without(report_body(), "good_faith"),
    "good_faith as a string": {**report_body(), "good_faith": "true"},
    "an unknown field": {**report_body(), "priority": "urgent"},
    "an unknown field in the target": {**report_body(), "target": {"type": "comment", "id": "c-1", "age": 12}},
    "details of 1001 characters": report_body(details="x" * 1001),
    "11 evidence ids": report_body(evidence_ids=[f"evidence-{n}" for n in range(11)]),
    "an unknown target type": report_body(target_type="post"),
    "an unknown reason": report_body(reason="annoying"),
    "a content id with a space": report_body("comment 1"),
    "a content id of 129 characters": report_body("c" * 129),
    "an empty content id": report_body(""),
    "a malformed claimed account id": report_body(account_id="not an id!"),
    "a missing target": _without(report_body(), "target"),
    "a missing reason": _without(report_body(), "reason"),
    "a body that is a list": [report_body()],
}


@pytest.mark.parametrize("payload", INVALID_REPORTS.values(), ids=INVALID_REPORTS.keys())
def test_a_malformed_report_is_refused_as_422_and_not_stored(api: Api, payload: Any) -> None:
    # Given a signed-in user / When they send a report that breaks the contract
    response = file_report(api, payload)
    # Then it is 422 problem+json, and nothing is stored
    assert_problem(response, 422, "validation_failed")
    assert my_reports(api) == []


def test_a_report_at_the_limits_is_accepted(api: Api) -> None:
    # Given details of exactly 1000 characters, 10 evidence ids and a 128-character content id with every allowed sign
    payload = report_body("a_b.c:d-" + "e" * 120, details="x" * 1000, evidence_ids=[f"evidence-{n}" for n in range(10)])
    # When reported / Then it is accepted
    assert file_report(api, payload).status_code == 201


def test_a_report_that_is_not_json_is_refused_as_400(api: Api) -> None:
    # Given a signed-in user / When they send a body that is not JSON
    response = api.call(
        "POST", "/v1/reports", raw=b'{"target": {', headers={**auth(REPORTER), "Idempotency-Key": "bad-json"}
    )
    # Then it is 400 problem+json, and nothing is stored
    assert_problem(response, 400, "invalid_json")
    assert my_reports(api) == []


# -- reading reports ---------------------------------------------------------------------------------------------------
def test_the_reporter_can_read_their_report(api: Api) -> None:
    # Given a report with details and evidence
    report_id = filed(api, report_body("comment-1", "hate", details="slurs in reply", evidence_ids=["shot-1"]))
    # When the reporter reads it
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth(REPORTER))
    # Then they see what they reported, received and not yet decided
    assert response.status_code == 200, response.body
    report = body(response)
    assert report["report_id"] == report_id
    assert report["status"] == "received"
    assert report["target"] == {"type": "comment", "id": "comment-1"}
    assert (report["reason"], report["details"], report["evidence_ids"]) == ("hate", "slurs in reply", ["shot-1"])
    assert report["outcome"] is None


def test_a_stranger_reading_someone_elses_report_gets_the_404_of_a_missing_report(api: Api) -> None:
    # Given someone's report, and an id no report has
    report_id = filed(api, report_body())
    # When a stranger reads the report, and the missing one
    stranger = api.call("GET", f"/v1/reports/{report_id}", headers=auth(STRANGER))
    missing = api.call("GET", f"/v1/reports/{uuid.uuid4()}", headers=auth(STRANGER))
    # Then both answers are the same 404, byte for byte
    assert_problem(stranger, 404, "not_found")
    assert (stranger.status_code, stranger.body) == (missing.status_code, missing.body)
    assert header(stranger, "Content-Type") == header(missing, "Content-Type")


def test_a_malformed_report_id_gets_the_404_of_a_missing_report(api: Api) -> None:
    # Given a signed-in user / When they read a report id that could never exist, and one that does not exist
    malformed = api.call("GET", "/v1/reports/not!an!id", headers=auth(STRANGER))
    missing = api.call("GET", f"/v1/reports/{uuid.uuid4()}", headers=auth(STRANGER))
    # Then both answers are the same 404
    assert_problem(malformed, 404, "not_found")
    assert malformed.body == missing.body


def test_an_auditor_cannot_read_someone_elses_report(api: Api) -> None:
    # Given someone's report / When an auditor (not a moderator) reads it
    report_id = filed(api, report_body())
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth("auditor-1", "auditor"))
    # Then they get the 404 of a missing report
    assert_problem(response, 404, "not_found")


def test_a_moderator_can_read_anyones_report(api: Api) -> None:
    # Given someone's report
    report_id = filed(api, report_body("comment-1", details="he keeps posting my photo"))
    # When a moderator reads it / Then they see it, details included
    response = api.call("GET", f"/v1/reports/{report_id}", headers=auth(*MODERATOR))
    assert response.status_code == 200, response.body
    assert body(response)["report_id"] == report_id
    assert body(response)["details"] == "he keeps posting my photo"


def test_a_reporter_lists_only_their_own_reports_newest_first(api: Api, clock: list[datetime]) -> None:
    # Given two reports by one reporter, an hour apart, and one by another reporter
    older = filed(api, report_body("comment-1"))
    clock[0] = FIXED_NOW + timedelta(hours=1)
    newer = filed(api, report_body("comment-2"))
    filed(api, report_body("comment-3"), OTHER_REPORTER)
    # When the first reporter lists their reports / Then they see their two, newest first
    assert [r["report_id"] for r in my_reports(api)] == [newer, older]


def test_a_reporters_list_pages_with_limit_and_next(api: Api, clock: list[datetime]) -> None:
    # Given five reports by one reporter, a minute apart
    ids = []
    for n in range(5):
        clock[0] = FIXED_NOW + timedelta(minutes=n)
        ids.append(filed(api, report_body(f"comment-{n}")))
    # When they page through their list two at a time
    seen: list[str] = []
    query = "?limit=2"
    for _ in range(10):
        page = body(api.call("GET", f"/v1/reports{query}", headers=auth(REPORTER)))
        seen += [r["report_id"] for r in page["reports"]]
        if page["next"] is None:
            break
        query = f"?limit=2&next={page['next']}"
    # Then they see each report once, newest first
    assert seen == list(reversed(ids))


def test_a_cursor_from_another_reporters_list_is_refused(api: Api) -> None:
    # Given a page of another reporter's list that has a next cursor
    for n in range(2):
        filed(api, report_body(f"comment-{n}"), OTHER_REPORTER)
    cursor = body(api.call("GET", "/v1/reports?limit=1", headers=auth(OTHER_REPORTER)))["next"]
    assert cursor
    # When a reporter passes that cursor to their own list / Then it is refused, not followed
    response = api.call("GET", f"/v1/reports?limit=1&next={cursor}", headers=auth(REPORTER))
    assert_problem(response, 400, "invalid_cursor")


# -- personal data in logs ---------------------------------------------------------------------------------------------
@pytest.fixture
def service_log(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Every line the service's own logger writes, whichever stream it was created with."""
    from chalicelib.observability import logger

    buffer = io.StringIO()
    service_logger = logging.getLogger(logger().name)
    for handler in service_logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", buffer)
    return buffer


def test_a_reports_details_never_reach_a_log_line(
    api: Api,
    service_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given every log record captured: the service's own and Powertools' at every level, the rest at INFO (botocore's
    # DEBUG wire dump, off in production, would show any stored item)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="safety-settings")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    secret = "Zebra-Quokka-4471 said he knows where I live"
    # When a report with distinctive details is filed, retried, and read back by its reporter and a moderator
    report_id = filed(api, report_body("comment-1", "harassment", details=secret))
    file_report(api, report_body("comment-1", "harassment", details=secret))
    api.call("GET", f"/v1/reports/{report_id}", headers=auth(REPORTER))
    api.call("GET", f"/v1/reports/{report_id}", headers=auth(*MODERATOR))
    # Then the requests were logged, but no captured line contains the details
    printed = capsys.readouterr()
    records = "\n".join(json.dumps(vars(record), default=str) for record in caplog.records)
    everything = "\n".join([service_log.getvalue(), caplog.text, records, printed.out, printed.err])
    assert '"route":"/v1/reports"' in service_log.getvalue().replace(" ", "")
    assert "Zebra-Quokka" not in everything


def test_a_replayed_report_is_counted_in_metrics_once(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a report sent, then retried twice with the same key
    headers = {**auth("u-metrics"), "Idempotency-Key": "metrics-key"}
    payload = {"target": {"type": "comment", "id": "c-metrics"}, "reason": "spam", "good_faith": True}
    for _ in range(3):
        api.call("POST", "/v1/reports", payload, headers)
    # When the EMF metric lines are read
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"Reports"' in line]
    # Then one counts as filed and two as replayed
    assert sorted(line["outcome"] for line in lines) == ["filed", "replayed", "replayed"]
