"""Queries on an index answer exactly as moto's own, whatever was written before: each query here runs through both.

The patched query reads a map of index partitions that puts, updates, deletes and rolled-back transactions keep in
step; the random tests write every way the service (and moto) can, then compare every page of many queries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from infra.tables import REPORTS
from tests.devstack.test_moto_patches import use_patched_code

Client = Any  # boto3's DynamoDB client
REGION = "eu-west-1"
RANGED = "index-ranged"  # pk/sk, like the service's tables
FLAT = "index-flat"  # a partition key alone

# Values each attribute takes: few, so that partitions share items, index sort keys tie and items move between them.
# Numbers include "1" and "1.0", which DynamoDB (and moto) hold equal.
VALUES: dict[str, tuple[str, list[str]]] = {
    "pk": ("S", ["a", "b", "c", "d"]),
    "sk": ("S", ["1", "2", "3", "4", "5"]),
    "id": ("S", ["a", "b", "c", "d", "e", "f", "g", "h"]),
    "queue_pk": ("S", ["OPEN", "HELD"]),
    "queue_sk": ("S", ["1#x", "1#y", "2#x", "2#z", "3#a"]),
    "reporter_pk": ("S", ["REPORTER#1", "REPORTER#2"]),
    "reporter_sk": ("S", ["2024-01-01#a", "2024-01-01#b", "2024-02-01#a"]),
    "colour": ("S", ["red", "blue", "green"]),
    "rank": ("N", ["1", "1.0", "2", "10"]),
    "size": ("N", ["1", "2", "3", "20"]),
    "note": ("S", ["x", "y"]),
}


def _ranged_table(name: str) -> dict[str, Any]:
    """Global indexes without a sort key, on a number, and projecting keys or some attributes; a local index."""
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": VALUES[attr][0]} for attr in ("pk", "sk", "colour", "rank", "size")
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "by_rank",
                "KeySchema": [
                    {"AttributeName": "rank", "KeyType": "HASH"},
                    {"AttributeName": "size", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["colour"]},
            },
        ],
        "LocalSecondaryIndexes": [
            {
                "IndexName": "by_size",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "size", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def _flat_table(name: str) -> dict[str, Any]:
    return {
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": VALUES[attr][0]} for attr in ("id", "colour", "size")
        ],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_colour",
                "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "by_colour_size",
                "KeySchema": [
                    {"AttributeName": "colour", "KeyType": "HASH"},
                    {"AttributeName": "size", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    }


# Per table: its key attributes, the other attributes an item may have, and {index: (partition key, sort key)}.
SHAPES: dict[str, tuple[list[str], list[str], dict[str, tuple[str, str | None]]]] = {
    REPORTS.default_name: (
        ["pk", "sk"],
        ["queue_pk", "queue_sk", "reporter_pk", "reporter_sk", "note"],
        {"moderation_queue": ("queue_pk", "queue_sk"), "by_reporter": ("reporter_pk", "reporter_sk")},
    ),
    RANGED: (
        ["pk", "sk"],
        ["colour", "rank", "size", "note"],
        {"by_colour": ("colour", None), "by_rank": ("rank", "size"), "by_size": ("pk", "size")},
    ),
    FLAT: (["id"], ["colour", "size", "note"], {"by_colour": ("colour", None), "by_colour_size": ("colour", "size")}),
}


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """moto with the patches, and the three table shapes."""
    use_patched_code(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**REPORTS.create_table_kwargs(REPORTS.default_name))
        client.create_table(**_ranged_table(RANGED))
        client.create_table(**_flat_table(FLAT))
        yield client


def _table(name: str) -> Table:
    backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    return backend.get_table(name)


@contextmanager
def _moto_query() -> Iterator[None]:
    Table.query = moto_patches.ORIGINAL_QUERY  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = moto_patches._query  # type: ignore[method-assign]


def _answer(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        response = call()
    except ClientError as error:
        return {"error": error.response["Error"]}
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def both(client: Client, **query: Any) -> dict[str, Any]:
    """The page the patched query gives, after checking that moto's own gives the same."""
    ours = _answer(lambda: client.query(**query))
    with _moto_query():
        theirs = _answer(lambda: client.query(**query))
    assert ours == theirs, query
    return ours


def every_page(client: Client, between: Callable[[], object] = lambda: None, **query: Any) -> list[dict[str, Any]]:
    """Every page of a query, each checked against moto's own; `between` runs between pages."""
    pages = [both(client, **query)]
    while "LastEvaluatedKey" in pages[-1]:
        between()
        pages.append(both(client, **query, ExclusiveStartKey=pages[-1]["LastEvaluatedKey"]))
    return pages


def by_index(client: Client, table: str, index: str, attr: str, value: dict[str, str], **more: Any) -> list[str]:
    """Every item's table key in the index partition, in the order the query gives them (checked both ways)."""
    pages = every_page(
        client,
        TableName=table,
        IndexName=index,
        KeyConditionExpression="#p = :p",
        ExpressionAttributeNames={"#p": attr},
        ExpressionAttributeValues={":p": value},
        **more,
    )
    return [f"{item['pk']['S']}/{item['sk']['S']}" for page in pages for item in page["Items"]]


# --- random writes -------------------------------------------------------------------------------------------------


class Writer:
    """Random writes of every kind to one table, failing ones included."""

    def __init__(self, client: Client, table: str, rng: random.Random) -> None:
        self.client = client
        self.table = table
        self.rng = rng
        self.key_attrs, self.other_attrs, self.indexes = SHAPES[table]

    def value(self, attr: str) -> dict[str, str]:
        kind, values = VALUES[attr]
        return {kind: self.rng.choice(values)}

    def key(self) -> dict[str, Any]:
        return {attr: self.value(attr) for attr in self.key_attrs}

    def item(self, key: dict[str, Any] | None = None) -> dict[str, Any]:
        attrs = {attr: self.value(attr) for attr in self.other_attrs if self.rng.random() < 0.6}
        return {**attrs, **(key or self.key())}

    def any_write(self) -> None:
        self.rng.choice([self.put, self.put, self.update, self.update, self.delete, self.transact, self.batch])()

    def put(self) -> None:
        condition = {"ConditionExpression": "attribute_not_exists(note)"} if self.rng.random() < 0.3 else {}
        self._ignoring_refusals(lambda: self.client.put_item(TableName=self.table, Item=self.item(), **condition))

    def update(self) -> None:
        self._ignoring_refusals(lambda: self.client.update_item(**self._update(self.key())))

    def delete(self) -> None:
        self._ignoring_refusals(lambda: self.client.delete_item(TableName=self.table, Key=self.key()))

    def transact(self) -> None:
        keys = list({str(key): key for key in (self.key() for _ in range(self.rng.randint(1, 4)))}.values())
        operations = [self._operation(key) for key in keys]
        if self.rng.random() < 0.5:  # a condition that cannot hold: the whole transaction is cancelled
            _, operation = self.rng.choice(operations)
            operation.setdefault("ConditionExpression", "attribute_exists(nothing_has_this)")
        transaction = [{kind: operation} for kind, operation in operations]
        self._ignoring_refusals(lambda: self.client.transact_write_items(TransactItems=transaction))

    def batch(self) -> None:
        keys = list({str(key): key for key in (self.key() for _ in range(self.rng.randint(1, 5)))}.values())
        requests = [
            {"PutRequest": {"Item": self.item(key)}} if self.rng.random() < 0.7 else {"DeleteRequest": {"Key": key}}
            for key in keys
        ]
        self.client.batch_write_item(RequestItems={self.table: requests})

    def _operation(self, key: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        kind = self.rng.choice(["Put", "Update", "Delete"])
        if kind == "Put":
            return kind, {"TableName": self.table, "Item": self.item(key)}
        if kind == "Update":
            return kind, self._update(key)
        return kind, {"TableName": self.table, "Key": key}

    def _update(self, key: dict[str, Any]) -> dict[str, Any]:
        attr = self.rng.choice(self.other_attrs)
        update: dict[str, Any] = {"TableName": self.table, "Key": key, "ExpressionAttributeNames": {"#a": attr}}
        if self.rng.random() < 0.3:
            update["UpdateExpression"] = "REMOVE #a"
        else:
            update["UpdateExpression"] = "SET #a = :v"
            update["ExpressionAttributeValues"] = {":v": self.value(attr)}
        if self.rng.random() < 0.2:
            update["ConditionExpression"] = "attribute_exists(#a)"
        return update

    def _ignoring_refusals(self, write: Callable[[], object]) -> None:
        try:
            write()
        except ClientError as error:
            assert error.response["Error"]["Code"] in {
                "ConditionalCheckFailedException",
                "TransactionCanceledException",
            }


def random_query(writer: Writer) -> dict[str, Any]:
    """A query on a random index partition (which may be empty), with the options the service and moto allow."""
    rng = writer.rng
    index = rng.choice(sorted(writer.indexes))
    partition_attr, sort_attr = writer.indexes[index]
    names = {"#p": partition_attr}
    absent = {"N": "99"} if VALUES[partition_attr][0] == "N" else {"S": "nobody"}
    values: dict[str, Any] = {":p": writer.value(partition_attr) if rng.random() < 0.9 else absent}
    condition = "#p = :p"
    if sort_attr is not None and rng.random() < 0.4:
        names["#s"] = sort_attr
        kind = VALUES[sort_attr][0]
        low, high = sorted(
            [writer.value(sort_attr)[kind] for _ in range(2)], key=lambda v: float(v) if kind == "N" else v
        )
        values[":low"], values[":high"] = {kind: low}, {kind: high}
        condition += rng.choice([" AND #s BETWEEN :low AND :high", " AND #s > :low", " AND #s <= :high"])
        if kind == "S" and rng.random() < 0.3:
            condition = "#p = :p AND begins_with(#s, :prefix)"
            values = {":p": values[":p"], ":prefix": {"S": low[:2]}}
    query: dict[str, Any] = {
        "TableName": writer.table,
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ScanIndexForward": rng.random() < 0.5,
    }
    limit = rng.choice([None, 1, 2, 3, 7])
    if limit is not None:
        query["Limit"] = limit
    extra = rng.random()
    if extra < 0.2:
        query["FilterExpression"] = "attribute_exists(note)"
    elif extra < 0.3:
        query["Select"] = "COUNT"
    elif extra < 0.4:
        query["ProjectionExpression"] = ", ".join(writer.key_attrs)
    query["ExpressionAttributeNames"] = names
    query["ExpressionAttributeValues"] = values
    return query


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("table", sorted(SHAPES))
def test_index_queries_answer_as_moto_after_random_writes(dynamodb: Client, table: str, seed: int) -> None:
    # Given a table written at random (puts, updates, deletes, cancelled and successful transactions, batches)
    writer = Writer(dynamodb, table, random.Random(f"{table}-{seed}"))
    for _ in range(40):
        writer.any_write()

    pages = 0
    for _ in range(30):
        # When more writes come, then random queries page through index partitions, sometimes with writes between
        for _ in range(writer.rng.randint(0, 4)):
            writer.any_write()
        for _ in range(4):
            query = random_query(writer)

            def meanwhile() -> None:
                if writer.rng.random() < 0.3:
                    writer.any_write()

            # Then every page is moto's own (`every_page` compares them)
            pages += len(every_page(dynamodb, meanwhile, **query))

    assert pages > 120
    assert moto_patches._STATE in vars(_table(table))  # the map answered (on the index that has one)


# --- particular cases ----------------------------------------------------------------------------------------------

TABLE = REPORTS.default_name
OPEN = {"S": "OPEN"}


def queue_item(pk: str, queue_sk: str, **more: str) -> dict[str, Any]:
    attrs = {"pk": pk, "sk": "OPEN", "queue_pk": "OPEN", "queue_sk": queue_sk, **more}
    return {name: {"S": value} for name, value in attrs.items()}


def queue(client: Client, **more: Any) -> list[str]:
    return by_index(client, TABLE, "moderation_queue", "queue_pk", OPEN, **more)


def test_items_join_and_leave_an_index_partition_as_they_change(dynamodb: Client) -> None:
    # Given three open targets and a report that is in no index
    for pk, queue_sk in (("T#1", "2#b"), ("T#2", "1#a"), ("T#3", "2#a")):
        dynamodb.put_item(TableName=TABLE, Item=queue_item(pk, queue_sk))
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "R#1"}, "sk": {"S": "REPORT"}})
    assert queue(dynamodb) == ["T#2/OPEN", "T#3/OPEN", "T#1/OPEN"]

    # When one is raised in priority, one loses its sort key, one is deleted and the report joins the queue
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "T#1"}, "sk": {"S": "OPEN"}},
        UpdateExpression="SET queue_sk = :sk",
        ExpressionAttributeValues={":sk": {"S": "0#z"}},
    )
    dynamodb.update_item(
        TableName=TABLE, Key={"pk": {"S": "T#2"}, "sk": {"S": "OPEN"}}, UpdateExpression="REMOVE queue_sk"
    )
    dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "T#3"}, "sk": {"S": "OPEN"}})
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "R#1"}, "sk": {"S": "REPORT"}},
        UpdateExpression="SET queue_pk = :open, queue_sk = :sk",
        ExpressionAttributeValues={":open": OPEN, ":sk": {"S": "9#z"}},
    )

    # Then the queue follows, newest state first to last, both ways
    assert queue(dynamodb) == ["T#1/OPEN", "R#1/REPORT"]
    assert queue(dynamodb, ScanIndexForward=False) == ["R#1/REPORT", "T#1/OPEN"]


@pytest.mark.parametrize("transactions", ["patched", "moto"])
def test_a_cancelled_transaction_leaves_index_partitions_as_they_were(
    dynamodb: Client, monkeypatch: pytest.MonkeyPatch, transactions: str
) -> None:
    # Given two open targets, read once (so the map exists), with either transaction code
    if transactions == "moto":  # moto rolls back by putting back a copy of the whole table
        monkeypatch.setattr(DynamoDBBackend, "transact_write_items", moto_patches.ORIGINAL_TRANSACT_WRITE_ITEMS)
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#1", "1#a"))
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#2", "1#b"))
    assert queue(dynamodb) == ["T#1/OPEN", "T#2/OPEN"]

    # When a transaction closes one, moves the other and opens a third, then fails a condition
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "T#1"}, "sk": {"S": "OPEN"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "T#2"}, "sk": {"S": "OPEN"}},
                        "UpdateExpression": "SET queue_pk = :held",
                        "ExpressionAttributeValues": {":held": {"S": "HELD"}},
                    }
                },
                {"Put": {"TableName": TABLE, "Item": queue_item("T#3", "0#a")}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "T#9"}, "sk": {"S": "OPEN"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    # Then the queue is as it was, and the next write is still seen
    assert queue(dynamodb) == ["T#1/OPEN", "T#2/OPEN"]
    assert by_index(dynamodb, TABLE, "moderation_queue", "queue_pk", {"S": "HELD"}) == []
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#4", "0#b"))
    assert queue(dynamodb) == ["T#4/OPEN", "T#1/OPEN", "T#2/OPEN"]


def test_a_page_can_start_after_an_item_deleted_since(dynamodb: Client) -> None:
    # Given five open targets, read two at a time
    for n in range(5):
        dynamodb.put_item(TableName=TABLE, Item=queue_item(f"T#{n}", f"1#{n}"))
    query = {
        "TableName": TABLE,
        "IndexName": "moderation_queue",
        "KeyConditionExpression": "queue_pk = :p",
        "ExpressionAttributeValues": {":p": OPEN},
        "Limit": 2,
    }
    first = both(dynamodb, **query)

    # When the last item of the page is deleted and another target opens before it
    dynamodb.delete_item(TableName=TABLE, Key=first["LastEvaluatedKey"])
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#9", "0#a"))
    second = both(dynamodb, **query, ExclusiveStartKey=first["LastEvaluatedKey"])

    # Then the next page starts where the first stopped, as moto's does
    assert [item["pk"]["S"] for item in second["Items"]] == ["T#2", "T#3"]


def test_an_index_added_later_is_answered(dynamodb: Client) -> None:
    # Given items read through an index (so the map exists)
    for n in range(3):
        item = {"pk": {"S": f"A#{n}"}, "sk": {"S": "S"}, "colour": {"S": "red"}, "queue_pk": OPEN}
        dynamodb.put_item(TableName=TABLE, Item={**item, "queue_sk": {"S": f"{n}"}})
    assert queue(dynamodb) == ["A#0/S", "A#1/S", "A#2/S"]

    # When an index on another attribute is added
    dynamodb.update_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by_colour",
                    "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )

    # Then it finds the items already there
    assert by_index(dynamodb, TABLE, "by_colour", "colour", {"S": "red"}) == ["A#0/S", "A#1/S", "A#2/S"]


def test_a_table_restored_from_a_backup_answers_from_its_own_items(dynamodb: Client) -> None:
    # Given a backup taken of a queue that has been read, and a change made after it
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#1", "1#a"))
    assert queue(dynamodb) == ["T#1/OPEN"]
    backup = dynamodb.create_backup(TableName=TABLE, BackupName="queue-backup")["BackupDetails"]["BackupArn"]
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#2", "1#b"))

    # When it is restored as another table
    dynamodb.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)

    # Then each table answers with its own items
    assert by_index(dynamodb, "restored", "moderation_queue", "queue_pk", OPEN) == ["T#1/OPEN"]
    assert queue(dynamodb) == ["T#1/OPEN", "T#2/OPEN"]


def test_partiql_writes_are_seen(dynamodb: Client) -> None:
    # Given an open target, read once
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#1", "1#a"))
    assert queue(dynamodb) == ["T#1/OPEN"]

    # When PartiQL holds it and inserts another open target
    dynamodb.execute_statement(Statement=f"UPDATE \"{TABLE}\" SET queue_pk='HELD' WHERE pk='T#1' AND sk='OPEN'")
    dynamodb.execute_statement(
        Statement=f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'T#2', 'sk': 'OPEN', 'queue_pk': 'OPEN', 'queue_sk': '1#b'}}"
    )

    # Then the queue shows it
    assert queue(dynamodb) == ["T#2/OPEN"]
    assert by_index(dynamodb, TABLE, "moderation_queue", "queue_pk", {"S": "HELD"}) == ["T#1/OPEN"]


def test_queries_the_map_cannot_serve_are_moto_own(dynamodb: Client) -> None:
    # Given an open target
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#1", "1#a"))

    # When queries name an unknown index, or ask for consistency an index cannot give
    unknown = both(
        dynamodb,
        TableName=TABLE,
        IndexName="nope",
        KeyConditionExpression="queue_pk = :p",
        ExpressionAttributeValues={":p": OPEN},
    )
    consistent = both(
        dynamodb,
        TableName=TABLE,
        IndexName="moderation_queue",
        KeyConditionExpression="queue_pk = :p",
        ExpressionAttributeValues={":p": OPEN},
        ConsistentRead=True,
    )

    # Then they fail as moto's do (`both` compares them)
    assert unknown["error"]["Code"] == "ResourceNotFoundException"
    assert consistent["error"]["Code"] == "ValidationException"


def test_index_sort_keys_of_mixed_types_sort_as_moto_sorts_them(dynamodb: Client) -> None:
    # Given open targets whose queue sort keys are booleans and numbers, which moto holds neither equal nor ordered
    # (DynamoDB would refuse values of another type than the key's; moto stores them)
    for pk, queue_sk in (("T#1", {"BOOL": True}), ("T#2", {"N": "1"}), ("T#3", {"BOOL": True}), ("T#0", {"N": "1"})):
        dynamodb.put_item(TableName=TABLE, Item={**queue_item(pk, ""), "queue_sk": queue_sk})

    # When the queue is read both ways, then it comes in moto's order (`by_index` compares every page)
    assert sorted(queue(dynamodb)) == ["T#0/OPEN", "T#1/OPEN", "T#2/OPEN", "T#3/OPEN"]
    assert len(queue(dynamodb, ScanIndexForward=False, Limit=3)) >= 3  # moto's paging may skip ties; ours alike

    # And a string among them makes both fail alike
    dynamodb.put_item(TableName=TABLE, Item=queue_item("T#4", "1"))
    failures = []
    for query in (moto_patches._query, moto_patches.ORIGINAL_QUERY):
        Table.query = query  # type: ignore[method-assign]
        try:
            with pytest.raises(TypeError) as raised:
                dynamodb.query(
                    TableName=TABLE,
                    IndexName="moderation_queue",
                    KeyConditionExpression="queue_pk = :p",
                    ExpressionAttributeValues={":p": OPEN},
                )
        finally:
            Table.query = moto_patches._query  # type: ignore[method-assign]
        failures.append(str(raised.value))
    assert failures[0] == failures[1]
