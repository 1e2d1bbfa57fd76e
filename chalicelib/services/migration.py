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
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.deactivation import reconsidered
from chalicelib.domain.models import Account, Actor, AuditEvent, Change, Deactivation, DeactivationState, EventKind
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.policy import Policy, Rules, SettingValue
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

    def job_state(self, job: str) -> dict[str, Any] | None: ...

    def save_job_state(self, job: str, state: dict[str, Any]) -> None: ...

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
    # A minimum age the target raises above the account's band gives notice (one it lowers lifts it).
    account_now, settings, changes, deactivation = _brought_under(
        account_rules(target, account, today), account, shown, today
    )
    if not changes and deactivation is None:
        # Nothing the account shows changes; the values it showed by default under its old version are stored, so
        # a looser default of the target can never reach a setting it had no stored value for.
        return replace(account, settings=settings, policy_version=target.version), None
    updated = replace(account_now, settings=settings, policy_version=target.version, version=account.version + 1)
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
        deactivation=deactivation,
    )
    return updated, event


def _brought_under(
    rules: Rules, account: Account, shown: dict[str, SettingValue], day: date
) -> tuple[Account, dict[str, SettingValue], tuple[Change, ...], Deactivation | None]:
    """The account's deactivation reconsidered under `rules`, then its settings conformed to them."""
    account_now, deactivation = reconsidered(rules, account, day)
    settings, changes = conform(rules, account.age_band, shown, restricted=account_now.restricted)
    return account_now, settings, changes, deactivation


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
    if event is not None and event.deactivation is not None and event.deactivation.state is DeactivationState.PENDING:
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


OVERLAYS_JOB = "overlays-taking-effect"


def overlays_taking_effect(policy: Policy, after: date, day: date) -> tuple[str, ...]:
    """The jurisdictions of overlays (never pending ones) whose `effective_from` falls in (after, day]."""
    return tuple(
        o.jurisdiction
        for o in policy.overlays
        if not o.pending and o.effective_from is not None and after < o.effective_from <= day
    )


def apply_overlays_taking_effect(deps: MigrationDeps, day: date) -> Impact:
    """The daily step that brings accounts on the version in force under overlays taking effect since the last day
    done (saved as job state; the first run looks at `day` alone): each account those overlays cover is conformed
    under the rules there from `day`, with an `overlay_applied` event when anything changes. It reads the version's
    index partitions (not the table) only on a day an overlay takes effect; accounts on older versions get the same
    rules when migrated."""
    policy, store = deps.policy, deps.store
    impact = Impact(target=policy.version, dry_run=False)
    saved = store.job_state(OVERLAYS_JOB)
    after = date.fromisoformat(saved["day"]) if saved else day - timedelta(days=1)
    if after >= day:
        return impact
    taking_effect = set(overlays_taking_effect(policy, after, day))
    at = deps.clock()
    for partition in store.policy_partitions(policy.version) if taking_effect else ():
        start: str | None = None
        while True:
            ids, start = store.policy_page(partition, start, PAGE)
            for account in (store.get_accounts(ids) if ids else {}).values():
                covering = {
                    o.jurisdiction for o in policy.overlays_for(account.country, account.subdivision or None, day)
                }
                if account.policy_version == policy.version and covering & taking_effect:
                    _apply_overlays(deps, impact, account, day, at)
            if start is None:
                break
    store.save_job_state(OVERLAYS_JOB, {"day": day.isoformat()})
    return impact


def _apply_overlays(deps: MigrationDeps, impact: Impact, account: Account, day: date, at: datetime) -> None:
    impact.seen += 1
    before = account_rules(deps.policy, account, day - timedelta(days=1))
    rules = account_rules(deps.policy, account, day)
    shown = {**band_defaults(before, account.age_band), **account.settings}
    account_now, settings, changes, deactivation = _brought_under(rules, account, shown, day)
    if not changes and deactivation is None:
        return
    updated = replace(account_now, settings=settings, version=account.version + 1)
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=updated.version,
        at=at,
        actor=SYSTEM,
        kind=EventKind.OVERLAY_APPLIED,
        changes=changes,
        age_band=account.age_band,
        policy_version=deps.policy.version,
        request_id=f"overlays:{day.isoformat()}",
        deactivation=deactivation,
    )
    try:
        deps.store.apply_change(updated, account.version, event)
    except VersionConflict:
        impact.conflicts += 1  # the holder's change won the race; it was checked against today's rules already
        return
    impact.changed += 1
    for change in changes:
        impact.touched[(change.setting, account.age_band, jurisdiction_label(account))] += 1
