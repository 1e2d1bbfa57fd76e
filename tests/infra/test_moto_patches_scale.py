"""With the patch, moto's transactions and partition queries cost the same on a table of 20k items as on an empty one.

Figures are printed (run with -s); the assertions are deliberately loose (10x), since CI machines are noisy and moto's
own code is over 100x slower at this size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import moto_patches
from infra.tables import SETTINGS

EMPTY = "scale-empty"
BIG = "scale-big"
BIG_SIZE = 20_000
ROUNDS = 20

Client = Any  # boto3's DynamoDB client


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Client]:
    """An empty settings table and one of 20k accounts, seeded once for the module."""
    moto_patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        for table in (EMPTY, BIG):
            client.create_table(**SETTINGS.create_table_kwargs(table))
            _add_account(client, table, "u-1")
        for start in range(0, BIG_SIZE, 25):
            requests = [_settings_item(f"u-{n}") for n in range(start + 2, min(start + 27, BIG_SIZE + 2))]
            client.batch_write_item(RequestItems={BIG: [{"PutRequest": {"Item": item}} for item in requests]})
        yield client


def _settings_item(account_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"account#{account_id}"}, "sk": {"S": "settings"}, "comments": {"S": "friends"}}


def _add_account(client: Client, table: str, account_id: str) -> None:
    client.put_item(TableName=table, Item=_settings_item(account_id))


def _seconds_each(action: Callable[[int], object]) -> float:
    started = time.perf_counter()
    for n in range(ROUNDS):
        action(n)
    return (time.perf_counter() - started) / ROUNDS


def _change_settings(client: Client, table: str) -> Callable[[int], object]:
    """What a settings change writes: the settings item and one audit event, in one transaction."""

    def change(n: int) -> object:
        settings_update = {
            "TableName": table,
            "Key": {"pk": {"S": "account#u-1"}, "sk": {"S": "settings"}},
            "UpdateExpression": "SET comments = :c",
            "ExpressionAttributeValues": {":c": {"S": f"value-{n}"}},
        }
        event = {"pk": {"S": "account#u-1"}, "sk": {"S": f"event#{n:04}"}}
        return client.transact_write_items(
            TransactItems=[{"Update": settings_update}, {"Put": {"TableName": table, "Item": event}}]
        )

    return change


def _read_history(client: Client, table: str) -> Callable[[int], object]:
    def read(n: int) -> object:
        return client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
            ExpressionAttributeValues={":pk": {"S": "account#u-1"}, ":events": {"S": "event#"}},
            ScanIndexForward=False,
        )

    return read


def _report(what: str, empty: float, big: float) -> None:
    print(f"{what}: empty table {empty * 1e3:.2f} ms, {BIG_SIZE} accounts {big * 1e3:.2f} ms, x{big / empty:.2f}")


def test_a_settings_transaction_on_20k_accounts_costs_about_what_it_costs_on_one(dynamodb: Client) -> None:
    # When the same transactions run against each table
    empty = _seconds_each(_change_settings(dynamodb, EMPTY))
    big = _seconds_each(_change_settings(dynamodb, BIG))

    # Then the big table is not meaningfully slower
    _report("transaction", empty, big)
    assert big < 10 * max(empty, 0.001)


def test_a_history_query_on_20k_accounts_costs_about_what_it_costs_on_one(dynamodb: Client) -> None:
    # Given a history of events on each table
    for table in (EMPTY, BIG):
        _seconds_each(_change_settings(dynamodb, table))

    # When the same history query runs against each
    empty = _seconds_each(_read_history(dynamodb, EMPTY))
    big = _seconds_each(_read_history(dynamodb, BIG))

    # Then the big table is not meaningfully slower
    _report("history query", empty, big)
    assert big < 10 * max(empty, 0.001)
