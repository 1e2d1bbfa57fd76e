"""Fixes to moto that the local stack needs to hold up with tens of thousands of accounts.

In moto 5.2.5 two calls cost time in proportion to the whole table, which makes a table of 20k items answer in
about a second. `install()` replaces both with equivalents that cost what they touch:
- `DynamoDBBackend.transact_write_items` deep-copies every table it names, on every call, so that it can roll
  back; ours keeps a journal of copies of only the items the transaction writes.
- `Table.query` on the table's own key lists and sorts every item in the table, then keeps one partition's;
  ours hands it only that partition. (Queries on an index still read the whole table, as moto has no index.)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table

# What `install()` replaces; the tests run moto's own code and ours side by side.
ORIGINAL_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items
ORIGINAL_QUERY = Table.query

# (code, message, old item) per transaction item; (None, None, None) for one that succeeded. moto's own shape.
CancellationReason = tuple[str | None, str | None, dict[str, Any] | None]
_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
_MAX_TRANSACTION_ITEMS = 100


def install() -> None:
    """Replace moto's slow calls for every backend in this process (idempotent)."""
    DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    Table.query = _query  # type: ignore[method-assign]


# --- queries: read one partition, not the whole table ----------------------------------------------------------------


class _PartitionView:
    """A table as moto's query sees it, except that `all_items` lists one partition (in the same order)."""

    def __init__(self, table: Table, hash_key: DynamoType) -> None:
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Item]:
        partition: Any = self._table.items.get(self._hash_key)
        if partition is None:
            return []
        if not self._table.has_range_key:
            return [partition]
        return sorted(partition.values(), key=lambda item: item.range_key)


def _query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    """moto's Table.query; on the table's own key it runs over the partition alone (it keeps no other item)."""
    table: Any = self if index_name or hash_key is None else _PartitionView(self, hash_key)
    result: tuple[list[Item], int, dict[str, Any] | None] = ORIGINAL_QUERY(
        table,
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        *args,
        **kwargs,
    )
    return result


# --- transactions: undo what was written, not the whole table ---------------------------------------------------------


@dataclass
class _SavedItem:
    """An item as it was before the transaction: a deep copy (moto updates items in place), or None."""

    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    partition_existed: bool
    item: Item | None

    def restore(self) -> None:
        items: Any = self.table.items  # {hash: Item} or {hash: {range: Item}}
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
            return
        partition = items[self.hash_key]
        if self.item is None:
            partition.pop(self.range_key, None)
        else:
            partition[self.range_key] = self.item
        if not partition and not self.partition_existed:
            # The whole-table copy moto restored had no such partition either; leave none behind.
            del items[self.hash_key]


@dataclass
class _Journal:
    """Enough to undo a transaction: the items it is about to write, and how long each stream shard was."""

    saved: list[_SavedItem] = field(default_factory=list)
    stream_lengths: list[tuple[StreamShard, int]] = field(default_factory=list)
    _seen_tables: set[int] = field(default_factory=set)

    def save(self, backend: DynamoDBBackend, table: Table, key: dict[str, Any]) -> None:
        # Raises moto's MockValidationException for a malformed key, exactly where moto's get_item would.
        hash_key, range_key = backend.get_keys_value(table, key)
        items: Any = table.items
        partition_existed = hash_key in items
        if range_key is None:
            current: Item | None = items.get(hash_key)
        else:
            current = items[hash_key].get(range_key) if partition_existed else None
        self.saved.append(_SavedItem(table, hash_key, range_key, partition_existed, copy.deepcopy(current)))
        self._remember_stream(table)

    def _remember_stream(self, table: Table) -> None:
        if id(table) in self._seen_tables:
            return
        self._seen_tables.add(id(table))
        if table.stream_shard is not None:
            self.stream_lengths.append((table.stream_shard, len(table.stream_shard.items)))

    def rollback(self) -> None:
        for saved in reversed(self.saved):
            saved.restore()
        for shard, length in self.stream_lengths:
            del shard.items[length:]


class _ConditionFailed(ConditionalCheckFailed):
    """moto's exception, plus the old item that a cancellation reason carries when ALL_OLD was asked for."""

    def __init__(self, old_item: dict[str, Any] | None) -> None:
        super().__init__(item=old_item)
        self.old_item = old_item


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's transact_write_items, with per-item rollback instead of whole-table copies."""
    if len(transact_items) > _MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    journal = _Journal()
    try:
        reasons = _apply_all(self, transact_items, journal)
    except BaseException:
        # Validation errors abort the whole request; moto rolls back for those too.
        journal.rollback()
        raise
    if any(code is not None for code, _, _ in reasons):
        journal.rollback()
        raise TransactionCanceledException(reasons)


def _apply_all(
    backend: DynamoDBBackend, transact_items: list[dict[str, Any]], journal: _Journal
) -> list[CancellationReason]:
    """Apply each operation in order; a failure becomes that item's cancellation reason; the rest run."""
    targets: set[tuple[str, str]] = set()
    reasons: list[CancellationReason] = []
    for transact_item in transact_items:
        if len(transact_item) > 1:
            raise TransactWriteSingleOpException
        try:
            _apply_one(backend, transact_item, journal, targets)
            reasons.append((None, None, None))
        except MockValidationException:  # includes MultipleTransactionsException
            raise
        except _ConditionFailed as error:
            reasons.append(("ConditionalCheckFailed", str(error.message), error.old_item))
        except ConditionalCheckFailed as error:
            reasons.append(("ConditionalCheckFailed", str(error.message), None))
        except Exception as error:
            reasons.append((type(error).__name__, str(error), None))
    return reasons


def _apply_one(
    backend: DynamoDBBackend,
    transact_item: dict[str, Any],
    journal: _Journal,
    targets: set[tuple[str, str]],
) -> None:
    op_type, op = next(iter(transact_item.items()))
    if op_type not in _OPERATIONS:
        raise ValueError("Unsupported transaction operation")
    table_name = op["TableName"]
    key = _key_of(backend, op_type, op)
    _claim_target(targets, table_name, key)
    if op_type != "ConditionCheck":
        journal.save(backend, backend.get_table(table_name), key)
    _check_condition(backend, op, key)
    _write(backend, op_type, op, key)


def _key_of(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    attrs = op["Item"]
    table = backend.get_table(op["TableName"])
    put_key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        put_key[table.range_key_attr] = attrs[table.range_key_attr]
    return put_key


def _claim_target(targets: set[tuple[str, str]], table_name: str, key: dict[str, Any]) -> None:
    """A transaction may touch each item once (moto compares keys the same way)."""
    target = (str(table_name), str(dict(sorted(key.items()))))
    if target in targets:
        raise MultipleTransactionsException()
    targets.add(target)


def _check_condition(backend: DynamoDBBackend, op: dict[str, Any], key: dict[str, Any]) -> None:
    current = backend.get_item(op["TableName"], key)
    condition_expression = op.get("ConditionExpression")
    if condition_expression is None:
        return
    condition = get_filter_expression(
        condition_expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    )
    if condition.expr(current):
        return
    wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    raise _ConditionFailed(current.to_json()["Attributes"] if wants_old and current else None)


def _write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    table_name = op["TableName"]
    condition = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(
            table_name,
            op["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,  # type: ignore[arg-type]  # moto's own call passes None too
            expression_attribute_values=values,  # type: ignore[arg-type]
        )
