"""The index-query patch, and the put/update/delete hooks that keep its map of index partitions, answer exactly as
moto's own code, whatever was written before and between the pages of a query.

As in test_moto_patches.py, each equivalence test runs the same operations on moto as released and on patched moto,
each from fresh tables, and compares every answer, then every table's items (tests/devstack/equivalence.py).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from tests.devstack.equivalence import Answers, Call, Operation, Pages, RestoredCopy, Unpatched, assert_same_answers
from tests.devstack.operations import SERVICE, TABLES, every_partition, pages, sequence


@given(sequence(every_partition(), pages(on_index=True)))
def test_index_queries_answer_as_moto_after_every_kind_of_write(operations: list[Operation]) -> None:
    # Given random puts, updates, deletes, batches and transactions (cancelled and not), each of which the hooks must
    # hear of, and queries of index partitions (sparse indexes, global and local, with and without a sort key, on a
    # number; sort key conditions, both directions, Limit and paging with writes between pages, filters, COUNT,
    # projections, absent partitions)
    # When they run on moto and on patched moto / Then every page is the same
    assert_same_answers(TABLES, operations)


# --- particular cases, on the moderation queue ----------------------------------------------------------------------

OPEN = {"S": "OPEN"}


def queue_item(pk: str, queue_sk: str, **more: str) -> dict[str, Any]:
    attrs = {"pk": pk, "sk": "OPEN", "queue_pk": "OPEN", "queue_sk": queue_sk, **more}
    return {name: {"S": value} for name, value in attrs.items()}


def put(item: dict[str, Any]) -> Call:
    return Call("put_item", {"TableName": SERVICE, "Item": item})


def key(pk: str, sk: str = "OPEN") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def queue(partition: dict[str, str] = OPEN, **more: Any) -> Pages:
    """Every page of the moderation queue's partition."""
    query = {
        "TableName": SERVICE,
        "IndexName": "moderation_queue",
        "KeyConditionExpression": "queue_pk = :p",
        "ExpressionAttributeValues": {":p": partition},
        **more,
    }
    return Pages(query)


def listed(answered: Answers, query: Pages) -> list[str]:
    """The table keys the query listed, page after page, in order."""
    return [f"{item['pk']['S']}/{item['sk']['S']}" for page in answered.pages(query) for item in page["Items"]]


def test_items_join_and_leave_an_index_partition_as_they_change() -> None:
    # Given three open targets and a report that is in no index, with the queue read once (so the map is built)
    before = queue()
    operations: list[Operation] = [
        put(queue_item("T#1", "2#b")),
        put(queue_item("T#2", "1#a")),
        put(queue_item("T#3", "2#a")),
        put({"pk": {"S": "R#1"}, "sk": {"S": "REPORT"}}),
        before,
    ]

    # When one is raised in priority, one loses its sort key, one is deleted and the report joins the queue
    operations += [
        Call(
            "update_item",
            {
                "TableName": SERVICE,
                "Key": key("T#1"),
                "UpdateExpression": "SET queue_sk = :sk",
                "ExpressionAttributeValues": {":sk": {"S": "0#z"}},
            },
        ),
        Call("update_item", {"TableName": SERVICE, "Key": key("T#2"), "UpdateExpression": "REMOVE queue_sk"}),
        Call("delete_item", {"TableName": SERVICE, "Key": key("T#3")}),
        Call(
            "update_item",
            {
                "TableName": SERVICE,
                "Key": key("R#1", "REPORT"),
                "UpdateExpression": "SET queue_pk = :open, queue_sk = :sk",
                "ExpressionAttributeValues": {":open": OPEN, ":sk": {"S": "9#z"}},
            },
        ),
    ]
    after, backwards = queue(), queue(ScanIndexForward=False, Limit=1)
    answered = assert_same_answers(TABLES, [*operations, after, backwards])

    # Then the queue follows (moto's answers and ours alike), both ways
    assert listed(answered, before) == ["T#2/OPEN", "T#3/OPEN", "T#1/OPEN"]
    assert listed(answered, after) == ["T#1/OPEN", "R#1/REPORT"]
    assert listed(answered, backwards) == ["R#1/REPORT", "T#1/OPEN"]


def test_refused_writes_leave_index_partitions_as_they_were() -> None:
    # Given two open targets, read once
    before = queue()
    operations: list[Operation] = [put(queue_item("T#1", "1#a")), put(queue_item("T#2", "1#b")), before]

    # When a conditional put, update and delete are refused, and a transaction that would close one, hold the other
    # and open a third fails its last condition
    fails = {"ConditionExpression": "attribute_not_exists(pk)"}
    operations += [
        Call("put_item", {"TableName": SERVICE, "Item": queue_item("T#1", "0#a"), **fails}),
        Call(
            "update_item",
            {
                "TableName": SERVICE,
                "Key": key("T#2"),
                "UpdateExpression": "REMOVE queue_pk",
                **fails,
            },
        ),
        Call("delete_item", {"TableName": SERVICE, "Key": key("T#1"), **fails}),
        Call(
            "transact_write_items",
            {
                "TransactItems": [
                    {"Delete": {"TableName": SERVICE, "Key": key("T#1")}},
                    {
                        "Update": {
                            "TableName": SERVICE,
                            "Key": key("T#2"),
                            "UpdateExpression": "SET queue_pk = :held",
                            "ExpressionAttributeValues": {":held": {"S": "HELD"}},
                        }
                    },
                    {"Put": {"TableName": SERVICE, "Item": queue_item("T#3", "0#a")}},
                    {
                        "ConditionCheck": {
                            "TableName": SERVICE,
                            "Key": key("T#9"),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                ]
            },
        ),
    ]
    after, held = queue(), queue({"S": "HELD"})
    answered = assert_same_answers(TABLES, [*operations, after, held])

    # Then the queue is as it was
    refusals = [answer["error"]["Error"]["Code"] for label, answer in answered.labelled if "error" in answer]
    assert refusals == ["ConditionalCheckFailedException"] * 3 + ["TransactionCanceledException"]
    assert listed(answered, before) == listed(answered, after) == ["T#1/OPEN", "T#2/OPEN"]
    assert listed(answered, held) == []


def test_a_page_can_start_after_an_item_deleted_since() -> None:
    # Given five open targets, read two at a time
    operations: list[Operation] = [put(queue_item(f"T#{n}", f"1#{n}")) for n in range(5)]

    # When, after the first page, its last item is deleted and another target opens before it
    between = (Call("delete_item", {"TableName": SERVICE, "Key": key("T#1")}), put(queue_item("T#9", "0#a")))
    paged = Pages(queue(Limit=2).query, between)
    answered = assert_same_answers(TABLES, [*operations, paged])

    # Then the next page starts where the first stopped, as moto's does
    assert [[item["pk"]["S"] for item in page["Items"]] for page in answered.pages(paged)] == [
        ["T#0", "T#1"],
        ["T#2", "T#3"],
        ["T#4"],
    ]


def test_an_index_added_later_is_answered() -> None:
    # Given items read through an index (so the map is built)
    items = [{**queue_item(f"A#{n}", f"{n}"), "colour": {"S": "red"}} for n in range(3)]
    operations: list[Operation] = [*(put(item) for item in items), queue()]

    # When an index on another attribute is added
    operations.append(
        Call(
            "update_table",
            {
                "TableName": SERVICE,
                "AttributeDefinitions": [{"AttributeName": "colour", "AttributeType": "S"}],
                "GlobalSecondaryIndexUpdates": [
                    {
                        "Create": {
                            "IndexName": "by_colour",
                            "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"},
                        }
                    }
                ],
            },
        )
    )
    by_colour = Pages(
        {
            "TableName": SERVICE,
            "IndexName": "by_colour",
            "KeyConditionExpression": "colour = :c",
            "ExpressionAttributeValues": {":c": {"S": "red"}},
        }
    )
    answered = assert_same_answers(TABLES, [*operations, by_colour])

    # Then it finds the items already there
    assert listed(answered, by_colour) == ["A#0/OPEN", "A#1/OPEN", "A#2/OPEN"]


def test_a_table_restored_from_a_backup_answers_from_its_own_items() -> None:
    # Given a backup taken of a queue that has been read, restored as another table, and a change made after it
    operations: list[Operation] = [put(queue_item("T#1", "1#a")), queue()]
    operations += [RestoredCopy(SERVICE, "restored"), put(queue_item("T#2", "1#b"))]

    # When each table's queue is read
    restored = Pages({**queue().query, "TableName": "restored"})
    original = queue(Limit=5)
    answered = assert_same_answers(TABLES, [*operations, restored, original])

    # Then each answers with its own items
    assert listed(answered, restored) == ["T#1/OPEN"]
    assert listed(answered, original) == ["T#1/OPEN", "T#2/OPEN"]


def test_partiql_writes_are_seen() -> None:
    # Given an open target, read once
    operations: list[Operation] = [put(queue_item("T#1", "1#a")), queue()]

    # When PartiQL holds it and inserts another open target
    operations += [
        Call(
            "execute_statement", {"Statement": f"UPDATE \"{SERVICE}\" SET queue_pk='HELD' WHERE pk='T#1' AND sk='OPEN'"}
        ),
        Call(
            "execute_statement",
            {
                "Statement": f'INSERT INTO "{SERVICE}" VALUE '
                "{'pk': 'T#2', 'sk': 'OPEN', 'queue_pk': 'OPEN', 'queue_sk': '1#b'}"
            },
        ),
    ]
    opened, held = queue(Limit=9), queue({"S": "HELD"})
    answered = assert_same_answers(TABLES, [*operations, opened, held])

    # Then the queue shows it
    assert listed(answered, opened) == ["T#2/OPEN"]
    assert listed(answered, held) == ["T#1/OPEN"]


def test_queries_the_map_cannot_serve_fail_as_moto_fails_them() -> None:
    # Given an open target
    operations: list[Operation] = [put(queue_item("T#1", "1#a"))]

    # When queries name an unknown index, or ask for consistency a global index cannot give
    unknown = Pages({**queue().query, "IndexName": "nope"})
    consistent = queue(ConsistentRead=True)
    answered = assert_same_answers(TABLES, [*operations, unknown, consistent])

    # Then they fail as moto's do
    assert [page["error"]["Error"]["Code"] for page in answered.pages(unknown)] == ["ResourceNotFoundException"]
    assert [page["error"]["Error"]["Code"] for page in answered.pages(consistent)] == ["ValidationException"]


def test_index_sort_keys_of_mixed_types_sort_or_fail_as_moto_does() -> None:
    # Given open targets whose queue sort keys are booleans and numbers, which moto holds neither equal nor ordered
    # (DynamoDB would refuse values of another type than the key's; moto stores them)
    operations: list[Operation] = [
        put({**queue_item(pk, ""), "queue_sk": queue_sk})
        for pk, queue_sk in (("T#1", {"BOOL": True}), ("T#2", {"N": "1"}), ("T#3", {"BOOL": True}), ("T#0", {"N": "1"}))
    ]
    both_ways = [queue(), queue(ScanIndexForward=False, Limit=3)]

    # When the queue is read both ways, then once a string joins them
    with_a_string = queue()
    answered = assert_same_answers(TABLES, [*operations, *both_ways, put(queue_item("T#4", "1")), with_a_string])

    # Then it comes in moto's order, and fails as moto's does
    assert sorted(listed(answered, both_ways[0])) == ["T#0/OPEN", "T#1/OPEN", "T#2/OPEN", "T#3/OPEN"]
    assert answered.pages(with_a_string)[0]["exception"].startswith("TypeError")


def test_a_map_built_before_moto_ran_unpatched_is_not_trusted_after() -> None:
    # Given a queue read on patched moto (so the table has a map), then a target opened while moto ran as released,
    # unheard by the hooks (as when the patches are uninstalled and installed again in one process)
    operations: list[Operation] = [put(queue_item("T#1", "1#a")), queue()]
    operations.append(Unpatched((put(queue_item("T#2", "1#b")),)))

    # When the queue is read on patched moto again
    after = queue(Limit=5)
    answered = assert_same_answers(TABLES, [*operations, after])

    # Then it lists the target opened meanwhile
    assert listed(answered, after) == ["T#1/OPEN", "T#2/OPEN"]
