"""Review: a sign-up whose answer was lost is never replayed. Reports recover (their id is derived from the key, so
`own_report` finds the stored one); a sign-up's retry finds its own account and answers 409, forever."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError

from tests.api.helpers import assert_problem
from tests.conftest import SIGNUP, Api, auth, body

SIGN_UP = {"account_id": "retry-1", "birth_date": "2010-01-01", "country": "GB"}
HEADERS = {**auth(*SIGNUP), "Idempotency-Key": "4b1d6c1e-retry-0001"}


@pytest.fixture
def success_record_lost_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The idempotency table throttles the one write that marks the first attempt done (its answer is lost)."""
    original = DynamoDBPersistenceLayer._update_record
    failures = iter([ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "UpdateItem")])

    def update(self: Any, data_record: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        original(self, data_record=data_record)

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_update_record", update)


def test_a_sign_up_retried_at_once_after_its_answer_was_lost_is_told_to_retry(
    api: Api, success_record_lost_once: None
) -> None:
    # Given a sign-up that was stored, but whose answer was lost (503: the success record could not be written)
    first = api.call("POST", "/v1/accounts", SIGN_UP, HEADERS)
    assert first.status_code == 503
    # When the client retries at once, while the first attempt's record still reads "in progress"
    retry = api.call("POST", "/v1/accounts", SIGN_UP, HEADERS)
    # Then it is told to retry (never account_exists: the next test shows the retry after the record lapses)
    assert_problem(retry, 409, "request_in_progress")


def test_a_sign_up_retried_later_after_its_answer_was_lost_is_replayed_not_account_exists(
    api: Api, success_record_lost_once: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a sign-up stored but answered 503, by an invocation that then ran out of time (its "in progress"
    # record lapses with it)
    from chalice.local import LambdaContext

    monkeypatch.setattr(LambdaContext, "get_remaining_time_in_millis", lambda self: 1)
    assert api.call("POST", "/v1/accounts", SIGN_UP, HEADERS).status_code == 503
    time.sleep(0.01)
    # When the client retries with the same key and body
    retry = api.call("POST", "/v1/accounts", SIGN_UP, HEADERS)
    # Then it gets its own sign-up back (the work runs again and recognises the account as its own), not 409
    assert retry.status_code == 201, retry.body[:200]
    assert body(retry)["account_id"] == "retry-1"
    # And a different request for the same account is still the one 409
    other = {**HEADERS, "Idempotency-Key": "another-key-00000001"}
    assert_problem(api.call("POST", "/v1/accounts", SIGN_UP, other), 409, "account_exists")


def test_a_failed_sign_up_whose_record_cannot_be_deleted_keeps_its_own_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the idempotency table throttles the delete that follows a refused sign-up
    def throttled(self: Any, data_record: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "DeleteItem")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "_delete_record", throttled)
    # When a sign-up below the minimum age is sent with a key
    young = {**SIGN_UP, "birth_date": "2020-01-01"}
    response = api.call("POST", "/v1/accounts", young, HEADERS)
    # Then the client still hears why (422 below_minimum_age), not 503. (Its record could not be cleared, so a retry
    # at once is 409 request_in_progress until the record lapses with the invocation.)
    assert_problem(response, 422, "below_minimum_age")
