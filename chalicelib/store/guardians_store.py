"""Family pairing in the settings table: pairing codes, their rate windows, and the links between accounts.

Layout (private to this module, beside chalicelib/store/settings_store.py's):
- `pk = PAIRING#<keyed hash of the code>, sk = CODE`: who made it, when it expires (`expires_at`, epoch seconds: the
  table's TTL removes it; reads check the time too, TTL being late by up to days). The code itself is never stored.
- `pk = ACCOUNT#<id>, sk = RATE#<what>#<YYYYMMDDHH>`: a counter for one hour (codes made, failed redemptions);
  `sk = LOCK#redeem`: redemption locked until a time. Both expire by TTL.
- `pk = ACCOUNT#<guardian>, sk = TEEN#<teen>`: one link, listed by the guardian; the teen's record holds its
  guardians itself (the settings document shows them with no extra read).
A link is made or ended in one transaction: the code's deletion (single use), both records (each conditional on the
version read, so the limits checked on them hold), an event on each history, and the guardian's link item.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain.models import Account, AuditEvent, GuardianLink
from chalicelib.store.dynamo import TableAdapter, from_item, to_attr, transact_write, translated_errors
from chalicelib.store.settings_store import account_item, event_item, pk_of

_CODE = "CODE"
_TEEN_PREFIX = "TEEN#"
_REDEEM_LOCK = "LOCK#redeem"


@dataclass(frozen=True)
class StoredCode:
    creator_id: str
    expires_at: datetime


def _code_key(code_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"PAIRING#{code_hash}"}, "sk": {"S": _CODE}}


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class GuardianStore(TableAdapter):
    """The DynamoDB adapter of `chalicelib.services.guardians.GuardianStore`."""

    # -- codes -------------------------------------------------------------------------------------------------------
    def put_code(self, code_hash: str, creator_id: str, expires_at: datetime) -> None:
        with translated_errors():
            self.client.put_item(
                TableName=self._table,
                Item={
                    **_code_key(code_hash),
                    "creator_id": {"S": creator_id},
                    "expires_at": {"N": str(_epoch(expires_at))},
                },
                ConditionExpression="attribute_not_exists(pk)",  # a collision (one in 8.5e11) fails, never merges
            )

    def get_code(self, code_hash: str) -> StoredCode | None:
        with translated_errors():
            response = self.client.get_item(TableName=self._table, Key=_code_key(code_hash), ConsistentRead=True)
        item = response.get("Item")
        if item is None:
            return None
        plain = from_item(item)
        expires = datetime.fromtimestamp(int(plain["expires_at"]), tz=UTC)
        return StoredCode(creator_id=plain["creator_id"], expires_at=expires)

    # -- rate windows ------------------------------------------------------------------------------------------------
    def count_in_window(self, account_id: str, what: str, window: str, limit: int, window_ends: datetime) -> bool:
        """Counts one more in the hour `window` if fewer than `limit` are counted there; False when full."""
        from botocore.exceptions import ClientError

        try:
            with translated_errors():
                self.client.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": pk_of(account_id)}, "sk": {"S": f"RATE#{what}#{window}"}},
                    UpdateExpression="ADD #count :one SET expires_at = :expires",
                    ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
                    ExpressionAttributeNames={"#count": "count"},
                    ExpressionAttributeValues={
                        ":one": to_attr(1),
                        ":limit": to_attr(limit),
                        ":expires": to_attr(_epoch(window_ends + timedelta(hours=1))),
                    },
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def locked_until(self, account_id: str) -> datetime | None:
        with translated_errors():
            response = self.client.get_item(
                TableName=self._table,
                Key={"pk": {"S": pk_of(account_id)}, "sk": {"S": _REDEEM_LOCK}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return None if item is None else datetime.fromisoformat(from_item(item)["until"])

    def lock_redemption(self, account_id: str, until: datetime) -> None:
        with translated_errors():
            self.client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": pk_of(account_id)},
                    "sk": {"S": _REDEEM_LOCK},
                    "until": {"S": until.isoformat()},
                    "expires_at": {"N": str(_epoch(until) + 3600)},
                },
            )

    # -- links -------------------------------------------------------------------------------------------------------
    def link(
        self,
        teen: tuple[Account, int, AuditEvent],
        guardian: tuple[Account, int, AuditEvent],
        code_hash: str,
        now: datetime,
    ) -> None:
        """The link, atomically with the code's single use (`VersionConflict` if the code went, or either record
        changed since it was read)."""
        teen_account, _, _ = teen
        guardian_account, _, link_event = guardian
        transaction = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _code_key(code_hash),
                    "ConditionExpression": "attribute_exists(pk) AND expires_at > :now",
                    "ExpressionAttributeValues": {":now": to_attr(_epoch(now))},
                }
            },
            *self._record_and_event(*teen),
            *self._record_and_event(*guardian),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        "pk": {"S": pk_of(guardian_account.account_id)},
                        "sk": {"S": f"{_TEEN_PREFIX}{teen_account.account_id}"},
                        "teen_id": {"S": teen_account.account_id},
                        "since": {"S": link_event.at.isoformat()},
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        transact_write(self.client, transaction)

    def unlink(self, teen: tuple[Account, int, AuditEvent], guardian: tuple[Account, int, AuditEvent]) -> None:
        """Ends a link: both records, both events, the guardian's link item, at once."""
        teen_account = teen[0]
        guardian_account = guardian[0]
        transaction = [
            *self._record_and_event(*teen),
            *self._record_and_event(*guardian),
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {
                        "pk": {"S": pk_of(guardian_account.account_id)},
                        "sk": {"S": f"{_TEEN_PREFIX}{teen_account.account_id}"},
                    },
                }
            },
        ]
        transact_write(self.client, transaction)

    def teens_of(self, guardian_id: str) -> list[GuardianLink]:
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk_of(guardian_id)}, ":prefix": {"S": _TEEN_PREFIX}},
            "ConsistentRead": True,
        }
        links: list[GuardianLink] = []
        while True:
            with translated_errors():
                response = self.client.query(**query)
            for item in response.get("Items", []):
                plain = from_item(item)
                links.append(GuardianLink(account_id=plain["teen_id"], since=datetime.fromisoformat(plain["since"])))
            if "LastEvaluatedKey" not in response:
                return sorted(links, key=lambda link: link.since)
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _record_and_event(self, account: Account, read_version: int, event: AuditEvent) -> list[dict[str, Any]]:
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": account_item(account, event.at),
                    "ConditionExpression": "#version = :read_version",
                    "ExpressionAttributeNames": {"#version": "version"},
                    "ExpressionAttributeValues": {":read_version": to_attr(read_version)},
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": event_item(event),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
