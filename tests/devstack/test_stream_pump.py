"""The stream pump delivers what DynamoDB's stream would, shaped as Lambda's event, with Lambda's retries.

Every test runs on moto as released and as the local stack patches it (the patches change how transactions roll
back, stream shards included).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.stream_pump import StreamHandlerFailing, StreamPump, streams_client
from infra.tables import REPORTS

TABLE = REPORTS.default_name


class Recorder:
    """A handler that remembers every batch and answers with the responses given, then with success."""

    def __init__(self, *responses: Any) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self._responses = list(responses)
        self.succeeded = threading.Event()  # set once a call has returned

    def __call__(self, event: dict[str, Any]) -> dict[str, Any] | None:
        self.batches.append(event["Records"])
        response = self._responses.pop(0) if self._responses else None
        if isinstance(response, Exception):
            raise response
        self.succeeded.set()
        return response

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch]

    def pks(self, batch: int | None = None) -> list[str]:
        records = self.records if batch is None else self.batches[batch]
        return [record["dynamodb"]["Keys"]["pk"]["S"] for record in records]


@pytest.fixture(params=["stock_moto", "patched_moto"])
def dynamodb(request: pytest.FixtureRequest) -> Iterator[Any]:
    request.getfixturevalue(request.param)
    request.getfixturevalue("aws")
    yield boto3.client("dynamodb", region_name="eu-west-1")


def pump_for(dynamodb: Any, handler: Any, batch_size: int = 100) -> StreamPump:
    return StreamPump(dynamodb, streams_client(region_name="eu-west-1"), TABLE, handler, batch_size=batch_size)


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "A"}}


def put(dynamodb: Any, pk: str, **attrs: str) -> None:
    dynamodb.put_item(TableName=TABLE, Item={**key(pk), **{name: {"S": value} for name, value in attrs.items()}})


def set_note(pk: str, note: str) -> dict[str, Any]:
    return {
        "TableName": TABLE,
        "Key": key(pk),
        "UpdateExpression": "SET note = :note",
        "ExpressionAttributeValues": {":note": {"S": note}},
    }


def item(pk: str, **attrs: str) -> dict[str, Any]:
    return {**key(pk), **{name: {"S": value} for name, value in attrs.items()}}


def changes(recorder: Recorder) -> list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]]:
    return [
        (
            record["eventName"],
            record["dynamodb"]["Keys"]["pk"]["S"],
            record["dynamodb"].get("OldImage"),
            record["dynamodb"].get("NewImage"),
        )
        for record in recorder.records
    ]


# --- what is delivered ------------------------------------------------------------------------------------------------


def test_each_write_is_delivered_once_in_the_order_it_was_made(dynamodb: Any) -> None:
    # Given five puts
    recorder = Recorder()
    for pk in "abcde":
        put(dynamodb, pk)
    pump = pump_for(dynamodb, recorder)

    # When the stream is drained twice
    first, second = pump.drain(), pump.drain()

    # Then each put reached the handler once, in order, and the second drain found nothing new
    assert (first, second) == (5, 0)
    assert recorder.pks() == list("abcde")
    assert len(recorder.batches) == 1


def test_records_are_shaped_as_lambdas_dynamodb_event(dynamodb: Any) -> None:
    # Given a put with a binary attribute
    dynamodb.put_item(TableName=TABLE, Item={**key("a"), "blob": {"B": b"\x00\xff"}})
    recorder = Recorder()

    # When it is pumped
    pump_for(dynamodb, recorder).drain()

    # Then the record has Lambda's fields: the stream's ARN and region, epoch seconds, base64 binary
    stream_arn = dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    [record] = recorder.records
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert (record["eventSource"], record["awsRegion"], record["eventSourceARN"]) == (
        "aws:dynamodb",
        "eu-west-1",
        stream_arn,
    )
    change = record["dynamodb"]
    assert set(change) == {
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    }
    assert isinstance(change["ApproximateCreationDateTime"], int)
    assert abs(change["ApproximateCreationDateTime"] - time.time()) < 60
    assert isinstance(change["SequenceNumber"], str)
    assert change["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert change["NewImage"] == {**key("a"), "blob": {"B": "AP8="}}


def test_put_update_and_delete_each_give_one_record_with_the_images_of_the_change(dynamodb: Any) -> None:
    # Given an item put, updated, then deleted
    put(dynamodb, "a", note="first")
    dynamodb.update_item(**set_note("a", "second"))
    dynamodb.delete_item(TableName=TABLE, Key=key("a"))
    recorder = Recorder()

    # When they are pumped
    pump_for(dynamodb, recorder).drain()

    # Then there is one record per change, each with the images of that change
    assert changes(recorder) == [
        ("INSERT", "a", None, item("a", note="first")),
        ("MODIFY", "a", item("a", note="first"), item("a", note="second")),
        ("REMOVE", "a", item("a", note="second"), None),
    ]


def test_an_update_that_creates_an_item_gives_one_insert_of_the_whole_item(dynamodb: Any) -> None:
    # Given an update of an item that does not exist (moto writes a key-only INSERT before the item's)
    dynamodb.update_item(**set_note("a", "new"))
    recorder = Recorder()

    # When it is pumped
    pump_for(dynamodb, recorder).drain()

    # Then the handler gets one INSERT with the whole item
    assert changes(recorder) == [("INSERT", "a", None, item("a", note="new"))]


def test_an_update_that_creates_an_item_at_the_end_of_a_batch_still_gives_one_insert(dynamodb: Any) -> None:
    # Given a put, then an update creating an item, pumped in batches of two (moto's two INSERTs straddle the cut)
    put(dynamodb, "a")
    dynamodb.update_item(**set_note("b", "new"))
    recorder = Recorder()

    # When they are pumped
    pump_for(dynamodb, recorder, batch_size=2).drain()

    # Then each item gave one record, the created one with the whole item
    assert changes(recorder) == [("INSERT", "a", None, item("a")), ("INSERT", "b", None, item("b", note="new"))]


def test_a_transaction_gives_one_record_per_item_it_writes(dynamodb: Any) -> None:
    # Given an existing item, and a transaction that puts one, creates one by update and deletes the existing one
    put(dynamodb, "old", note="x")
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": item("put", note="p")}},
            {"Update": set_note("updated", "u")},
            {"Delete": {"TableName": TABLE, "Key": key("old")}},
        ]
    )
    recorder = Recorder()

    # When they are pumped
    pump_for(dynamodb, recorder).drain()

    # Then the transaction gave one record per item, with its images
    assert changes(recorder)[1:] == [
        ("INSERT", "put", None, item("put", note="p")),
        ("INSERT", "updated", None, item("updated", note="u")),
        ("REMOVE", "old", item("old", note="x"), None),
    ]


def test_a_cancelled_transaction_gives_no_record_and_later_writes_still_arrive(dynamodb: Any) -> None:
    # Given a pump that has read the stream, then a transaction cancelled by its second item's condition after its
    # first item was written (stock moto puts back copies of the tables, stream shard included), then a put
    put(dynamodb, "taken")
    recorder = Recorder()
    pump = pump_for(dynamodb, recorder)
    pump.drain()
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": item("new")}},
                {"Update": {**set_note("taken", "n"), "ConditionExpression": "attribute_not_exists(pk)"}},
            ]
        )
    put(dynamodb, "after")

    # When the stream is pumped again
    pump.drain()

    # Then only the writes outside the transaction reached the handler
    assert recorder.pks() == ["taken", "after"]


def test_a_write_that_changes_nothing_gives_no_record(dynamodb: Any) -> None:
    # Given an item put, then put and updated again to the same values
    put(dynamodb, "a", note="same")
    put(dynamodb, "a", note="same")
    dynamodb.update_item(**set_note("a", "same"))
    recorder = Recorder()

    # When they are pumped
    pump_for(dynamodb, recorder).drain()

    # Then only the first put reached the handler
    assert changes(recorder) == [("INSERT", "a", None, item("a", note="same"))]


# --- retries --------------------------------------------------------------------------------------------------------


def sequence_numbers(recorder: Recorder, batch: int) -> list[str]:
    return [record["dynamodb"]["SequenceNumber"] for record in recorder.batches[batch]]


def test_reported_failures_redeliver_from_the_lowest_failed_record_and_nothing_before_it(dynamodb: Any) -> None:
    # Given five records, and a handler that reports the fourth and the second as failed the first time
    for pk in "abcde":
        put(dynamodb, pk)
    recorder = Recorder()
    pump = pump_for(dynamodb, recorder)
    pump.pump_once()
    first = sequence_numbers(recorder, 0)
    recorder.batches.clear()
    failing = Recorder({"batchItemFailures": [{"itemIdentifier": first[3]}, {"itemIdentifier": first[1]}]})
    pump = pump_for(dynamodb, failing)

    # When the stream is pumped twice
    delivered = pump.pump_once(), pump.pump_once()

    # Then the first record was done, and the second delivery started at the second record
    assert delivered == (1, 4)
    assert failing.pks(0) == list("abcde")
    assert failing.pks(1) == list("bcde")


def test_a_handler_that_raises_gets_the_whole_batch_again(dynamodb: Any) -> None:
    # Given three records, and a handler that raises the first time
    for pk in "abc":
        put(dynamodb, pk)
    recorder = Recorder(RuntimeError("boom"))
    pump = pump_for(dynamodb, recorder)

    # When the stream is pumped twice
    with pytest.raises(RuntimeError, match="boom"):
        pump.pump_once()
    delivered = pump.pump_once()

    # Then the second call got the same batch, all of it
    assert delivered == 3
    assert recorder.batches[0] == recorder.batches[1]
    assert recorder.pks(1) == list("abc")


def test_a_failure_naming_no_record_of_the_batch_fails_the_whole_batch(dynamodb: Any) -> None:
    # Given two records, and a handler that reports an identifier not in its batch (Lambda retries it all)
    for pk in "ab":
        put(dynamodb, pk)
    recorder = Recorder({"batchItemFailures": [{"itemIdentifier": "not-a-sequence-number"}]})
    pump = pump_for(dynamodb, recorder)

    # When the stream is pumped twice
    delivered = pump.pump_once(), pump.pump_once()

    # Then nothing was done the first time and the whole batch came again
    assert delivered == (0, 2)
    assert recorder.pks(1) == list("ab")


@pytest.mark.parametrize("success", [None, {}, {"batchItemFailures": []}])
def test_an_empty_response_means_the_whole_batch_is_done(dynamodb: Any, success: Any) -> None:
    # Given two records, and a handler that answers success in one of Lambda's ways
    for pk in "ab":
        put(dynamodb, pk)
    recorder = Recorder(success)
    pump = pump_for(dynamodb, recorder)

    # When the stream is pumped twice
    delivered = pump.pump_once(), pump.pump_once()

    # Then both records were done the first time and not delivered again
    assert delivered == (2, 0)
    assert len(recorder.batches) == 1


def test_batches_hold_at_most_batch_size_records(dynamodb: Any) -> None:
    # Given five records, pumped in batches of two
    for pk in "abcde":
        put(dynamodb, pk)
    recorder = Recorder()

    # When the stream is drained
    delivered = pump_for(dynamodb, recorder, batch_size=2).drain()

    # Then the handler got them two, two and one
    assert delivered == 5
    assert [len(batch) for batch in recorder.batches] == [2, 2, 1]
    assert recorder.pks() == list("abcde")


def test_drain_of_an_empty_stream_returns_without_calling_the_handler(dynamodb: Any) -> None:
    recorder = Recorder()

    assert pump_for(dynamodb, recorder).drain() == 0
    assert recorder.batches == []


def test_drain_gives_up_on_a_handler_that_keeps_failing(dynamodb: Any) -> None:
    # Given a record, and a handler that always raises
    put(dynamodb, "a")
    recorder = Recorder(*[RuntimeError("boom")] * 10)

    # When the stream is drained with three rounds allowed
    with pytest.raises(StreamHandlerFailing) as raised:
        pump_for(dynamodb, recorder).drain(max_rounds=3)

    # Then it tried three times and says why it stopped
    assert len(recorder.batches) == 3
    assert isinstance(raised.value.__cause__, RuntimeError)


def test_drain_retries_a_handler_that_fails_once(dynamodb: Any) -> None:
    # Given two records, and a handler that reports the second as failed once
    for pk in "ab":
        put(dynamodb, pk)
    recorder = Recorder()
    pump_for(dynamodb, recorder).pump_once()
    second = sequence_numbers(recorder, 0)[1]
    failing = Recorder({"batchItemFailures": [{"itemIdentifier": second}]})

    # When the stream is drained
    delivered = pump_for(dynamodb, failing).drain()

    # Then both were delivered, the second twice
    assert delivered == 2
    assert failing.pks() == ["a", "b", "b"]


# --- in the background ------------------------------------------------------------------------------------------------


def test_a_started_pump_delivers_new_writes_until_stopped(dynamodb: Any) -> None:
    # Given a pump running in the background
    recorder = Recorder()
    pump = pump_for(dynamodb, recorder)
    pump.start(interval=0.01)
    try:
        assert pump.running

        # When an item is put
        put(dynamodb, "a")

        # Then the handler gets it
        assert recorder.succeeded.wait(timeout=5)
    finally:
        pump.stop()
    assert not pump.running
    assert recorder.pks() == ["a"]


def test_a_started_pump_logs_a_raising_handler_and_retries(dynamodb: Any, caplog: pytest.LogCaptureFixture) -> None:
    # Given a handler that raises the first time, and a pump running in the background
    put(dynamodb, "a")
    recorder = Recorder(RuntimeError("boom"))
    pump = pump_for(dynamodb, recorder)
    caplog.set_level(logging.ERROR, logger="devstack.stream_pump")

    # When it runs until the record is delivered
    pump.start(interval=0.01)
    try:
        assert recorder.succeeded.wait(timeout=5)
    finally:
        pump.stop()

    # Then the handler's error was logged and the record came again
    assert recorder.pks() == ["a", "a"]
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)


def test_start_twice_is_refused(dynamodb: Any) -> None:
    pump = pump_for(dynamodb, Recorder())
    pump.start(interval=0.01)
    try:
        with pytest.raises(RuntimeError, match="already running"):
            pump.start()
    finally:
        pump.stop()
