"""An in-memory stand-in for the settings store port (`chalicelib.services.ports.SettingsStore`), so CPU figures
leave storage out.

Same methods and the same contract: `create_account` refuses a taken id, `apply_change` refuses a stale version,
`list_events` pages newest first and refuses a cursor it did not give out.
"""

from __future__ import annotations

from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.services.ports import AlreadyExists, InvalidCursor, VersionConflict


class InMemorySettingsStore:
    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._events: dict[str, list[AuditEvent]] = {}  # oldest first

    def get_account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def age_bands(self, account_ids: list[str]) -> dict[str, str]:
        found = (self._accounts.get(account_id) for account_id in set(account_ids))
        return {account.account_id: account.age_band for account in found if account is not None}

    def list_events(self, account_id: str, limit: int, cursor: str | None) -> EventPage:
        before_version = None if cursor is None else self._before_version(account_id, cursor)
        newest_first = reversed(self._events.get(account_id, []))
        older = [event for event in newest_first if before_version is None or event.version < before_version]
        page = tuple(older[:limit])
        more = len(older) > limit
        return EventPage(events=page, next_cursor=f"{account_id}:{page[-1].version}" if more else None)

    @staticmethod
    def _before_version(account_id: str, cursor: str) -> int:
        owner, _, version = cursor.rpartition(":")
        if owner != account_id or not version.isdigit():
            raise InvalidCursor("not a cursor of this list")
        return int(version)

    def create_account(self, account: Account, event: AuditEvent) -> None:
        if account.account_id in self._accounts:
            raise AlreadyExists(account.account_id)
        self._accounts[account.account_id] = account
        self._events[account.account_id] = [event]

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        stored = self._accounts.get(account.account_id)
        if stored is None or stored.version != read_version:
            raise VersionConflict()
        self._accounts[account.account_id] = account
        self._events[account.account_id].append(event)

    def event_count(self, account_id: str) -> int:
        """For the benchmark's own check that every PATCH it timed was a real change."""
        return len(self._events.get(account_id, []))
