"""An in-memory stand-in for `chalicelib.store.settings_store.SettingsStore`, so CPU figures leave storage out.

Same methods and the same contract: `create_account` refuses a taken id, `apply_change` refuses a stale version, and
`list_events` pages newest first.
"""

from __future__ import annotations

from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.store.settings_store import AccountAlreadyExists, VersionConflict


class InMemorySettingsStore:
    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._events: dict[str, list[AuditEvent]] = {}  # oldest first

    def get_account(self, account_id: str) -> Account | None:
        return self._accounts.get(account_id)

    def list_events(self, account_id: str, limit: int, before_version: int | None) -> EventPage:
        newest_first = reversed(self._events.get(account_id, []))
        older = [event for event in newest_first if before_version is None or event.version < before_version]
        page = tuple(older[:limit])
        more = len(older) > limit
        return EventPage(events=page, next_before_version=page[-1].version if more else None)

    def create_account(self, account: Account, event: AuditEvent) -> None:
        if account.account_id in self._accounts:
            raise AccountAlreadyExists(account.account_id)
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
