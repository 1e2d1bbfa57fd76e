"""With the patches, what moto does for a transaction or a query does not grow with the table: counted, not timed.

moto's own transaction deep-copies every table it names, and its query lists every item of the table; patched, a
transaction copies only the items it writes, and a query lists only the partition asked for. These tests count those
copies and listed items on a big table and a small one. The time it takes is a benchmark: bench/moto_patches.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from devstack.scale_items import queue_head, report_item, settings_item, write_all
from infra.tables import REPORTS, SETTINGS

SMALL = "work-small"
BIG = "work-big"
BIG_SIZE = 2_000  # enough to tell "every item" from "the partition": the counts do not depend on the size

Client = Any  # boto3's DynamoDB client


@pytest.fixture
def client() -> Iterator[Client]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="eu-west-1")


@pytest.fixture
def items_copied(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items moto has deep-copied (its transaction's backup, our journal, its update's old image)."""
    copied = [0]
    deepcopy = Item.__deepcopy__

    def counting(item: Item, memo: dict[int, Any]) -> Item:
        copied[0] += 1
        return deepcopy(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counting)
    return copied


@pytest.fixture
def items_listed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each run of moto's own query code has gone through (it reads all of `all_items()`)."""
    listed: list[int] = []

    def counting(query: Callable[..., Any]) -> Callable[..., Any]:
        def run(table: Any, *args: Any, **kwargs: Any) -> Any:
            listed.append(len(table.all_items()))
            return query(table, *args, **kwargs)

        return run

    # moto's query, where the patched query calls it and where moto as released does
    monkeypatch.setattr(moto_patches, "ORIGINAL_QUERY", counting(moto_patches.ORIGINAL_QUERY))
    if not moto_patches.installed():
        monkeypatch.setattr(Table, "query", counting(Table.query))
    return listed


# --- transactions --------------------------------------------------------------------------------------------------


def settings_tables(client: Client) -> None:
    """A settings table of one account, and one of the same account among 2,000."""
    for table in (SMALL, BIG):
        client.create_table(**SETTINGS.create_table_kwargs(table))
    client.put_item(TableName=SMALL, Item=settings_item("u-1"))
    write_all(client, BIG, [settings_item(f"u-{n}") for n in range(1, BIG_SIZE + 1)])


def change_settings(client: Client, table: str, n: int) -> None:
    """What a settings change writes: the settings item and one audit event, in one transaction."""
    settings_update = {
        "TableName": table,
        "Key": {"pk": {"S": "account#u-1"}, "sk": {"S": "settings"}},
        "UpdateExpression": "SET comments = :c",
        "ExpressionAttributeValues": {":c": {"S": f"value-{n}"}},
    }
    event = {"pk": {"S": "account#u-1"}, "sk": {"S": f"event#{n:04}"}}
    client.transact_write_items(
        TransactItems=[{"Update": settings_update}, {"Put": {"TableName": table, "Item": event}}]
    )


def copies_per_change(client: Client, table: str, items_copied: list[int]) -> int:
    before = items_copied[0]
    change_settings(client, table, before)
    return items_copied[0] - before


def test_a_patched_settings_transaction_copies_the_same_few_items_on_2000_accounts_as_on_one(
    patched_moto: None, client: Client, items_copied: list[int]
) -> None:
    # Given a settings table of one account and one of 2,000, on patched moto
    settings_tables(client)

    # When the same settings change runs on each
    small, big = (copies_per_change(client, table, items_copied) for table in (SMALL, BIG))

    # Then each copies the settings item it updates (for its rollback, and moto's update for its old image), no more
    assert (small, big) == (2, 2)


def test_moto_own_settings_transaction_copies_every_item_of_the_table(
    stock_moto: None, client: Client, items_copied: list[int]
) -> None:
    # Given the same tables on moto as released
    settings_tables(client)

    # When the same settings change runs on the big one
    big = copies_per_change(client, BIG, items_copied)

    # Then it copies the whole table first (what the patch is for)
    assert big > BIG_SIZE


# --- queries on the table's own key ----------------------------------------------------------------------------------


def read_history(client: Client, table: str) -> list[str]:
    page = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
        ExpressionAttributeValues={":pk": {"S": "account#u-1"}, ":events": {"S": "event#"}},
        ScanIndexForward=False,
    )
    return [item["sk"]["S"] for item in page["Items"]]


@pytest.mark.parametrize(("engine", "listed_on_big"), [("patched_moto", 6), ("stock_moto", BIG_SIZE + 5)])
def test_a_history_query_lists_one_partition_when_patched_and_the_whole_table_otherwise(
    request: pytest.FixtureRequest, client: Client, engine: str, listed_on_big: int
) -> None:
    # Given an account with five events, alone in one table and among 2,000 accounts in another
    request.getfixturevalue(engine)
    settings_tables(client)
    for table in (SMALL, BIG):
        for n in range(5):
            change_settings(client, table, n)
    listed = request.getfixturevalue("items_listed")

    # When its history is read from each
    histories = [read_history(client, table) for table in (SMALL, BIG)]

    # Then both answers are the same, and moto's query went through the partition (6 items: settings and events)
    # when patched, through every item of the table otherwise
    assert histories == [[f"event#{n:04}" for n in range(4, -1, -1)]] * 2
    assert listed == [6, listed_on_big]


# --- queries on an index -------------------------------------------------------------------------------------------

QUEUE_LENGTH = 20  # open targets, in both tables


def reports_tables(client: Client) -> None:
    """Two reports tables with the same queue, one of 100 items and one of 2,000 (other reporters' reports and
    items in no index, half and half)."""
    for table, size in ((SMALL, 100), (BIG, BIG_SIZE)):
        client.create_table(**REPORTS.create_table_kwargs(table))
        items = [queue_head(n) for n in range(QUEUE_LENGTH)]
        filler = size - len(items)
        items += [report_item(f"u-{n % 200 + 2}", n) for n in range(filler // 2)]
        items += [
            {"pk": {"S": f"TARGET#comment#c-{n}"}, "sk": {"S": "ROUND#r#SHARD#0"}} for n in range(filler - filler // 2)
        ]
        write_all(client, table, items)


def read_queue(client: Client, table: str) -> list[str]:
    page = client.query(
        TableName=table,
        IndexName="moderation_queue",
        KeyConditionExpression="queue_pk = :open",
        ExpressionAttributeValues={":open": {"S": "OPEN"}},
        Limit=QUEUE_LENGTH,
    )
    return [item["pk"]["S"] for item in page["Items"]]


@pytest.mark.parametrize(("engine", "listed_on_big"), [("patched_moto", QUEUE_LENGTH), ("stock_moto", BIG_SIZE)])
def test_a_queue_query_lists_one_index_partition_when_patched_and_the_whole_table_otherwise(
    request: pytest.FixtureRequest, client: Client, engine: str, listed_on_big: int
) -> None:
    # Given the same moderation queue in a reports table of 100 items and in one of 2,000
    request.getfixturevalue(engine)
    reports_tables(client)
    listed = request.getfixturevalue("items_listed")

    # When the queue is read from each
    queues = [read_queue(client, table) for table in (SMALL, BIG)]

    # Then both answers are the same, and moto's query went through the open targets only when patched
    assert queues[0] == queues[1] and len(queues[0]) == QUEUE_LENGTH
    assert listed[1] == listed_on_big


def test_after_each_write_a_patched_queue_query_rereads_only_what_was_written(
    patched_moto: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the queue of a reports table of 2,000 items, read once (which builds the table's map of index partitions)
    reports_tables(client)
    read_queue(client, BIG)
    builds: list[int] = []
    rereads: list[int] = []
    build, refresh = moto_patches._IndexPartitions.__init__, moto_patches._IndexPartitions.refresh

    def counting_build(state: Any, table: Table) -> None:
        builds.append(1)
        build(state, table)

    def counting_refresh(state: Any, table: Table) -> None:
        rereads.append(len(state.dirty))
        refresh(state, table)

    monkeypatch.setattr(moto_patches._IndexPartitions, "__init__", counting_build)
    monkeypatch.setattr(moto_patches._IndexPartitions, "refresh", counting_refresh)

    # When reports keep arriving, each followed by a read of the queue, and a target opens
    for n in range(10):
        client.put_item(TableName=BIG, Item=report_item("u-9999", 100_000 + n))
        read_queue(client, BIG)
    client.put_item(TableName=BIG, Item={**queue_head(99), "queue_sk": {"S": "0#0000"}})
    queue = read_queue(client, BIG)

    # Then the map is never built again: each read re-reads just the item written before it, and sees it
    assert builds == []
    assert rereads == [1] * 11
    assert queue[0] == "TARGET#comment#open-99"
