"""The patched moto calls behave as moto's own: each test here runs both (test_moto_patches_scale times ours)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from infra.tables import SETTINGS

TABLE = "patch-test-settings"

Client = Any  # boto3's DynamoDB client


@pytest.fixture(params=["moto", "patched"])
def dynamodb(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    """A moto DynamoDB with the settings table, running moto's own code or ours: both must pass."""
    if request.param == "moto":
        use_moto_code(monkeypatch)
    else:
        use_patched_code(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(**SETTINGS.create_table_kwargs(TABLE))
        yield client


def use_moto_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", moto_patches.ORIGINAL_TRANSACT_WRITE_ITEMS)
    monkeypatch.setattr(DynamoDBBackend, "update_item", moto_patches.ORIGINAL_UPDATE_ITEM)
    monkeypatch.setattr(Table, "query", moto_patches.ORIGINAL_QUERY)
    monkeypatch.setattr(Table, "put_item", moto_patches.ORIGINAL_PUT_ITEM)
    monkeypatch.setattr(Table, "delete_item", moto_patches.ORIGINAL_DELETE_ITEM)


def use_patched_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", moto_patches._transact_write_items)
    monkeypatch.setattr(DynamoDBBackend, "update_item", moto_patches._update_item)
    monkeypatch.setattr(Table, "query", moto_patches._query)
    monkeypatch.setattr(Table, "put_item", moto_patches._put_item)
    monkeypatch.setattr(Table, "delete_item", moto_patches._delete_item)


def put(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"S": value} for name, value in attrs.items()}}
    return {"Put": {"TableName": TABLE, "Item": item}}


def get(client: Client, pk: str, sk: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = client.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    return item


def set_colour(pk: str, sk: str, colour: str, condition: str | None = None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "TableName": TABLE,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "UpdateExpression": "SET colour = :c",
        "ExpressionAttributeValues": {":c": {"S": colour}},
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}


def must_exist(pk: str, sk: str) -> dict[str, Any]:
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    return {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": key,
            "ConditionExpression": "attribute_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def cancellation_codes(error: ClientError) -> list[str]:
    return [reason["Code"] for reason in error.response["CancellationReasons"]]


def test_a_failed_transaction_rolls_back_the_writes_before_the_failing_item(dynamodb: Client) -> None:
    # Given an item that the transaction will update, and a partition it will add to
    dynamodb.put_item(TableName=TABLE, Item=put("a", "settings", colour="red")["Put"]["Item"])
    dynamodb.put_item(TableName=TABLE, Item=put("b", "event#1")["Put"]["Item"])

    # When a transaction updates it, adds an event, then fails its last condition check
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(
            TransactItems=[
                set_colour("a", "settings", "blue"),
                put("b", "event#2"),
                put("c", "event#1"),
                must_exist("missing", "settings"),
            ]
        )

    # Then it is cancelled for that reason only, and nothing it wrote remains
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancellation_codes(raised.value) == ["None", "None", "None", "ConditionalCheckFailed"]
    assert get(dynamodb, "a", "settings") == {
        "pk": {"S": "a"},
        "sk": {"S": "settings"},
        "colour": {"S": "red"},
    }
    assert get(dynamodb, "b", "event#2") is None
    assert get(dynamodb, "c", "event#1") is None
    assert dynamodb.scan(TableName=TABLE)["Count"] == 2


def test_a_failed_condition_reports_the_old_item_when_asked(dynamodb: Client) -> None:
    # Given an item whose colour is red
    dynamodb.put_item(TableName=TABLE, Item=put("a", "settings", colour="red")["Put"]["Item"])

    # When a transaction requires it to be blue, asking for the old item on failure
    update = set_colour("a", "settings", "green", condition="colour = :blue")
    update["Update"]["ExpressionAttributeValues"][":blue"] = {"S": "blue"}
    update["Update"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[update])

    # Then the reason carries the item as it is, which is unchanged
    (reason,) = raised.value.response["CancellationReasons"]
    assert reason["Code"] == "ConditionalCheckFailed"
    assert dict(reason["Item"])["colour"] == {"S": "red"}
    assert get(dynamodb, "a", "settings")["colour"] == {"S": "red"}  # type: ignore[index]


def test_a_transaction_touching_one_item_twice_is_refused_and_writes_nothing(dynamodb: Client) -> None:
    # When one transaction puts an item and then updates the same item
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[put("a", "settings"), set_colour("a", "settings", "red")])

    # Then it is a validation error and the put was undone
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert get(dynamodb, "a", "settings") is None


def test_a_successful_transaction_applies_every_write(dynamodb: Client) -> None:
    # Given an item to update, one to delete and one to check
    dynamodb.put_item(TableName=TABLE, Item=put("a", "settings", colour="red")["Put"]["Item"])
    dynamodb.put_item(TableName=TABLE, Item=put("a", "old")["Put"]["Item"])
    dynamodb.put_item(TableName=TABLE, Item=put("b", "settings")["Put"]["Item"])

    # When one transaction updates, puts, deletes and checks
    dynamodb.transact_write_items(
        TransactItems=[
            set_colour("a", "settings", "blue", condition="colour = :c OR attribute_exists(pk)"),
            put("a", "event#1", change="colour"),
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "a"}, "sk": {"S": "old"}}}},
            must_exist("b", "settings"),
        ]
    )

    # Then all of it is stored
    assert get(dynamodb, "a", "settings")["colour"] == {"S": "blue"}  # type: ignore[index]
    assert get(dynamodb, "a", "event#1")["change"] == {"S": "colour"}  # type: ignore[index]
    assert get(dynamodb, "a", "old") is None


def _event_keys(page: dict[str, Any]) -> list[str]:
    return [item["sk"]["S"] for item in page["Items"]]


def test_a_query_on_the_table_key_pages_through_one_partition_in_order(dynamodb: Client) -> None:
    # Given one account's settings and ten events, and other accounts' items around them
    for pk in ("a", "b", "c"):
        dynamodb.put_item(TableName=TABLE, Item=put(pk, "settings")["Put"]["Item"])
        for n in range(10):
            dynamodb.put_item(TableName=TABLE, Item=put(pk, f"event#{n:02}")["Put"]["Item"])

    # When b's events are read newest first, three at a time, with a filter
    query: dict[str, Any] = {
        "TableName": TABLE,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :events)",
        "FilterExpression": "sk <> :skip",
        "ExpressionAttributeValues": {":pk": {"S": "b"}, ":events": {"S": "event#"}, ":skip": {"S": "event#05"}},
        "ScanIndexForward": False,
        "Limit": 3,
    }
    pages = [dynamodb.query(**query)]
    while "LastEvaluatedKey" in pages[-1]:
        pages.append(dynamodb.query(**query, ExclusiveStartKey=pages[-1]["LastEvaluatedKey"]))

    # Then they come in pages of the partition's events only, in order, filtered after the limit as DynamoDB does
    assert [_event_keys(page) for page in pages] == [
        ["event#09", "event#08", "event#07"],
        ["event#06", "event#04"],
        ["event#03", "event#02", "event#01"],
        ["event#00"],
    ]


def test_a_query_for_a_partition_that_does_not_exist_finds_nothing(dynamodb: Client) -> None:
    # Given another account's item
    dynamodb.put_item(TableName=TABLE, Item=put("a", "settings")["Put"]["Item"])

    # When an absent account's partition is queried
    page = dynamodb.query(
        TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "nobody"}}
    )

    # Then nothing is found
    assert page["Items"] == []
    assert page["Count"] == 0


def test_install_replaces_moto_calls_for_every_backend() -> None:
    # When the patch is installed
    moto_patches.install()

    # Then moto's classes use our code
    transact: Callable[..., None] = DynamoDBBackend.transact_write_items
    update: Callable[..., Any] = DynamoDBBackend.update_item
    query: Callable[..., Any] = Table.query
    put_item: Callable[..., Any] = Table.put_item
    delete_item: Callable[..., Any] = Table.delete_item
    assert transact is moto_patches._transact_write_items
    assert update is moto_patches._update_item
    assert query is moto_patches._query
    assert put_item is moto_patches._put_item
    assert delete_item is moto_patches._delete_item
