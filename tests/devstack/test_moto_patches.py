"""Installing the patches, and the transaction and key-query patches answering exactly as moto's own code.

Every equivalence test runs the same operations on moto as released and on patched moto, each from fresh tables, and
compares every answer and then every table's items and stream (tests/devstack/equivalence.py). The index-query patch
and the write hooks that keep its map are in test_moto_patches_index.py.
"""

from __future__ import annotations

from typing import Any

import moto
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from tests.devstack.equivalence import Call, Operation, Pages, answers, assert_same_answers
from tests.devstack.operations import (
    FLAT,
    RANGED,
    TABLE_NAMES,
    TABLES,
    get_item,
    pages,
    sequence,
    transaction,
)

PATCHED = {
    (DynamoDBBackend, "transact_write_items"): moto_patches._transact_write_items,
    (DynamoDBBackend, "update_item"): moto_patches._update_item,
    (Table, "query"): moto_patches._query,
    (Table, "put_item"): moto_patches._put_item,
    (Table, "delete_item"): moto_patches._delete_item,
}


def code_in_use() -> dict[tuple[type, str], Any]:
    return {(owner, name): getattr(owner, name) for owner, name in PATCHED}


# --- installing -------------------------------------------------------------------------------------------------------


def test_install_replaces_each_patched_call_and_uninstall_puts_moto_back(stock_moto: None) -> None:
    # Given moto as released
    released = code_in_use()
    assert not moto_patches.installed()

    # When the patches are installed, then uninstalled
    moto_patches.install()
    while_installed = code_in_use()
    moto_patches.uninstall()

    # Then moto's classes ran our code in between, and their own after
    assert while_installed == PATCHED
    assert code_in_use() == released
    assert not moto_patches.installed()


def test_install_and_uninstall_can_each_be_repeated(stock_moto: None) -> None:
    # Given moto as released
    released = code_in_use()

    # When the patches are installed twice, then uninstalled twice
    moto_patches.install()
    moto_patches.install()
    assert code_in_use() == PATCHED
    moto_patches.uninstall()
    moto_patches.uninstall()

    # Then moto is as released
    assert not moto_patches.installed()
    assert code_in_use() == released


def test_installed_sees_a_single_call_left_patched(stock_moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto as released but for its query
    monkeypatch.setattr(Table, "query", moto_patches._query)

    # Then moto does not count as released
    assert moto_patches.installed()


def test_install_on_another_moto_version_fails_naming_both_versions_and_changes_nothing(
    stock_moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a moto release the patches were not written for
    monkeypatch.setattr(moto, "__version__", "5.3.0")

    # When the patches are installed
    with pytest.raises(moto_patches.MotoVersionError) as raised:
        moto_patches.install()

    # Then the error names the installed moto, the one each patch was written for, and the patches
    message = str(raised.value)
    assert "moto 5.3.0 is installed" in message
    assert "for moto 5.2.5" in message
    assert "DynamoDBBackend.transact_write_items" in message and "Table.query" in message
    # And moto still runs its own code
    assert not moto_patches.installed()


# --- transactions -----------------------------------------------------------------------------------------------------


@given(sequence(transaction(), transaction(), st.sampled_from(TABLE_NAMES).flatmap(get_item)))
def test_transactions_answer_as_moto(operations: list[Operation]) -> None:
    # Given random transactions (cancelled by conditions, touching an item twice, naming a missing table, asking for
    # the old item on failure), other writes and reads, over three table shapes, one with a stream
    # When they run on moto and on patched moto / Then every answer, item and stream record is the same
    assert_same_answers(TABLES, operations)


def item(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"S": value} for name, value in attrs.items()}}


def put(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {"Put": {"TableName": RANGED, "Item": item(pk, sk, **attrs)}}


def put_item(pk: str, sk: str, **attrs: str) -> Call:
    return Call("put_item", {"TableName": RANGED, "Item": item(pk, sk, **attrs)})


def set_note(pk: str, sk: str, note: str, condition: str | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": RANGED,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "UpdateExpression": "SET note = :n",
        "ExpressionAttributeValues": {":n": {"S": note}},
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def must_exist(pk: str, sk: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": RANGED,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "ConditionExpression": "attribute_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def transact(*items: dict[str, Any]) -> Call:
    return Call("transact_write_items", {"TransactItems": list(items)})


def error(answer: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = answer["error"]
    return found


def test_a_cancelled_transaction_undoes_the_writes_before_the_failing_item() -> None:
    # Given an item the transaction will update, and a partition it will add to
    failing = transact(set_note("a", "1", "y"), put("b", "2"), put("c", "1"), must_exist("missing", "1"))
    operations = [put_item("a", "1", note="x"), put_item("b", "1"), failing]

    # When a transaction updates it, adds two items, then fails its last condition check (on both engines)
    answered = assert_same_answers(TABLES, operations)

    # Then it is cancelled for that reason only, and nothing it wrote remains, in the table or its stream
    cancelled = error(answered.to(failing))
    assert cancelled["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in cancelled["CancellationReasons"]] == [
        "None",
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert answered.items_in(RANGED) == [item("a", "1", note="x"), item("b", "1")]
    assert [record["eventName"] for record in answered.final[f"stream of {RANGED}"]] == ["INSERT", "INSERT"]


def test_a_failed_condition_carries_the_old_item_when_asked() -> None:
    # Given an item whose note is x, and a transaction that requires it to be y, asking for the old item on failure
    update = set_note("a", "1", "z", condition="note = :y")
    update["Update"]["ExpressionAttributeValues"][":y"] = {"S": "y"}
    update["Update"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    failing = transact(update)

    # When it runs (on both engines)
    answered = assert_same_answers(TABLES, [put_item("a", "1", note="x"), failing])

    # Then the reason carries the item as it is, which is unchanged
    (reason,) = error(answered.to(failing))["CancellationReasons"]
    assert reason["Code"] == "ConditionalCheckFailed"
    assert reason["Item"] == item("a", "1", note="x")
    assert answered.items_in(RANGED) == [item("a", "1", note="x")]


def test_a_transaction_touching_one_item_twice_is_refused_and_writes_nothing() -> None:
    # When one transaction puts an item, then updates the same item (on both engines)
    twice = transact(put("a", "1"), set_note("a", "1", "x"))
    answered = assert_same_answers(TABLES, [twice])

    # Then it is a validation error, and the put was undone
    assert error(answered.to(twice))["Error"]["Code"] == "ValidationException"
    assert answered.items_in(RANGED) == []


def test_a_transaction_of_more_than_100_items_is_refused_and_writes_nothing() -> None:
    # When a transaction names 101 items (on both engines)
    too_many = transact(*(put("a", f"{n:03}") for n in range(101)))
    answered = assert_same_answers(TABLES, [too_many])

    # Then it is refused as too large, and nothing is written
    assert "Member must have length less than or equal to 100" in str(error(answered.to(too_many)))
    assert answered.items_in(RANGED) == []


def test_a_successful_transaction_applies_every_write() -> None:
    # Given an item to update, one to delete and one to check
    succeeding = transact(
        set_note("a", "1", "y", condition="note = :n OR attribute_exists(pk)"),
        put("a", "2", colour="red"),
        {"Delete": {"TableName": RANGED, "Key": {"pk": {"S": "a"}, "sk": {"S": "3"}}}},
        must_exist("b", "1"),
    )
    operations = [put_item("a", "1", note="x"), put_item("a", "3"), put_item("b", "1"), succeeding]

    # When one transaction updates, puts, deletes and checks (on both engines)
    answered = assert_same_answers(TABLES, operations)

    # Then all of it is stored
    assert "error" not in answered.to(succeeding)
    assert answered.items_in(RANGED) == [item("a", "1", note="y"), item("a", "2", colour="red"), item("b", "1")]


def test_an_item_with_two_operations_is_refused_and_unlike_moto_nothing_is_written(patched_moto: None) -> None:
    # Given a transaction whose second item is both a check and a delete (moto 5.2.5 refuses it, but keeps the put it
    # made first, since it raises before its rollback; DynamoDB writes nothing, and so do we)
    both_kinds = {**must_exist("b", "1"), "Delete": {"TableName": RANGED, "Key": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}
    refused = transact(put("a", "1"), both_kinds)

    # When it runs on patched moto
    answered = answers(TABLES, [refused], patched=True)

    # Then it is a validation error, and nothing is written
    assert error(answered.to(refused))["Error"]["Code"] == "ValidationException"
    assert answered.items_in(RANGED) == []


# --- queries on the table's own key -----------------------------------------------------------------------------------


@settings(max_examples=15)  # the simplest patch: it hands moto one partition instead of the table
@given(sequence(pages(on_index=False), pages(on_index=False)))
def test_key_queries_answer_as_moto(operations: list[Operation]) -> None:
    # Given random writes, and queries of a partition of each table's own key (sort key conditions, both directions,
    # Limit and paging, writes between pages, filters, COUNT, projections, absent partitions)
    # When they run on moto and on patched moto / Then every page is the same
    assert_same_answers(TABLES, operations)


def test_a_key_query_pages_through_one_partition_in_order() -> None:
    # Given one partition of five items, and other partitions around it
    writes = [put_item(pk, sk) for pk in ("a", "b", "c") for sk in ("1", "2", "3", "4", "5")]

    # When b's items are read newest first, two at a time, filtering one out (on both engines)
    query = Pages(
        {
            "TableName": RANGED,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "FilterExpression": "sk <> :skip",
            "ExpressionAttributeValues": {
                ":pk": {"S": "b"},
                ":low": {"S": "1"},
                ":high": {"S": "5"},
                ":skip": {"S": "3"},
            },
            "ScanIndexForward": False,
            "Limit": 2,
        }
    )
    answered = assert_same_answers(TABLES, [*writes, query])

    # Then they come in pages of that partition only, in order, filtered after the limit as DynamoDB does
    assert [[item["sk"]["S"] for item in page["Items"]] for page in answered.pages(query)] == [
        ["5", "4"],
        ["2"],
        ["1"],
    ]


def test_a_key_query_of_a_partition_that_does_not_exist_finds_nothing() -> None:
    # Given another partition's item, on a table with a sort key and one without
    writes = [put_item("a", "1"), Call("put_item", {"TableName": FLAT, "Item": {"id": {"S": "a"}}})]
    queries = [
        Pages(
            {"TableName": table, "KeyConditionExpression": f"{attr} = :v", "ExpressionAttributeValues": {":v": absent}}
        )
        for table, attr, absent in ((RANGED, "pk", {"S": "nobody"}), (FLAT, "id", {"S": "nobody"}))
    ]

    # When an absent partition is queried (on both engines)
    answered = assert_same_answers(TABLES, [*writes, *queries])

    # Then nothing is found
    for query in queries:
        assert answered.pages(query) == [{"Items": [], "Count": 0, "ScannedCount": 0}]
