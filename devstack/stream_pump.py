"""Plays Lambda's part for a table's DynamoDB stream where there is no Lambda: reads moto's stream and calls a handler
with the events an event source mapping with ReportBatchItemFailures would send, retrying as it would.

What moto 5.2.5 (botocore 1.44) does unlike DynamoDB, found by trying each, and what the pump does about it:
- botocore sends a Streams call that names a stream ARN to an account-specific endpoint, which in-process `mock_aws`
  does not route (404 "Not yet implemented"). `streams_client()` turns that off (account_id_endpoint_mode="disabled");
  against a moto server an explicit endpoint_url is enough.
- An UpdateItem that creates an item, alone or in a transaction, writes two INSERTs: the key alone, then the item.
  DynamoDB writes one. Two INSERTs of one item in a row cannot both be real (the second would be a MODIFY), so the
  pump drops the first; it reads one record past the batch to see what follows the batch's last.
- A put or update that changes nothing writes a MODIFY with equal images; DynamoDB writes no record. The pump drops
  it where the view has both images (with one it cannot tell, and delivers it).
- Records say awsRegion "us-east-1", carry no eventSourceARN, and parse to a datetime ApproximateCreationDateTime and
  bytes for binary values. The pump gives the stream's region and ARN, whole epoch seconds and base64 text, as in
  Lambda's event. SizeBytes stays moto's (an overestimate).
- Put, delete (of an item that exists) and each item of a transaction write one record each with the images the view
  type asks for; a cancelled transaction leaves none, with or without devstack/moto_patches.py.
- The one shard never closes and iterators never expire. Stock moto cancels a transaction by putting back deep copies
  of its tables, stream shard included, so an iterator taken before reads an abandoned copy from then on (the patches
  truncate the same shard instead). The pump therefore takes a fresh iterator from its checkpoint on every poll.

Delivery, per shard: a batch is the records after the checkpoint. The handler reports failures as
{"batchItemFailures": [{"itemIdentifier": <SequenceNumber>}]}: the records before the lowest failed one are done and
the next batch starts at it. None, {} or an empty list: all done. A raise, or an identifier not in the batch (as
Lambda): none done, the same batch again. Records are read from the start of the stream (TRIM_HORIZON).
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.config import Config

Event = dict[str, Any]
Handler = Callable[[Event], "dict[str, Any] | None"]

_MAX_PAUSE = 5.0  # seconds: the longest the background thread waits after failures

logger = logging.getLogger(__name__)


class StreamHandlerFailing(RuntimeError):
    """`drain` gave up: the handler still failed after as many rounds as it was allowed."""


def streams_client(**client_kwargs: Any) -> Any:
    """A DynamoDB Streams client that moto answers, in-process or as a server (see the module docstring)."""
    import boto3

    return boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"), **client_kwargs)


@dataclass
class _Checkpoint:
    """Where a shard's next batch starts: the stream's start, after the last record done, or at the first not done."""

    shard_id: str
    iterator_type: str = "TRIM_HORIZON"
    sequence_number: str | None = None

    def iterator_kwargs(self) -> dict[str, str]:
        kwargs = {"ShardId": self.shard_id, "ShardIteratorType": self.iterator_type}
        if self.sequence_number is not None:
            kwargs["SequenceNumber"] = self.sequence_number
        return kwargs

    def done_through(self, sequence_number: str) -> None:
        self.iterator_type, self.sequence_number = "AFTER_SEQUENCE_NUMBER", sequence_number

    def retry_from(self, sequence_number: str) -> None:
        self.iterator_type, self.sequence_number = "AT_SEQUENCE_NUMBER", sequence_number


@dataclass(frozen=True)
class _Round:
    read: int = 0  # records read from the stream (moto's, before any were dropped)
    delivered: int = 0  # records the handler is done with
    failed: bool = False  # the handler reported failures or raised
    error: Exception | None = None  # what it raised

    def __add__(self, other: _Round) -> _Round:
        return _Round(
            self.read + other.read,
            self.delivered + other.delivered,
            self.failed or other.failed,
            self.error or other.error,
        )


class StreamPump:
    """Delivers one table's stream records to `handler`, `batch_size` at most per shard and call."""

    def __init__(
        self, dynamodb_client: Any, streams_client: Any, table_name: str, handler: Handler, *, batch_size: int = 100
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.table_name = table_name
        self.batch_size = batch_size
        self._dynamodb = dynamodb_client
        self._streams = streams_client
        self._handler = handler
        self._stream_arn: str | None = None
        self._checkpoints: dict[str, _Checkpoint] = {}
        self._lock = threading.Lock()  # one round at a time, whichever thread asks
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def pump_once(self) -> int:
        """Poll every shard once; return how many records the handler is done with. Re-raises what it raised."""
        round_ = self._round()
        if round_.error is not None:
            raise round_.error
        return round_.delivered

    def drain(self, max_rounds: int = 100) -> int:
        """Pump until a poll finds no new record; return how many records were delivered. Raises
        StreamHandlerFailing once the handler has failed (reported failures or raised) in `max_rounds` rounds."""
        delivered = failed_rounds = 0
        while True:
            round_ = self._round()
            delivered += round_.delivered
            if round_.read == 0:
                return delivered
            failed_rounds += round_.failed
            if failed_rounds >= max_rounds:
                raise StreamHandlerFailing(
                    f"the handler of {self.table_name}'s stream still fails after {max_rounds} rounds"
                ) from round_.error

    def start(self, interval: float = 0.2) -> None:
        """Pump every `interval` seconds on a daemon thread until `stop()`."""
        if self.running:
            raise RuntimeError(f"the stream pump for {self.table_name} is already running")
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval,), name=f"stream-pump-{self.table_name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background thread after its current round (idempotent)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, interval: float) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                round_ = self._round()
            except Exception:
                logger.exception("stream pump for %s: polling the stream failed", self.table_name)
                failures += 1
            else:
                if round_.error is not None:
                    logger.error("stream pump for %s: the handler raised", self.table_name, exc_info=round_.error)
                failures = failures + 1 if round_.failed else 0
            self._stopping.wait(_pause(interval, failures))

    def _round(self) -> _Round:
        with self._lock:
            total = _Round()
            for checkpoint in self._shards():
                total += self._pump_shard(checkpoint)
            return total

    def _shards(self) -> list[_Checkpoint]:
        if self._stream_arn is None:
            table = self._dynamodb.describe_table(TableName=self.table_name)["Table"]
            if "LatestStreamArn" not in table:
                raise ValueError(f"table {self.table_name} has no stream")
            self._stream_arn = str(table["LatestStreamArn"])
        description = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            self._checkpoints.setdefault(shard["ShardId"], _Checkpoint(shard["ShardId"]))
        return list(self._checkpoints.values())

    def _pump_shard(self, checkpoint: _Checkpoint) -> _Round:
        arn = str(self._stream_arn)
        iterator = self._streams.get_shard_iterator(StreamArn=arn, **checkpoint.iterator_kwargs())["ShardIterator"]
        read = self._streams.get_records(ShardIterator=iterator, Limit=self.batch_size + 1)["Records"]
        window = read[: self.batch_size]
        if not window:
            return _Round()
        records = [_as_lambda_record(record, arn) for record in _item_changes(window, read[self.batch_size :])]
        if not records:  # all of them moto's extras
            checkpoint.done_through(window[-1]["dynamodb"]["SequenceNumber"])
            return _Round(read=len(window))
        try:
            response = self._handler({"Records": records})
        except Exception as error:
            return _Round(read=len(window), failed=True, error=error)
        first_failed = _first_failed(response, records)
        if first_failed is None:
            checkpoint.done_through(window[-1]["dynamodb"]["SequenceNumber"])
            return _Round(read=len(window), delivered=len(records))
        checkpoint.retry_from(records[first_failed]["dynamodb"]["SequenceNumber"])
        return _Round(read=len(window), delivered=first_failed, failed=True)


def _pause(interval: float, failures: int) -> float:
    """The interval, doubled for each failure in a row, up to a few seconds."""
    if not failures:
        return interval
    return min(interval * 2.0 ** min(failures, 10), max(interval, _MAX_PAUSE))


def _first_failed(response: dict[str, Any] | None, records: list[Event]) -> int | None:
    """The index of the lowest failed record, 0 for a response Lambda reads as the whole batch failing, or None."""
    failures = (response or {}).get("batchItemFailures") or []
    if not failures:
        return None
    positions = {record["dynamodb"]["SequenceNumber"]: index for index, record in enumerate(records)}
    try:
        return min(positions[failure["itemIdentifier"]] for failure in failures)
    except (KeyError, TypeError):  # a failure that names no record of the batch
        return 0


def _item_changes(window: list[Event], after: list[Event]) -> list[Event]:
    """moto's records of `window` less the ones DynamoDB would not have written; `after`: what follows, if read."""
    following: list[Event | None] = [*window[1:], *after[:1]]
    following += [None] * (len(window) - len(following))
    return [record for record, next_record in zip(window, following, strict=True) if not _extra(record, next_record)]


def _extra(record: Event, next_record: Event | None) -> bool:
    change = record["dynamodb"]
    if record["eventName"] == "INSERT":  # the key-only INSERT moto writes before an UpdateItem's item
        return bool(
            next_record and next_record["eventName"] == "INSERT" and next_record["dynamodb"]["Keys"] == change["Keys"]
        )
    if record["eventName"] == "MODIFY" and change.get("StreamViewType") == "NEW_AND_OLD_IMAGES":
        return bool(change.get("NewImage") == change.get("OldImage"))  # a write that changed nothing
    return False


def _as_lambda_record(record: Event, stream_arn: str) -> Event:
    """A record of GetRecords (as botocore parses it) as Lambda's event has it."""
    change = record["dynamodb"]
    created = change.get("ApproximateCreationDateTime")
    lambda_change: dict[str, Any] = {
        "ApproximateCreationDateTime": int(created.timestamp() if isinstance(created, datetime) else created or 0),
        "SequenceNumber": change["SequenceNumber"],
        "SizeBytes": change.get("SizeBytes", 0),
        "StreamViewType": change["StreamViewType"],
    }
    for images in ("Keys", "NewImage", "OldImage"):
        if images in change:
            lambda_change[images] = _as_json(change[images])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": stream_arn.split(":")[3],
        "dynamodb": lambda_change,
        "eventSourceARN": stream_arn,
    }


def _as_json(value: Any) -> Any:
    """Attribute values as Lambda's JSON has them: binary as base64 text, sets as lists."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {key: _as_json(inner) for key, inner in value.items()}
    if isinstance(value, list | set | tuple):
        return [_as_json(inner) for inner in value]
    return value
