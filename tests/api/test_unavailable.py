"""Throttling or a missing table is 503 `unavailable` with Retry-After, and never leaves a half-written change."""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    BORN_16_17,
    OWNER,
    assert_history_matches_state,
    assert_problem,
    cancel_transactions_as_throttled,
    get_settings,
    header,
    history_page,
    patch_settings,
    scan_all_tables,
    sign_up,
    throttle,
)
from tests.conftest import Api, body

THROTTLING_CODES = ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]


def assert_unavailable(response: object) -> None:
    assert_problem(response, 503, "unavailable")
    retry_after = header(response, "Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) > 0


@pytest.mark.parametrize("code", THROTTLING_CODES)
def test_a_throttled_settings_change_is_503_and_nothing_is_half_written(api: Api, code: str) -> None:
    # Given an account, and DynamoDB throttling writes
    sign_up(api, birth_date=BORN_16_17)
    items_before = scan_all_tables()
    undo = throttle("TransactWriteItems", code)
    # When the holder changes a setting
    response = patch_settings(api, {"comments": "everyone"})
    # Then it is 503 unavailable with Retry-After
    assert_unavailable(response)
    # And nothing was written: neither the settings nor an event
    undo()
    assert scan_all_tables() == items_before
    assert len(assert_history_matches_state(api)) == 1


def test_a_change_whose_transaction_is_cancelled_for_throttling_is_503_and_nothing_changes(api: Api) -> None:
    # Given an account, and DynamoDB cancelling transactions with a ThrottlingError reason
    sign_up(api, birth_date=BORN_16_17)
    items_before = scan_all_tables()
    undo = cancel_transactions_as_throttled()
    # When the holder changes a setting
    response = patch_settings(api, {"comments": "everyone"})
    # Then it is 503 unavailable (not a version conflict), and nothing changed
    assert_unavailable(response)
    undo()
    assert scan_all_tables() == items_before


def test_the_change_goes_through_once_the_throttling_stops(api: Api) -> None:
    # Given a change refused while DynamoDB was throttling
    sign_up(api, birth_date=BORN_16_17)
    undo = throttle("TransactWriteItems")
    assert_unavailable(patch_settings(api, {"comments": "everyone"}))
    undo()
    # When the client retries / Then it is applied once, at version 2
    response = patch_settings(api, {"comments": "everyone"})
    assert response.status_code == 200
    assert body(response)["version"] == 2
    assert len(assert_history_matches_state(api)) == 2


def test_a_throttled_sign_up_is_503_and_stores_nothing(api: Api) -> None:
    # Given DynamoDB throttling writes / When the sign-up flow creates an account
    undo = throttle("TransactWriteItems")
    response = api.sign_up(OWNER, BORN_16_17)
    # Then it is 503 unavailable, and nothing is stored
    assert_unavailable(response)
    undo()
    assert scan_all_tables() == []


@pytest.mark.parametrize("code", THROTTLING_CODES)
def test_a_throttled_settings_read_is_503(api: Api, code: str) -> None:
    # Given an account, and DynamoDB throttling reads / When the holder reads the settings / Then 503
    sign_up(api)
    throttle("GetItem", code)
    assert_unavailable(get_settings(api))


def test_a_throttled_history_read_is_503(api: Api) -> None:
    # Given an account, and DynamoDB throttling queries / When an auditor reads the history / Then 503
    sign_up(api)
    throttle("Query")
    assert_unavailable(history_page(api))


def test_a_missing_table_is_503(api: Api) -> None:
    # Given an account, and then the settings table gone
    from tests.conftest import service_dynamodb as dynamodb_client

    sign_up(api)
    dynamodb_client().delete_table(TableName="safety-settings")
    # When the holder reads and changes the settings / Then both are 503 unavailable
    assert_unavailable(get_settings(api, OWNER))
    assert_unavailable(patch_settings(api, {"comments": "no_one"}))
