"""With the patch, moto's transactions and partition queries cost the same on a table of 20k items as on an empty one,
and a query on an index partition costs the same in a table of 20k items as in one of 100.

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
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from infra.tables import REPORTS, SETTINGS

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


# --- index queries: the moderation queue and a reporter's reports -----------------------------------------------------

SMALL_REPORTS = "scale-reports-small"
BIG_REPORTS = "scale-reports-big"
SMALL_SIZE = 100
QUEUE_LENGTH = 20  # open targets, in both tables
MY_REPORTS = 10  # reports by the reporter read, in both tables


@pytest.fixture(scope="module")
def reports_tables() -> Iterator[Client]:
    """Two reports tables with the same queue and the same reporter's reports, one of 100 items and one of 20k."""
    moto_patches.install()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        for table, size in ((SMALL_REPORTS, SMALL_SIZE), (BIG_REPORTS, BIG_SIZE)):
            client.create_table(**REPORTS.create_table_kwargs(table))
            items = [_queue_head(n) for n in range(QUEUE_LENGTH)]
            items += [_report_item("u-1", n) for n in range(MY_REPORTS)]
            # Everyone else's reports (in the other index) and items in no index at all, half and half.
            filler = size - len(items)
            items += [_report_item(f"u-{n % 2000 + 2}", n) for n in range(filler // 2)]
            items += [
                {"pk": {"S": f"TARGET#comment#c-{n}"}, "sk": {"S": "ROUND#r#SHARD#0"}}
                for n in range(filler - filler // 2)
            ]
            for start in range(0, len(items), 25):
                requests: list[Any] = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
                client.batch_write_item(RequestItems={table: requests})
        yield client


def _queue_head(n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"TARGET#comment#open-{n}"},
        "sk": {"S": "OPEN"},
        "queue_pk": {"S": "OPEN"},
        "queue_sk": {"S": f"{n % 3}#2024-01-01T00:00:{n:02}+00:00#comment#open-{n}"},
    }


def _report_item(reporter: str, n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"REPORT#{reporter}-{n}"},
        "sk": {"S": "REPORT"},
        "reporter_pk": {"S": f"REPORTER#{reporter}"},
        "reporter_sk": {"S": f"2024-01-01T00:00:00+00:00#{n:06}"},
    }


def _read_queue(client: Client, table: str) -> Callable[[int], object]:
    def read(n: int) -> object:
        page = client.query(
            TableName=table,
            IndexName="moderation_queue",
            KeyConditionExpression="queue_pk = :open",
            ExpressionAttributeValues={":open": {"S": "OPEN"}},
            Limit=QUEUE_LENGTH,
        )
        assert page["Count"] == QUEUE_LENGTH
        return page

    return read


def _read_my_reports(client: Client, table: str) -> Callable[[int], object]:
    def read(n: int) -> object:
        page = client.query(
            TableName=table,
            IndexName="by_reporter",
            KeyConditionExpression="reporter_pk = :reporter",
            ExpressionAttributeValues={":reporter": {"S": "REPORTER#u-1"}},
            ScanIndexForward=False,
            Limit=50,
        )
        assert page["Count"] == MY_REPORTS
        return page

    return read


def _moto_seconds_each(action: Callable[[int], object]) -> float:
    """moto's own query, for scale (fewer rounds: it is slow)."""
    Table.query = moto_patches.ORIGINAL_QUERY  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        for n in range(3):
            action(n)
        return (time.perf_counter() - started) / 3
    finally:
        Table.query = moto_patches._query  # type: ignore[method-assign]


@pytest.mark.parametrize("read", [_read_queue, _read_my_reports], ids=["moderation_queue", "by_reporter"])
def test_an_index_query_on_20k_reports_costs_about_what_it_costs_on_100(
    reports_tables: Client, read: Callable[[Client, str], Callable[[int], object]]
) -> None:
    # Given each table read through the index once (the first read builds the index map)
    for table in (SMALL_REPORTS, BIG_REPORTS):
        read(reports_tables, table)(0)

    # When the same index query runs against each, then while reports keep arriving in the big one
    small = _seconds_each(read(reports_tables, SMALL_REPORTS))
    big = _seconds_each(read(reports_tables, BIG_REPORTS))

    def read_after_a_write(n: int) -> object:
        reports_tables.put_item(TableName=BIG_REPORTS, Item=_report_item("u-9999", 100_000 + n))
        return read(reports_tables, BIG_REPORTS)(n)

    big_writing = _seconds_each(read_after_a_write)
    moto_big = _moto_seconds_each(read(reports_tables, BIG_REPORTS))

    # Then the big table is not meaningfully slower (moto's own code is, for scale)
    print(
        f"{read.__name__.strip('_')}: {SMALL_SIZE} items {small * 1e3:.2f} ms, {BIG_SIZE} items {big * 1e3:.2f} ms "
        f"(x{big / small:.2f}), after a write each {big_writing * 1e3:.2f} ms; moto's own {moto_big * 1e3:.2f} ms"
    )
    assert big < 10 * max(small, 0.001)
    assert big_writing < 10 * max(small, 0.001)
