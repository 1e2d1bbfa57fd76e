"""Fixes to moto that the local stack needs to hold up with tens of thousands of accounts and reports.

In moto 5.2.5 three calls cost time in proportion to the whole table, which makes a table of 20k items answer in
about a second. `install()` replaces them with equivalents that cost what they touch:
- `DynamoDBBackend.transact_write_items` deep-copies every table it names, on every call, so that it can roll
  back; ours keeps a journal of copies of only the items the transaction writes.
- `Table.query` on the table's own key lists and sorts every item in the table, then keeps one partition's;
  ours hands it only that partition.
- `Table.query` on an index does the same and keeps the items whose index key matches; ours hands it only the items
  whose index partition key equals the one asked for, from a map per table of index partition -> table keys. The map
  is built on a table's first index query, then kept in step by marking each key that a put, update, delete or
  transaction rollback touches and re-reading just those items before the next index query. Anything it cannot
  account for (the items dict replaced, indexes changed, a key it cannot work out) makes it rebuild from scratch.

Each narrowed query still runs moto's own code over a view of the table whose `all_items()` lists only candidates
(every item moto would keep, and perhaps some it then drops), so key conditions, sparse indexes, sorting,
ScanIndexForward, Limit, ExclusiveStartKey/LastEvaluatedKey, filters and projections behave exactly as moto's. (moto
5.2.5 never expires items by TTL: an expired item stays, in the table and in its indexes, with or without this.)

Each patch replaces moto code read in one moto release (`_PATCHES` names it): `install()` refuses any other, so a moto
upgrade fails loudly instead of quietly running code written against another moto. `uninstall()` puts moto back as
released; tests/devstack compare the two on the same operations.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import moto
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
from moto.dynamodb.models.table import GlobalSecondaryIndex, StreamShard, Table

# What `install()` replaces, as moto defines it (our code calls these; `uninstall()` puts them back).
ORIGINAL_TRANSACT_WRITE_ITEMS = DynamoDBBackend.transact_write_items
ORIGINAL_QUERY = Table.query
ORIGINAL_PUT_ITEM = Table.put_item
ORIGINAL_DELETE_ITEM = Table.delete_item
ORIGINAL_UPDATE_ITEM = DynamoDBBackend.update_item

# (code, message, old item) per transaction item; (None, None, None) for one that succeeded. moto's own shape.
CancellationReason = tuple[str | None, str | None, dict[str, Any] | None]
_OPERATIONS = frozenset({"ConditionCheck", "Put", "Delete", "Update"})
_MAX_TRANSACTION_ITEMS = 100


class MotoVersionError(RuntimeError):
    """The installed moto is not the release a patch was written for."""


def install() -> None:
    """Replace moto's slow calls for every backend in this process (idempotent).

    Raises MotoVersionError, changing nothing, if the installed moto is not the one each patch was written for.
    """
    stale = [patch for patch in _PATCHES if patch.written_for != moto.__version__]
    if stale:
        names = ", ".join(f"{patch.owner.__name__}.{patch.name} for moto {patch.written_for}" for patch in stale)
        raise MotoVersionError(
            f"moto {moto.__version__} is installed, but devstack.moto_patches has {names}. Install that moto, or "
            f"compare each patch with the new moto's code, run tests/devstack and update its version."
        )
    global _installation
    if not installed():
        # Index maps built before cannot be trusted: writes made while moto ran unpatched went unheard.
        _installation += 1
    for patch in _PATCHES:
        setattr(patch.owner, patch.name, patch.replacement)


def uninstall() -> None:
    """Put back every call `install()` replaced (idempotent)."""
    for patch in _PATCHES:
        setattr(patch.owner, patch.name, patch.original)


def installed() -> bool:
    """Whether any of moto's calls is ours right now."""
    return any(getattr(patch.owner, patch.name) is patch.replacement for patch in _PATCHES)


# --- queries: read one partition, not the whole table ----------------------------------------------------------------


class _View:
    """A table as moto's query sees it, except that `all_items` lists only some items."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Item]:
        raise NotImplementedError


class _PartitionView(_View):
    """The items of one partition of the table's own key, in moto's `all_items` order."""

    def __init__(self, table: Table, hash_key: DynamoType) -> None:
        super().__init__(table)
        self._hash_key = hash_key

    def all_items(self) -> list[Item]:
        partition: Any = self._table.items.get(self._hash_key)
        if partition is None:
            return []
        if not self._table.has_range_key:
            return [partition]
        return sorted(partition.values(), key=lambda item: item.range_key)


class _CandidatesView(_View):
    """Items already chosen: every item moto's query on an index keeps, and perhaps some it then drops.

    Their order does not change the answer (moto sorts what it keeps by a key no two items share), only how much
    work moto's sort does: `_in_index_order` hands them over already sorted.
    """

    def __init__(self, table: Table, candidates: list[Item]) -> None:
        super().__init__(table)
        self._candidates = candidates

    def all_items(self) -> list[Item]:
        return self._candidates


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
    """moto's Table.query, run over only the items that can match: one partition of the table or of the index."""
    if index_name:
        table: Any = _index_view(self, index_name, kwargs.get("hash_key_conditions"))
    else:
        table = self if hash_key is None else _PartitionView(self, hash_key)
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


def _index_view(table: Table, index_name: str, hash_key_conditions: Any) -> Any:
    """What an index query should run over: the items whose index partition key equals the one asked for.

    The table itself (moto's full scan) whenever the query is not the plain kind: an unknown index (moto raises),
    a key of several attributes, no equality on the index's partition key, or a value that cannot be a dict key.
    moto keeps an item only if it has every hash key condition's attribute equal to its value; the candidates are
    all items whose index partition attribute equals that value, so they include every item it keeps.
    """
    index = {index.name: index for index in table.all_indexes()}.get(index_name)
    if index is None or not isinstance(hash_key_conditions, list):
        return table
    hash_attrs = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    if len(hash_attrs) != 1:
        return table
    value = None
    for condition in hash_key_conditions:  # as moto reads them: the last condition on an attribute wins
        if isinstance(condition, tuple) and len(condition) == 2 and condition[0] == hash_attrs[0]:
            value = condition[1]
    if not isinstance(value, DynamoType) or _value_key(value) is None:
        return table
    if hash_attrs[0] == table.hash_key_attr:  # a local index, or a global one on the table's own partition key
        return _PartitionView(table, value)
    candidates = _index_partitions(table).candidates(table, index_name, value)
    return _CandidatesView(table, _in_index_order(table, index, candidates))


# The key of an item in the table: (hash key, range key or None).
_TableKey = tuple[DynamoType, DynamoType | None]
# An attribute value as a dict key: (type, cast value), which is how DynamoType compares and hashes.
_ValueKey = tuple[str, Any]
_STATE = "_moto_patches_index_partitions"  # where a table keeps its map
_installation = 0  # counts `install()`s that found moto unpatched: a map from an earlier one is rebuilt


def _value_key(value: DynamoType) -> _ValueKey | None:
    """`value` as a dict key that matches exactly the values moto's `==` matches; None for sets, lists and maps."""
    key = (value.type, value.cast_value)
    try:
        hash(key)
    except TypeError:
        return None  # equal to no value a query can hash, so never a candidate
    return key


def _indexed_attrs(table: Table) -> dict[str, str]:
    """{index name: partition key attribute} for the indexes that the map serves, as moto's query finds them."""
    attrs: dict[str, str] = {}
    for index in table.all_indexes():
        hash_attrs = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
        attrs.pop(index.name, None)  # a later index of the same name hides an earlier one, as in moto's lookup
        if len(hash_attrs) == 1 and hash_attrs[0] != table.hash_key_attr:
            attrs[index.name] = hash_attrs[0]
    return attrs


def _item_at(table: Table, key: _TableKey) -> Item | None:
    """The item stored under `key`, without moto's defaultdict making an empty partition for it."""
    hash_key, range_key = key
    stored: Any = table.items.get(hash_key)
    if table.has_range_key:
        item = stored.get(range_key) if isinstance(stored, dict) and range_key is not None else None
    else:
        item = stored
    return item if isinstance(item, Item) else None


def _cast(value: DynamoType) -> Any:
    return value.value if value.type == "S" else value.cast_value  # what DynamoType compares, without its overhead


def _table_key_order(item: Item) -> Any:
    """The order of moto's `Table.all_items` (table keys have one type each, so their cast values order alike)."""
    return (_cast(item.hash_key), _cast(item.range_key)) if item.range_key else _cast(item.hash_key)


def _in_index_order(table: Table, index: Any, candidates: list[Item]) -> list[Item]:
    """The candidates in the order moto's query will sort them into, so that its sort has nothing to move.

    moto sorts the items it keeps by the tuple of their index key and table key values (found as below), which no two
    items share. Where each of those attributes holds values of one type, DynamoType compares them as their cast
    values do, so sorting by cast values gives moto's order exactly and moto's own sort, on sorted input, is one
    pass. Otherwise (types mixed, which DynamoDB itself refuses for key attributes) they go in the order of moto's
    `all_items`, as moto's unpatched query would see them, and moto sorts them itself. An item without one of the
    attributes is one moto drops (only an index sort key can be missing), so where it goes does not matter.
    """
    hash_attrs = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
    range_attrs: list[str | None] = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
    if not range_attrs:
        global_index = isinstance(index, GlobalSecondaryIndex) and table.range_key_attr
        range_attrs = [table.range_key_attr if global_index else table.hash_key_attr]
    sort_attrs = table._generate_attr_to_sort_by(
        [*hash_attrs, table.hash_key_attr], [*range_attrs, table.range_key_attr]
    )
    types: list[set[str]] = [set() for _ in sort_attrs]
    keyed: list[tuple[tuple[Any, ...], Item]] = []
    unsorted: list[Item] = []  # lacking an index sort key attribute: moto drops these before it sorts
    for item in candidates:
        values = [value for attr in sort_attrs if isinstance(value := item.attrs.get(attr), DynamoType)]
        if len(values) < len(sort_attrs):
            unsorted.append(item)
            continue
        for seen, value in zip(types, values, strict=True):
            seen.add(value.type)
        keyed.append((tuple(_cast(value) for value in values), item))
    if any(len(seen) > 1 for seen in types):
        return sorted(candidates, key=_table_key_order)
    try:
        keyed.sort(key=lambda pair: pair[0])
    except TypeError:  # values whose cast values do not order (NULL, say): moto's own sort decides
        return sorted(candidates, key=_table_key_order)
    return [item for _, item in keyed] + unsorted


class _IndexPartitions:
    """For each index on another attribute than the table's partition key: value of that attribute -> table keys.

    Exact for every key outside `dirty`; `refresh` re-reads those. It holds keys, never items, since moto changes
    items in place and replaces them on put.
    """

    def __init__(self, table: Table) -> None:
        self.installation = _installation  # built while moto was patched this time: writes since were all heard
        self.items = table.items  # the dict it describes: replaced (a restore, say), the map is rebuilt
        self.attrs = _indexed_attrs(table)
        self.partitions: dict[str, dict[_ValueKey, set[_TableKey]]] = {name: {} for name in self.attrs}
        self.entries: dict[_TableKey, list[tuple[str, _ValueKey]]] = {}
        self.dirty: set[_TableKey] = set()
        stored: Any
        for stored in list(table.items.values()):
            for item in stored.values() if table.has_range_key and isinstance(stored, dict) else [stored]:
                if isinstance(item, Item):
                    self._add(_copy_key(item.hash_key, item.range_key), item)

    def describes(self, table: Table) -> bool:
        return self.installation == _installation and self.items is table.items and self.attrs == _indexed_attrs(table)

    def refresh(self, table: Table) -> None:
        for key in self.dirty:
            self._remove(key)
            item = _item_at(table, key)
            if item is not None:
                self._add(key, item)
        self.dirty.clear()

    def candidates(self, table: Table, index_name: str, value: DynamoType) -> list[Item]:
        value_key = _value_key(value)
        keys = self.partitions[index_name].get(value_key, ()) if value_key is not None else ()
        return [item for key in keys if (item := _item_at(table, key)) is not None]

    def _add(self, key: _TableKey, item: Item) -> None:
        entries = []
        for name, attr in self.attrs.items():
            value = item.attrs.get(attr)
            value_key = _value_key(value) if isinstance(value, DynamoType) else None
            if value_key is None:  # sparse: not in this index (or a value no query can name)
                continue
            self.partitions[name].setdefault(value_key, set()).add(key)
            entries.append((name, value_key))
        if entries:
            self.entries[key] = entries

    def _remove(self, key: _TableKey) -> None:
        for name, value_key in self.entries.pop(key, ()):
            partition = self.partitions[name]
            keys = partition[value_key]
            keys.discard(key)
            if not keys:
                del partition[value_key]


def _index_partitions(table: Table) -> _IndexPartitions:
    """The table's map, brought up to date (built on first use, and again whenever it cannot be trusted)."""
    state: _IndexPartitions | None = table.__dict__.get(_STATE)
    if state is not None and state.describes(table):
        state.refresh(table)
        return state
    state = _IndexPartitions(table)
    table.__dict__[_STATE] = state
    return state


def _copy_key(hash_key: DynamoType, range_key: DynamoType | None) -> _TableKey:
    # Copies: the map must not share DynamoType objects that moto might change in place.
    return DynamoType(hash_key), None if range_key is None else DynamoType(range_key)


def _touched(table: Table, hash_key: Any, range_key: Any) -> None:
    """An item may have changed: its index entries are re-read before the next index query."""
    state: _IndexPartitions | None = table.__dict__.get(_STATE)
    if state is None:
        return  # no map yet: the first index query builds it from the items as they are then
    try:
        if not isinstance(hash_key, DynamoType) or (table.has_range_key and not isinstance(range_key, DynamoType)):
            raise TypeError("not a whole key")  # moto deletes a whole partition for a range table given none
        key = _copy_key(hash_key, range_key if table.has_range_key else None)
        hash(key)
    except Exception:
        table.__dict__.pop(_STATE, None)  # cannot tell which item changed: rebuild on the next index query
        return
    state.dirty.add(key)


def _touched_attrs(table: Table, attrs: Any) -> None:
    try:
        hash_key: Any = DynamoType(attrs[table.hash_key_attr])
        range_key: Any = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    except Exception:
        hash_key = range_key = None  # `_touched` forgets the map
    _touched(table, hash_key, range_key)


def _put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    """moto's Table.put_item (every put, batch, transaction, PartiQL and import goes through it)."""
    try:
        item: Item = ORIGINAL_PUT_ITEM(self, item_attrs, *args, **kwargs)
        return item
    finally:
        _touched_attrs(self, item_attrs)


def _delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    """moto's Table.delete_item (every delete goes through it)."""
    try:
        item: Item | None = ORIGINAL_DELETE_ITEM(self, hash_key, range_key)
        return item
    finally:
        _touched(self, hash_key, range_key)


def _update_item(self: DynamoDBBackend, table_name: str, key: Any, *args: Any, **kwargs: Any) -> Item:
    """moto's DynamoDBBackend.update_item, which changes the stored item in place."""
    try:
        item: Item = ORIGINAL_UPDATE_ITEM(self, table_name, key, *args, **kwargs)
        return item
    finally:
        _touched_by_update(self, table_name, key)


def _touched_by_update(backend: DynamoDBBackend, table_name: str, key: Any) -> None:
    try:
        table = backend.get_table(table_name)
    except Exception:
        return  # no such table: moto changed nothing
    if isinstance(key, dict) and table.hash_key_attr in key:
        _touched_attrs(table, key)  # as moto reads it: a missing range key reads as None, and forgets the map
    else:
        _touched(table, None, None)


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
        _touched(self.table, self.hash_key, self.range_key)
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


# --- what install() replaces ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Patch:
    owner: type
    name: str
    original: Any
    replacement: Any
    written_for: str  # the moto release whose code `original` is, and `replacement` was checked against


_PATCHES = (
    _Patch(DynamoDBBackend, "transact_write_items", ORIGINAL_TRANSACT_WRITE_ITEMS, _transact_write_items, "5.2.5"),
    _Patch(Table, "query", ORIGINAL_QUERY, _query, "5.2.5"),
    # Every way moto changes an item, so that the index partition maps hear of it.
    _Patch(Table, "put_item", ORIGINAL_PUT_ITEM, _put_item, "5.2.5"),
    _Patch(Table, "delete_item", ORIGINAL_DELETE_ITEM, _delete_item, "5.2.5"),
    _Patch(DynamoDBBackend, "update_item", ORIGINAL_UPDATE_ITEM, _update_item, "5.2.5"),
)
