"""Random DynamoDB operations (hypothesis strategies) over three table shapes, for the equivalence tests.

Values come from small sets, so that items collide, index partitions share items, index sort keys tie and items move
between partitions. Numbers include "1" and "1.0", which DynamoDB (and moto) hold equal.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from hypothesis import strategies as st

from infra.tables import REPORTS
from tests.devstack.equivalence import Call, Operation, Pages

RANGED = "shape-ranged"  # pk/sk like the service's tables, with a stream, a local index and a number-keyed index
FLAT = "shape-flat"  # a partition key alone
SERVICE = REPORTS.default_name  # the reports table as deployed: the moderation queue and a reporter's reports

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


def ranged_table() -> dict[str, Any]:
    """Global indexes without a sort key, on a number, projecting keys or some attributes; a local index; a stream."""
    return {
        "TableName": RANGED,
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": VALUES[attr][0]} for attr in ("pk", "sk", "colour", "rank", "size")
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
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


def flat_table() -> dict[str, Any]:
    return {
        "TableName": FLAT,
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


def service_table() -> dict[str, Any]:
    """The reports table as deployed, but for encryption at rest (moto makes a KMS key for it, slowly)."""
    kwargs = REPORTS.create_table_kwargs(SERVICE)
    del kwargs["SSESpecification"]
    return kwargs


TABLES = [service_table(), ranged_table(), flat_table()]

# Per table: its key attributes, the other attributes an item may have, and {index: (partition key, sort key)}.
SHAPES: dict[str, tuple[list[str], list[str], dict[str, tuple[str, str | None]]]] = {
    SERVICE: (
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
TABLE_NAMES = sorted(SHAPES)


def value(attr: str) -> st.SearchStrategy[dict[str, str]]:
    kind, values = VALUES[attr]
    return st.sampled_from(values).map(lambda chosen: {kind: chosen})


def key(table: str) -> st.SearchStrategy[dict[str, Any]]:
    key_attrs, _, _ = SHAPES[table]
    return st.fixed_dictionaries({attr: value(attr) for attr in key_attrs})


@st.composite
def item(draw: st.DrawFn, table: str, item_key: dict[str, Any] | None = None) -> dict[str, Any]:
    """An item whose other attributes are each there three times in four: most items are in most indexes."""
    _, other_attrs, _ = SHAPES[table]
    attrs = {attr: draw(value(attr)) for attr in other_attrs if draw(st.integers(0, 3)) < 3}
    return {**attrs, **(item_key or draw(key(table)))}


def _maybe(draw: st.DrawFn, options: dict[str, Any]) -> dict[str, Any]:
    """Some of `options`, each one or not."""
    return {name: chosen for name, chosen in options.items() if draw(st.booleans())}


@st.composite
def seed(draw: st.DrawFn) -> list[Call]:
    """Items to start from: at least half the keys of each table (their key sets are small), written in batches.

    Made from one drawn number rather than drawn item by item: drawing hundreds of values costs hypothesis more than
    running the operations, and a failure is found (and shrunk) in the operations after the seed anyway.
    """
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    calls = []
    for table in TABLE_NAMES:
        key_attrs, other_attrs, _ = SHAPES[table]
        every_key = [
            dict(zip(key_attrs, chosen, strict=True))
            for chosen in itertools.product(*(VALUES[attr][1] for attr in key_attrs))
        ]
        items = []
        for item_key in rng.sample(every_key, rng.randint(len(every_key) // 2, len(every_key))):
            attrs = {**item_key, **{attr: rng.choice(VALUES[attr][1]) for attr in other_attrs if rng.random() < 0.75}}
            items.append({attr: {VALUES[attr][0]: chosen} for attr, chosen in attrs.items()})
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": seeded}} for seeded in items[start : start + 25]]
            calls.append(Call("batch_write_item", {"RequestItems": {table: requests}}))
    return calls


# --- writes --------------------------------------------------------------------------------------------------------


@st.composite
def put(draw: st.DrawFn, table: str) -> Call:
    extra = _maybe(draw, {"ConditionExpression": "attribute_not_exists(note)", "ReturnValues": "ALL_OLD"})
    return Call("put_item", {"TableName": table, "Item": draw(item(table)), **extra})


@st.composite
def update_spec(draw: st.DrawFn, table: str, update_key: dict[str, Any]) -> dict[str, Any]:
    """An update of one attribute that is not part of the table's key: set (most often: it moves the item between
    index partitions), removed or added to."""
    _, other_attrs, indexes = SHAPES[table]
    partition_attrs = sorted({partition for partition, _ in indexes.values()} & set(other_attrs))
    attr = draw(st.sampled_from([*partition_attrs, *other_attrs]))
    spec: dict[str, Any] = {"TableName": table, "Key": update_key, "ExpressionAttributeNames": {"#a": attr}}
    how = draw(st.sampled_from(["SET", "SET", "REMOVE", *(["ADD"] if VALUES[attr][0] == "N" else [])]))
    if how == "REMOVE":
        spec["UpdateExpression"] = "REMOVE #a"
    else:
        spec["UpdateExpression"] = "SET #a = :v" if how == "SET" else "ADD #a :v"
        spec["ExpressionAttributeValues"] = {":v": draw(value(attr))}
    if draw(st.integers(0, 4)) == 0:
        spec["ConditionExpression"] = "attribute_exists(#a)"
    return spec


@st.composite
def update(draw: st.DrawFn, table: str) -> Call:
    spec = draw(update_spec(table, draw(key(table))))
    returns = draw(st.sampled_from([None, "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"]))
    if returns:
        spec["ReturnValues"] = returns
    return Call("update_item", spec)


@st.composite
def delete(draw: st.DrawFn, table: str) -> Call:
    extra = _maybe(draw, {"ConditionExpression": "attribute_exists(note)", "ReturnValues": "ALL_OLD"})
    return Call("delete_item", {"TableName": table, "Key": draw(key(table)), **extra})


@st.composite
def batch_write(draw: st.DrawFn, table: str) -> Call:
    requests = []
    for item_key in draw(st.lists(key(table), min_size=1, max_size=5, unique_by=repr)):
        if draw(st.booleans()):
            requests.append({"PutRequest": {"Item": draw(item(table, item_key))}})
        else:
            requests.append({"DeleteRequest": {"Key": item_key}})
    return Call("batch_write_item", {"RequestItems": {table: requests}})


# Conditions a transaction item may carry: most hold on some items, one never holds.
_CONDITIONS = [
    "attribute_exists(note)",
    "attribute_not_exists(note)",
    "attribute_not_exists(nothing_has_this)",
    "attribute_exists(nothing_has_this)",
]


@st.composite
def transaction_item(draw: st.DrawFn, table: str, item_key: dict[str, Any]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Put", "Put", "Update", "Update", "Delete", "ConditionCheck"]))
    if kind == "Put":
        spec: dict[str, Any] = {"TableName": table, "Item": draw(item(table, item_key))}
    elif kind == "Update":
        spec = draw(update_spec(table, item_key))
    else:
        spec = {"TableName": table, "Key": item_key}
    if kind == "ConditionCheck" or draw(st.integers(0, 3)) == 0:
        spec.setdefault("ConditionExpression", draw(st.sampled_from(_CONDITIONS)))
    if "ConditionExpression" in spec and draw(st.booleans()):
        spec["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return {kind: spec}


@st.composite
def transaction(draw: st.DrawFn) -> Call:
    """1-4 items over one or more tables; sometimes one item twice or a key cut short (both refused), or a table that
    does not exist."""
    targets = draw(
        st.lists(
            st.sampled_from(TABLE_NAMES).flatmap(lambda table: st.tuples(st.just(table), key(table))),
            min_size=1,
            max_size=4,
            unique_by=repr,
        )
    )
    items = [draw(transaction_item(table, item_key)) for table, item_key in targets]
    odd = draw(st.integers(0, 19))
    if odd == 0:  # the same item twice: a ValidationException, and nothing written
        items.append(draw(transaction_item(*targets[0])))
    elif odd == 1:  # a key without its sort key: a ValidationException, and nothing written
        items.append(
            {
                "ConditionCheck": {
                    "TableName": RANGED,
                    "Key": {"pk": {"S": "a"}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        )
    elif odd == 2:  # a table that does not exist: cancelled, with that item's reason
        missing = {"TableName": "no-such-table", "Key": {"pk": {"S": "a"}}}
        items.append({"ConditionCheck": {**missing, "ConditionExpression": "attribute_exists(pk)"}})
    return Call("transact_write_items", {"TransactItems": items})


def writes() -> list[st.SearchStrategy[Call]]:
    """One strategy per kind of write, each on any table."""
    tables = st.sampled_from(TABLE_NAMES)
    return [tables.flatmap(kind) for kind in (put, update, delete, batch_write)] + [transaction()]


def any_write() -> st.SearchStrategy[Call]:
    return st.one_of(*writes())


@st.composite
def get_item(draw: st.DrawFn, table: str) -> Call:
    key_attrs, _, _ = SHAPES[table]
    extra = _maybe(draw, {"ConsistentRead": True, "ProjectionExpression": ", ".join(key_attrs)})
    return Call("get_item", {"TableName": table, "Key": draw(key(table)), **extra})


# --- queries -------------------------------------------------------------------------------------------------------


@st.composite
def query(draw: st.DrawFn, table: str, on_index: bool) -> dict[str, Any]:
    """A query of one partition (which may be empty) of the table or one of its indexes, with the options moto has:
    sort key conditions, ScanIndexForward, Limit, a filter, COUNT or a projection."""
    key_attrs, _, indexes = SHAPES[table]
    spec: dict[str, Any] = {"TableName": table}
    if on_index:
        spec["IndexName"] = draw(st.sampled_from(sorted(indexes)))
        partition_attr, sort_attr = indexes[spec["IndexName"]]
    else:
        partition_attr, sort_attr = key_attrs[0], (key_attrs[1] if len(key_attrs) > 1 else None)
    absent = {"N": "99"} if VALUES[partition_attr][0] == "N" else {"S": "nobody"}  # an empty partition
    names = {"#p": partition_attr}
    values: dict[str, Any] = {":p": draw(st.sampled_from([*VALUES[partition_attr][1], None]))}
    values[":p"] = absent if values[":p"] is None else {VALUES[partition_attr][0]: values[":p"]}
    condition = "#p = :p"
    if sort_attr is not None and draw(st.booleans()):
        names["#s"] = sort_attr
        kind, choices = VALUES[sort_attr]
        low, high = sorted(draw(st.lists(st.sampled_from(choices), min_size=2, max_size=2)), key=_sort_key(kind))
        sort_condition = draw(
            st.sampled_from(["#s BETWEEN :low AND :high", "#s > :low", "#s <= :high", "begins_with(#s, :low)"])
        )
        if sort_condition.startswith("begins_with"):
            if kind == "N":
                sort_condition = "#s = :low"
            low = low[:2]
        values.update({f":{bound}": {kind: chosen} for bound, chosen in (("low", low), ("high", high))})
        values = {name: chosen for name, chosen in values.items() if name[1:] in sort_condition or name == ":p"}
        condition += f" AND {sort_condition}"
    spec["KeyConditionExpression"] = condition
    spec["ScanIndexForward"] = draw(st.booleans())
    limit = draw(st.sampled_from([None, 1, 2, 3, 7]))
    if limit is not None:
        spec["Limit"] = limit
    extra = draw(st.sampled_from(["", "", "filter", "count", "projection"]))
    if extra == "filter":
        spec["FilterExpression"] = "attribute_exists(note)"
    elif extra == "count":
        spec["Select"] = "COUNT"
    elif extra == "projection":
        spec["ProjectionExpression"] = ", ".join(f"#k{n}" for n in range(len(key_attrs)))
        names.update({f"#k{n}": attr for n, attr in enumerate(key_attrs)})
    spec["ExpressionAttributeNames"] = names
    spec["ExpressionAttributeValues"] = values
    return spec


def _sort_key(kind: str) -> Any:
    return (lambda chosen: float(chosen)) if kind == "N" else (lambda chosen: chosen)


@st.composite
def pages(draw: st.DrawFn, on_index: bool) -> Pages:
    """Every page of a query; sometimes with writes between pages."""
    table = draw(st.sampled_from(TABLE_NAMES))
    between = draw(st.lists(any_write(), max_size=3))
    return Pages(draw(query(table, on_index)), tuple(between))


@st.composite
def every_partition(draw: st.DrawFn) -> list[Pages]:
    """A random query of an index, then a query of each partition of that index, so that an item missing from a
    partition, or listed in one it has left, shows."""
    first = draw(pages(on_index=True))
    table, index = first.query["TableName"], first.query["IndexName"]
    _, _, indexes = SHAPES[table]
    partition_attr, _ = indexes[index]
    kind, values = VALUES[partition_attr]
    partition = {
        "TableName": table,
        "IndexName": index,
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": partition_attr},
        "ScanIndexForward": first.query["ScanIndexForward"],
    }
    return [first] + [Pages({**partition, "ExpressionAttributeValues": {":p": {kind: chosen}}}) for chosen in values]


def sequence(*reads: st.SearchStrategy[Operation | list[Pages]]) -> st.SearchStrategy[list[Operation]]:
    """Seeded tables, then writes of every kind (as likely each as any one of `reads`) interleaved with `reads`."""
    drawn = st.lists(st.one_of(*writes(), *reads), min_size=15, max_size=50)
    return st.tuples(seed(), drawn).map(lambda seeded: [*seeded[0], *_flat(seeded[1])])


def _flat(drawn: list[Operation | list[Pages]]) -> list[Operation]:
    return [operation for each in drawn for operation in (each if isinstance(each, list) else [each])]
