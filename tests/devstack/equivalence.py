"""Run the same DynamoDB operations on moto as released and on patched moto, and compare every answer.

Each run starts from fresh tables in its own `mock_aws()`, so the two engines never share state: whatever the patches
keep (index partition maps, transaction journals) must give, call after call, what moto's own code gives. After the
operations, each run also reads every table (a scan) and every stream, so that writes are compared by their effect
and not only by their answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends

from devstack import moto_patches

REGION = "eu-west-1"
Client = Any  # boto3's DynamoDB client


@dataclass(frozen=True)
class Call:
    """One call of boto3's DynamoDB client."""

    method: str
    kwargs: dict[str, Any]

    def __repr__(self) -> str:
        return f"{self.method}({self.kwargs!r})"


@dataclass(frozen=True)
class Pages:
    """Every page of a query, following LastEvaluatedKey; `between[n]` is made just before page n + 2 is read."""

    query: dict[str, Any]
    between: tuple[Call, ...] = ()


@dataclass(frozen=True)
class RestoredCopy:
    """A backup of `table` restored as `target` (the restore replaces the table's items dict wholesale)."""

    table: str
    target: str


@dataclass(frozen=True)
class Unpatched:
    """Operations made on moto as released even in the patched run, which then goes on patched on the same tables."""

    operations: tuple[Operation, ...]


Operation = Call | Pages | RestoredCopy | Unpatched


@dataclass
class Answers:
    """The answers of one engine, in order, each labelled with what it answers."""

    labelled: list[tuple[str, Any]] = field(default_factory=list)
    # id of a Call or Pages -> it (held, so that its id is not reused) and its answers
    _by_operation: dict[int, tuple[Call | Pages, list[Any]]] = field(default_factory=dict)

    def record(self, operation: Call | Pages, answer: Any, label: str = "") -> None:
        _, answered = self._by_operation.setdefault(id(operation), (operation, []))
        answered.append(answer)
        self.labelled.append((f"{label or repr(operation)} (answer {len(answered)})", answer))

    def to(self, operation: Call) -> Any:
        return self._by_operation[id(operation)][1][0]

    def pages(self, operation: Pages) -> list[Any]:
        """Every page `operation` read, in order."""
        return list(self._by_operation[id(operation)][1])

    def items_in(self, table: str) -> list[dict[str, Any]]:
        """The table's items once every operation was made."""
        items: list[dict[str, Any]] = self.final[f"scan {table}"]["Items"]
        return items

    @property
    def final(self) -> dict[str, Any]:
        return {
            label.removesuffix(" (answer 1)"): answer
            for label, answer in self.labelled
            if label.startswith(("scan ", "stream of "))
        }


def answers(tables: Sequence[dict[str, Any]], operations: Iterable[Operation], *, patched: bool) -> Answers:
    """What moto answers to `operations` on fresh `tables`, then every table's and stream's contents."""
    if patched:
        moto_patches.install()
    else:
        moto_patches.uninstall()
    try:
        with mock_aws():
            client = _client()
            for table in tables:
                client.create_table(**table)
            run = Answers()
            for operation in operations:
                _perform(client, operation, run)
            assert moto_patches.installed() is patched  # nothing along the way changed which code ran
            for name in client.list_tables()["TableNames"]:
                scan = Call("scan", {"TableName": name})
                run.record(scan, _answer(lambda scan=scan: client.scan(**scan.kwargs)), f"scan {name}")
                run.record(Call("stream", scan.kwargs), _stream(name), f"stream of {name}")
            return run
    finally:
        moto_patches.uninstall()


def assert_same_answers(tables: Sequence[dict[str, Any]], operations: Sequence[Operation]) -> Answers:
    """The patched answers, after checking that each is moto's own; the first that differs fails the test."""
    stock = answers(tables, operations, patched=False)
    patched = answers(tables, operations, patched=True)
    for (label, ours), (stock_label, theirs) in zip(patched.labelled, stock.labelled, strict=False):
        assert label == stock_label, "the two runs made different calls (one read more pages)"
        assert ours == theirs, f"patched moto answered {label} otherwise than moto"
    assert len(patched.labelled) == len(stock.labelled), "the two runs made different calls (one read more pages)"
    return patched


@cache
def _client() -> Client:
    # One for the process: building one takes longer than a whole run, and moto serves it in whichever mock is on.
    return boto3.client("dynamodb", region_name=REGION)


def _perform(client: Client, operation: Operation, run: Answers) -> None:
    if isinstance(operation, Call):
        answer = _answer(lambda: getattr(client, operation.method)(**operation.kwargs))
        if operation.method in _DESCRIBING and "error" not in answer:
            answer = {"answered": operation.method}  # a table description, with times of its own
        run.record(operation, answer)
    elif isinstance(operation, Pages):
        _pages(client, operation, run)
    elif isinstance(operation, Unpatched):
        patched = moto_patches.installed()
        moto_patches.uninstall()
        for inner in operation.operations:
            _perform(client, inner, run)
        if patched:
            moto_patches.install()
    else:
        backup = client.create_backup(TableName=operation.table, BackupName=f"{operation.table}-backup")
        client.restore_table_from_backup(
            TargetTableName=operation.target, BackupArn=backup["BackupDetails"]["BackupArn"]
        )


def _pages(client: Client, pages: Pages, run: Answers) -> None:
    between = list(pages.between)
    page = _answer(lambda: client.query(**pages.query))
    run.record(pages, page)
    while "LastEvaluatedKey" in page:
        if between:
            write = between.pop(0)
            run.record(write, _answer(lambda write=write: getattr(client, write.method)(**write.kwargs)))
        start = page["LastEvaluatedKey"]
        page = _answer(lambda start=start: client.query(**pages.query, ExclusiveStartKey=start))
        run.record(pages, page)


def _answer(call: Any) -> Any:
    """The response without its metadata (request ids differ), or the error moto gave."""
    try:
        response = call()
    except ClientError as error:
        return {"error": {name: value for name, value in error.response.items() if name != "ResponseMetadata"}}
    except Exception as error:  # moto's own code failing in-process (TypeError on keys it cannot order, say)
        return {"exception": f"{type(error).__name__}: {error}"}
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def _stream(table_name: str) -> list[dict[str, Any]]:
    """The table's stream records, without the fields that differ by run (ids and times)."""
    backend: DynamoDBBackend = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]
    shard = backend.get_table(table_name).stream_shard
    if shard is None:
        return []
    records = []
    for item in shard.items:
        record = {name: value for name, value in item.record["dynamodb"].items() if name in _STREAM_FIELDS}
        records.append({"eventName": item.record["eventName"], **record})
    return records


_DESCRIBING = frozenset({"update_table", "create_table", "delete_table", "describe_table"})
_STREAM_FIELDS = frozenset({"Keys", "NewImage", "OldImage", "SequenceNumber", "StreamViewType"})
