"""Accounts' settings records and their audit events in one DynamoDB table.

Layout (private to this module): one partition per account, `pk = ACCOUNT#<id>`.
- `sk = STATE`: the current record; `version` increases by one with every change.
- `sk = EVENT#<version, 12 digits>`: the immutable event that produced that version. Written only with
  `attribute_not_exists`, never updated or deleted, and ordered by version so a history page is one query.
- A minor's record carries `band_end_bucket` (`<YYYY-MM>#<shard of 16>`, the key of the sparse `band_ends` index) and
  `band_end_sealed` (the days its bands end, sealed: chalicelib.store.band_ends); never a day in the clear.
- `pk = JOB#<name>, sk = STATE`: a scheduled job's saved progress.
A change is one transaction: the record's update (conditional on the version read) and the event's insert.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from chalicelib.domain.exports import age_record, deactivation_record, guardian_record
from chalicelib.domain.models import (
    Account,
    Actor,
    AgeAssurance,
    AgeFacts,
    AgeSource,
    AuditEvent,
    Change,
    Deactivation,
    DeactivationState,
    EventKind,
    EventPage,
    GuardianFacts,
    GuardianLink,
    LinkReason,
    Move,
    Place,
)
from chalicelib.services.ports import AlreadyExists, BandEndEntry, InvalidCursor, VersionConflict
from chalicelib.store.cursors import CursorSealer
from chalicelib.store.dynamo import (
    ClientProvider,
    TableAdapter,
    batch_get,
    error_code,
    from_item,
    to_attr,
    to_item,
    transact_write,
    translated_errors,
)

_STATE = "STATE"
_EVENT_PREFIX = "EVENT#"
_BAND_ENDS_INDEX = "band_ends"
BAND_END_SHARDS = 16
_POLICY_INDEX = "policy_versions"
POLICY_SHARDS = 16
_NOTICES_INDEX = "notices"
NOTICE_SHARDS = 16


def _policy_bucket(account_id: str, version: str) -> str:
    return f"{version}#{zlib.crc32(account_id.encode()) % POLICY_SHARDS:02d}"


def _pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def _event_sk(version: int) -> str:
    return f"{_EVENT_PREFIX}{version:012d}"


def _band_end_bucket(account_id: str, month: str) -> str:
    return f"{month}#{zlib.crc32(account_id.encode()) % BAND_END_SHARDS:02d}"


class SettingsStore(TableAdapter):
    """The DynamoDB adapter of `chalicelib.services.ports.SettingsStore`."""

    def __init__(self, table_name: str, client: ClientProvider, cursors: CursorSealer) -> None:
        super().__init__(table_name, client)
        self._cursors = cursors

    # -- reads -------------------------------------------------------------------------------------------------------
    def get_account(self, account_id: str) -> Account | None:
        with translated_errors():
            response = self.client.get_item(
                TableName=self._table,
                Key={"pk": {"S": _pk(account_id)}, "sk": {"S": _STATE}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return None if item is None else _account_from_item(from_item(item))

    def age_bands(self, account_ids: list[str]) -> dict[str, str]:
        """The age band of each account that exists, in one batch read (for report priorities)."""
        unique = sorted(set(account_ids))
        if not unique:
            return {}
        keys = [{"pk": {"S": _pk(account_id)}, "sk": {"S": _STATE}} for account_id in unique]
        items = batch_get(self.client, self._table, keys, projection="account_id, age_band")
        return {item["account_id"]: item["age_band"] for item in items}

    def list_events(self, account_id: str, limit: int, cursor: str | None) -> EventPage:
        """Events newest first; `cursor` continues a previous page."""
        before_version = None if cursor is None else self._before_version(account_id, cursor)
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": _pk(account_id)}, ":prefix": {"S": _EVENT_PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if before_version is not None:
            query["ExclusiveStartKey"] = {"pk": {"S": _pk(account_id)}, "sk": {"S": _event_sk(before_version)}}
        with translated_errors():
            response = self.client.query(**query)
        events = tuple(_event_from_item(from_item(item)) for item in response.get("Items", []))
        more = "LastEvaluatedKey" in response and events and events[-1].version > 1
        next_cursor = self._cursors.seal(_history_scope(account_id), {"before": events[-1].version}) if more else None
        return EventPage(events=events, next_cursor=next_cursor)

    def _before_version(self, account_id: str, cursor: str) -> int:
        before = self._cursors.unseal(_history_scope(account_id), cursor)
        value = before.get("before") if isinstance(before, dict) and set(before) == {"before"} else None
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 10**12:
            raise InvalidCursor("history cursor out of range")
        return value

    # -- the compliance export ------------------------------------------------------------------------------------
    def stored_items(self) -> int:
        with translated_errors():
            table = self.client.describe_table(TableName=self._table)["Table"]
        return int(table.get("ItemCount", 0))

    def scan_accounts(
        self, segment: int, segments: int, start: str | None, limit: int
    ) -> tuple[list[Account], str | None]:
        """One page of a parallel scan's segment (strongly consistent), keeping only the accounts' records."""
        scan: dict[str, Any] = {
            "TableName": self._table,
            "Segment": segment,
            "TotalSegments": segments,
            "FilterExpression": "sk = :state",
            "ExpressionAttributeValues": {":state": {"S": _STATE}},
            "Limit": limit,
            "ConsistentRead": True,
        }
        if start is not None:
            scan["ExclusiveStartKey"] = json.loads(start)
        with translated_errors():
            response = self.client.scan(**scan)
        accounts = [
            _account_from_item(from_item(item))
            for item in response.get("Items", [])
            if item["pk"]["S"].startswith("ACCOUNT#")
        ]
        after = response.get("LastEvaluatedKey")
        return accounts, None if after is None else json.dumps(after, sort_keys=True)

    def events_between(self, account_id: str, since: datetime, until: datetime) -> Iterator[AuditEvent]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": _pk(account_id)}, ":prefix": {"S": _EVENT_PREFIX}},
            "ConsistentRead": True,
        }
        while True:
            with translated_errors():
                response = self.client.query(**query)
            for item in response.get("Items", []):
                event = _event_from_item(from_item(item))
                if since <= event.at < until:
                    yield event
            if "LastEvaluatedKey" not in response:
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # -- the band-end index and job progress (the transition job) -----------------------------------------------------
    def band_end_partitions(self, month: str) -> tuple[str, ...]:
        return tuple(f"{month}#{shard:02d}" for shard in range(BAND_END_SHARDS))

    def band_end_page(self, partition: str, start: str | None, limit: int) -> tuple[list[BandEndEntry], str | None]:
        items, after = self._index_page(_BAND_ENDS_INDEX, "band_end_bucket", partition, start, limit)
        entries = [
            BandEndEntry(account_id=item["pk"]["S"].removeprefix("ACCOUNT#"), sealed=item["band_end_sealed"]["S"])
            for item in items
            if "band_end_sealed" in item
        ]
        return entries, after

    def _index_page(
        self, index: str, key: str, partition: str, start: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of an index partition (raw items) from `start`, and the position after it (None at the end)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#key = :partition",
            "ExpressionAttributeNames": {"#key": key},
            "ExpressionAttributeValues": {":partition": {"S": partition}},
            "Limit": limit,
        }
        if start is not None:
            query["ExclusiveStartKey"] = json.loads(start)
        with translated_errors():
            response = self.client.query(**query)
        after = response.get("LastEvaluatedKey")
        return list(response.get("Items", [])), None if after is None else json.dumps(after, sort_keys=True)

    # -- the policy-version index (migrations) ------------------------------------------------------------------------
    def policy_partitions(self, version: str) -> tuple[str, ...]:
        return tuple(f"{version}#{shard:02d}" for shard in range(POLICY_SHARDS))

    def policy_page(self, partition: str, start: str | None, limit: int) -> tuple[list[str], str | None]:
        items, after = self._index_page(_POLICY_INDEX, "policy_bucket", partition, start, limit)
        return [item["pk"]["S"].removeprefix("ACCOUNT#") for item in items], after

    def notices_due(self, day: date, limit: int) -> list[str]:
        """Up to `limit` accounts whose notice ends on or before `day`, from the sparse `notices` index."""
        found: list[str] = []
        for shard in range(NOTICE_SHARDS):
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": _NOTICES_INDEX,
                "KeyConditionExpression": "notice_pk = :pk AND notice_until <= :day",
                "ExpressionAttributeValues": {":pk": {"S": f"NOTICE#{shard:02d}"}, ":day": {"S": day.isoformat()}},
                "Limit": limit - len(found),
            }
            with translated_errors():
                response = self.client.query(**query)
            found += [item["pk"]["S"].removeprefix("ACCOUNT#") for item in response.get("Items", [])]
            if len(found) >= limit:
                break
        return found

    def restamp(self, account: Account, read_version: int) -> None:
        """Stores the record on `account.policy_version` (nothing it shows changed: the same version, no event) if it is
        still at `read_version`."""
        try:
            with translated_errors():
                self.client.put_item(
                    TableName=self._table,
                    Item=_account_item(account),
                    ConditionExpression="#version = :read_version",
                    ExpressionAttributeNames={"#version": "version"},
                    ExpressionAttributeValues={":read_version": to_attr(read_version)},
                )
        except Exception as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise VersionConflict(account.account_id) from error
            raise

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        keys = [{"pk": {"S": _pk(account_id)}, "sk": {"S": _STATE}} for account_id in sorted(set(account_ids))]
        accounts = (_account_from_item(item) for item in batch_get(self.client, self._table, keys))
        return {account.account_id: account for account in accounts}

    def job_state(self, job: str) -> dict[str, Any] | None:
        with translated_errors():
            response = self.client.get_item(
                TableName=self._table, Key={"pk": {"S": f"JOB#{job}"}, "sk": {"S": _STATE}}, ConsistentRead=True
            )
        item = response.get("Item")
        return None if item is None else dict(json.loads(from_item(item)["state"]))

    def save_job_state(self, job: str, state: dict[str, Any]) -> None:
        with translated_errors():
            self.client.put_item(
                TableName=self._table,
                Item=to_item({"pk": f"JOB#{job}", "sk": _STATE, "state": json.dumps(state, sort_keys=True)}),
            )

    # -- writes ------------------------------------------------------------------------------------------------------
    def create_account(self, account: Account, event: AuditEvent) -> None:
        """Stores a new record and its first event atomically; `AlreadyExists` when the id is taken."""
        transaction = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _account_item(account, event.at),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            self._event_put(event),
        ]
        try:
            self._transact(transaction)
        except VersionConflict as conflict:
            raise AlreadyExists(account.account_id) from conflict

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        """Replaces the record (now at `account.version`) if it is still at `read_version`, and adds the event."""
        transaction = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _account_item(account, event.at),
                    "ConditionExpression": "#version = :read_version",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":read_version": to_attr(read_version)},
                }
            },
            self._event_put(event),
        ]
        self._transact(transaction)

    def _event_put(self, event: AuditEvent) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": _event_item(event),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, transaction: list[dict[str, Any]]) -> None:
        transact_write(self.client, transaction)


# -- item layout ---------------------------------------------------------------------------------------------------
def _account_item(account: Account, updated_at: datetime | None = None) -> dict[str, Any]:
    """The record's item; `updated_at` is the time of the event written with it (a re-stamp writes none)."""
    updated = updated_at or account.updated_at
    sealed = account.band_end_month and account.band_end_sealed
    return to_item(
        {
            "pk": _pk(account.account_id),
            "sk": _STATE,
            "account_id": account.account_id,
            "age_band": account.age_band,
            "age_assurance": account.age_assurance.value,
            "restricted": account.restricted,
            "country": account.country or None,
            "subdivision": account.subdivision or None,
            "age_source": account.age_source.value,
            "band_end_known": account.band_end_known,
            "policy_version": account.policy_version,
            "policy_bucket": _policy_bucket(account.account_id, account.policy_version),
            "version": account.version,
            "settings": account.settings,
            "created_at": account.created_at.isoformat(),
            "updated_at": None if updated is None else updated.isoformat(),
            "band_end_bucket": _band_end_bucket(account.account_id, account.band_end_month) if sealed else None,
            "band_end_sealed": account.band_end_sealed if sealed else None,
            "band_end_floors": account.band_end_floors if sealed and account.band_end_floors else None,
            "signup_request": account.signup_request or None,
            "deactivation": _deactivation_item(account.deactivation),
            "guardians": [{"id": link.account_id, "since": link.since.isoformat()} for link in account.guardians]
            or None,
            "teens": account.teens or None,
            # The sparse `deactivations` index: accounts under notice, by the day their notice ends.
            **_notice_keys(account),
        }
    )


def _notice_keys(account: Account) -> dict[str, str | None]:
    pending = account.deactivation is not None and account.deactivation.state is DeactivationState.PENDING
    if account.deactivation is None or not pending:
        return {"notice_pk": None, "notice_until": None}
    shard = zlib.crc32(account.account_id.encode()) % NOTICE_SHARDS
    return {"notice_pk": f"NOTICE#{shard:02d}", "notice_until": account.deactivation.notice_until.isoformat()}


def _deactivation_item(deactivation: Deactivation | None) -> dict[str, Any] | None:
    return None if deactivation is None else deactivation_record(deactivation)


def _deactivation_from_item(item: dict[str, Any] | None) -> Deactivation | None:
    if not item:
        return None
    return Deactivation(
        state=DeactivationState(item["state"]),
        notice_until=date.fromisoformat(item["notice_until"]),
        minimum_age=int(item["minimum_age"]),
        jurisdiction=item["jurisdiction"],
        basis=item["basis"],
    )


def _account_from_item(item: dict[str, Any]) -> Account:
    return Account(
        account_id=item["account_id"],
        age_band=item["age_band"],
        age_assurance=AgeAssurance(item["age_assurance"]),
        restricted=bool(item.get("restricted", False)),
        country=item.get("country", ""),
        subdivision=item.get("subdivision", ""),
        age_source=AgeSource(item.get("age_source", AgeSource.SELF.value)),
        band_end_known=bool(item.get("band_end_known", True)),
        policy_version=item["policy_version"],
        version=int(item["version"]),
        settings=dict(item["settings"]),
        created_at=datetime.fromisoformat(item["created_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]) if item.get("updated_at") else None,
        band_end_month=item["band_end_bucket"].partition("#")[0] if item.get("band_end_sealed") else "",
        band_end_sealed=item.get("band_end_sealed", ""),
        band_end_floors=int(item.get("band_end_floors", 0)),
        signup_request=item.get("signup_request", ""),
        deactivation=_deactivation_from_item(item.get("deactivation")),
        guardians=tuple(
            GuardianLink(account_id=link["id"], since=datetime.fromisoformat(link["since"]))
            for link in item.get("guardians") or []
        ),
        teens=int(item.get("teens", 0)),
    )


def _event_item(event: AuditEvent) -> dict[str, Any]:
    return to_item(
        {
            "pk": _pk(event.account_id),
            "sk": _event_sk(event.version),
            "event_id": event.event_id,
            "account_id": event.account_id,
            "version": event.version,
            "at": event.at.isoformat(),
            "actor_id": event.actor.id,
            "actor_role": event.actor.role,
            "kind": event.kind.value,
            "changes": [
                {"setting": change.setting, "from": change.from_value, "to": change.to_value}
                for change in event.changes
            ],
            "age_band": event.age_band,
            "policy_version": event.policy_version,
            "request_id": event.request_id,
            "age": None if event.age is None else _age_facts_item(event.age),
            "move": None if event.move is None else _move_item(event.move),
            "from_policy_version": event.from_policy_version,
            "deactivation": _deactivation_item(event.deactivation),
            "guardian": None if event.guardian is None else guardian_record(event.guardian),
        }
    )


def _age_facts_item(facts: AgeFacts) -> dict[str, Any]:
    return age_record(facts)


def _move_item(move: Move) -> dict[str, Any]:
    return {
        "before": {"country": move.before.country, "subdivision": move.before.subdivision or None},
        "after": {"country": move.after.country, "subdivision": move.after.subdivision or None},
    }


def _move_from_item(item: dict[str, Any] | None) -> Move | None:
    if not item:
        return None
    before, after = item["before"], item["after"]
    return Move(
        Place(before.get("country") or "", before.get("subdivision") or ""),
        Place(after.get("country") or "", after.get("subdivision") or ""),
    )


def _age_facts_from_item(item: dict[str, Any] | None) -> AgeFacts | None:
    if not item:
        return None
    return AgeFacts(
        assurance=AgeAssurance(item["assurance"]),
        source=AgeSource(item["source"]),
        restricted=bool(item["restricted"]),
        band_end_known=bool(item["band_end_known"]),
    )


def _event_from_item(item: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        event_id=item["event_id"],
        account_id=item["account_id"],
        version=int(item["version"]),
        at=datetime.fromisoformat(item["at"]),
        actor=Actor(id=item["actor_id"], role=item["actor_role"]),
        kind=EventKind(item["kind"]),
        changes=tuple(
            Change(setting=change["setting"], from_value=change["from"], to_value=change["to"])
            for change in item.get("changes", [])
        ),
        age_band=item["age_band"],
        policy_version=item["policy_version"],
        request_id=item["request_id"],
        age=_age_facts_from_item(item.get("age")),
        move=_move_from_item(item.get("move")),
        from_policy_version=item.get("from_policy_version"),
        deactivation=_deactivation_from_item(item.get("deactivation")),
        guardian=_guardian_facts_from_item(item.get("guardian")),
    )


def _guardian_facts_from_item(item: dict[str, Any] | None) -> GuardianFacts | None:
    if not item:
        return None
    return GuardianFacts(teen_id=item["teen_id"], guardian_id=item["guardian_id"], reason=LinkReason(item["reason"]))


def _history_scope(account_id: str) -> str:
    return f"history:{account_id}"


# What the family-pairing store (chalicelib/store/guardians_store.py) writes in the same partitions, the same way.
pk_of = _pk
account_item = _account_item
event_item = _event_item
