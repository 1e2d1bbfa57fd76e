"""Policy migrations that never loosen: every account not yet on the target version is brought under it through the
one conform rule, and the rules of overlays that take effect reach the accounts they cover on that day.

- Accounts are found through the `policy_versions` index: each account is listed under `<its version>#<shard>`, so the
  accounts still on an old version are exactly those partitions (no scan), spread over shards (no hot partition).
- Per account: conform under the target's rules where it lives today. A new setting gets its default there, a value
  now looser than allowed is clamped, nothing is loosened. A changed account gets one `policy_migrated` event (old and
  new versions, every change) in the same atomic write; one with nothing to change is re-stamped, without an event.
- Idempotent and resumable by construction: a migrated account leaves its old partition, so a run that stops half-way
  is finished by running again, and a second complete run finds nothing. A write that loses a race with the holder's
  own change is skipped and counted; the next run takes it up.
- A dry run reads the same accounts, computes the same changes, writes nothing, and reports the impact: accounts
  touched per setting, band and jurisdiction.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from chalicelib.domain.deactivation import notice_if_below
from chalicelib.domain.models import Account, Actor, AuditEvent, EventKind
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.policy import Policy
from chalicelib.services.ports import Clock, SettingsStore, VersionConflict

SYSTEM = Actor(id="policy-migration", role="system")
PAGE = 100


class MigrationStore(SettingsStore, Protocol):
    def policy_partitions(self, version: str) -> tuple[str, ...]:
        """The index partitions that together list every account on `version`."""

    def policy_page(self, partition: str, start: str | None, limit: int) -> tuple[list[str], str | None]:
        """Up to `limit` account ids of one partition from `start`; the position after them, None at the end.
        Read from the index: eventually consistent (each account is then read consistently)."""

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        """The current records of those that exist, read consistently, by id."""

    def restamp(self, account: Account, read_version: int) -> None:
        """Stores the record (the same version: nothing it shows changed) on `account.policy_version`, without an
        event, if it is still at `read_version`; else `VersionConflict`."""


@dataclass(frozen=True)
class MigrationDeps:
    store: MigrationStore
    policy: Policy  # the target
    policies: Callable[[str], Policy]  # any kept version, by name (the one an account is on)
    clock: Clock


@dataclass
class Impact:
    """What a run did (or, dry, would do)."""

    target: str
    dry_run: bool
    seen: int = 0
    changed: int = 0
    restamped: int = 0
    conflicts: int = 0
    notices: int = 0  # accounts given notice of deactivation (a raised minimum age)
    from_versions: Counter[str] = field(default_factory=Counter)
    # (setting, band, jurisdiction) -> accounts whose value changes
    touched: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def complete(self) -> bool:
        return self.conflicts == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "dry_run": self.dry_run,
            "accounts_seen": self.seen,
            "accounts_changed": self.changed,
            "accounts_restamped": self.restamped,
            "conflicts": self.conflicts,
            "deactivation_notices": self.notices,
            "from_versions": dict(sorted(self.from_versions.items())),
            "touched": [
                {"setting": setting, "band": band, "jurisdiction": where, "accounts": count}
                for (setting, band, where), count in sorted(self.touched.items())
            ],
        }


def jurisdiction_label(account: Account) -> str:
    return account.subdivision or account.country or "unknown"


def migrated(deps: MigrationDeps, account: Account, today: date, at: datetime) -> tuple[Account, AuditEvent | None]:
    """The account under the target, and its `policy_migrated` event (None when nothing but the stamp changes)."""
    target = deps.policy
    try:
        before = account_rules(deps.policies(account.policy_version), account, today)
        shown = {**band_defaults(before, account.age_band), **account.settings}
    except LookupError:  # a version no longer kept: only the stored values count
        shown = dict(account.settings)
    rules = account_rules(target, account, today)
    settings, changes = conform(rules, account.age_band, shown, restricted=account.restricted)
    notice = notice_if_below(rules, account, today)  # a minimum age the target raises above the account's band
    if not changes and notice is None:
        # Nothing the account shows changes; the values it showed by default under its old version are stored, so
        # a looser default of the target can never reach a setting it had no stored value for.
        return replace(account, settings=settings, policy_version=target.version), None
    updated = replace(account, settings=settings, policy_version=target.version, version=account.version + 1)
    if notice is not None:
        updated = replace(updated, deactivation=notice.deactivation)
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=updated.version,
        at=at,
        actor=SYSTEM,
        kind=EventKind.POLICY_MIGRATED,
        changes=changes,
        age_band=account.age_band,
        policy_version=target.version,
        request_id=f"policy-migration:{account.policy_version}->{target.version}",
        from_policy_version=account.policy_version,
        deactivation=None if notice is None else notice.deactivation,
    )
    return updated, event


def versions_to_migrate(kept: Iterable[str], target: str) -> tuple[str, ...]:
    return tuple(version for version in kept if version != target)


def run_migration(
    deps: MigrationDeps,
    from_versions: Iterable[str],
    *,
    dry_run: bool = False,
    max_accounts: int | None = None,
    progress: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Impact:
    """Brings every account on `from_versions` under the target (see the module). `max_accounts` and `should_stop`
    end a run early (a Lambda near its time limit); running again carries on where it stopped."""
    impact = Impact(target=deps.policy.version, dry_run=dry_run)
    now = deps.clock()
    today = now.date()
    for version in from_versions:
        if version == deps.policy.version:
            continue
        for partition in deps.store.policy_partitions(version):
            start: str | None = None
            while True:
                if _stopping(impact, max_accounts, should_stop):
                    return impact
                limit = PAGE if max_accounts is None else max(1, min(PAGE, max_accounts - impact.seen))
                ids, start = deps.store.policy_page(partition, start, limit)
                accounts = deps.store.get_accounts(ids) if ids else {}
                for account_id in ids:
                    account = accounts.get(account_id)
                    if account is None or account.policy_version != version:
                        continue  # the index lagged: already migrated, or gone
                    _migrate_one(deps, impact, account, today, now)
                    if progress is not None:
                        progress(1)
                if start is None:
                    break
    return impact


def _stopping(impact: Impact, max_accounts: int | None, should_stop: Callable[[], bool] | None) -> bool:
    return (max_accounts is not None and impact.seen >= max_accounts) or (should_stop is not None and should_stop())


def _migrate_one(deps: MigrationDeps, impact: Impact, account: Account, today: date, now: datetime) -> None:
    impact.seen += 1
    impact.from_versions[account.policy_version] += 1
    updated, event = migrated(deps, account, today, now)
    if event is not None and event.deactivation is not None:
        impact.notices += 1
    if event is not None:
        where = jurisdiction_label(account)
        for change in event.changes:
            impact.touched[(change.setting, account.age_band, where)] += 1
    if impact.dry_run:
        _count(impact, event)
        return
    try:
        if event is None:
            deps.store.restamp(updated, account.version)
        else:
            deps.store.apply_change(updated, account.version, event)
    except VersionConflict:
        impact.conflicts += 1
        return
    _count(impact, event)


def _count(impact: Impact, event: AuditEvent | None) -> None:
    if event is None:
        impact.restamped += 1
    else:
        impact.changed += 1
