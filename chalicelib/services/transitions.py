"""Birthdays: every account whose age band ends on or before a day moves into the band it has reached.

The accounts are found through the band-end index (a month at a time, each month spread over partitions), never a
scan. The index holds only the month; the day is sealed, so each entry is opened here, the one place that may. A move
never changes a current value (a teen who kept strict settings keeps them): it only changes the band, which unlocks
options, and it is one write with its `band_changed` event (actor `system`).

A run saves its place after every page. A run stopped part-way (a Lambda out of time, a crash) is finished by the
next, which starts where it stopped; entries of a page that was under way when it stopped are found moved already.
A run that finished its day does nothing more that day. Months before the day's are read too (up to
`LOOKBACK_MONTHS`), so a day the job did not run at all is caught up by the next run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime

from chalicelib.domain.deactivation import lifted_by
from chalicelib.domain.errors import Conflict
from chalicelib.domain.guardians import is_minor_band
from chalicelib.domain.models import Account, Actor, AuditEvent, DeactivationState, EventKind
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.policy import Policy
from chalicelib.services.guardians import GuardianStore, LinkEnd, end_links_at_18
from chalicelib.services.ports import (
    BandEndEntry,
    BandEndOpener,
    Clock,
    SealBroken,
    TransitionsStore,
    VersionConflict,
)

JOB = "band-transitions"
LOOKBACK_MONTHS = 12
PAGE_SIZE = 100
MAX_ATTEMPTS = 3
SYSTEM = Actor(id="system", role="system")


@dataclass(frozen=True)
class TransitionsDeps:
    store: TransitionsStore
    policy: Policy
    band_ends: BandEndOpener  # seals and opens: the only composition given one
    clock: Clock
    links: GuardianStore | None = None  # family pairing: links end when a teen turns 18


@dataclass
class TransitionCounts:
    due: int = 0  # accounts whose band ends on or before the day
    moved: int = 0  # moved by this run
    already_moved: int = 0  # listed by the index but found moved (an earlier run, or a concurrent one)
    failed: int = 0  # could not be moved (a value that does not open; contention that outlasted the retries)
    deactivated: int = 0  # accounts whose notice of deactivation (a raised minimum age) ended on or before the day


@dataclass
class TransitionRun:
    day: date
    dry_run: bool
    counts: TransitionCounts = field(default_factory=TransitionCounts)
    partitions: int = 0
    partitions_done: int = 0
    complete: bool = False
    resumed: bool = False  # continued a run of the same day that had stopped part-way
    counts_before: TransitionCounts = field(default_factory=TransitionCounts)  # what earlier runs of the day did
    failed_accounts: list[str] = field(default_factory=list)  # ids only (never a date), at most 100


Progress = Callable[[TransitionRun], None]


def months_to_read(day: date, lookback: int = LOOKBACK_MONTHS) -> list[str]:
    """`day`'s month and the `lookback` months before it, oldest first, as YYYY-MM."""
    index = day.year * 12 + day.month - 1
    return [f"{month // 12:04d}-{month % 12 + 1:02d}" for month in range(index - lookback, index + 1)]


def run_transitions(
    deps: TransitionsDeps,
    day: date,
    *,
    dry_run: bool = False,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Progress | None = None,
) -> TransitionRun:
    """Moves every account due on `day` (or, with `dry_run`, only counts them and writes nothing)."""
    store = deps.store
    partitions = [partition for month in months_to_read(day) for partition in store.band_end_partitions(month)]
    run = TransitionRun(day=day, dry_run=dry_run, partitions=len(partitions))
    start: str | None = None
    saved = None if dry_run else store.job_state(JOB)
    if saved is not None and saved.get("day") == day.isoformat():
        run.counts = TransitionCounts(**saved["counts"])
        run.counts_before = TransitionCounts(**saved["counts"])
        run.partitions_done, start, run.complete = saved["partitions_done"], saved["start"], saved["complete"]
        run.resumed = not run.complete
    finished_before = run.complete  # a finished day costs one read
    unsaved = False  # progress over empty partitions is saved with the next page that moves someone
    while not run.complete:
        if should_stop():
            break
        entries, start = store.band_end_page(partitions[run.partitions_done], start, PAGE_SIZE)
        _move_page(deps, run, entries)
        if start is None:
            run.partitions_done += 1
            run.complete = run.partitions_done == len(partitions)
        unsaved = True
        if entries or run.complete:
            unsaved = _save(deps, run, start)
        if progress is not None:
            progress(run)
    if run.complete and not run.dry_run and not finished_before:
        run.counts.deactivated += deactivate_due(deps, day)  # once a day, when its moves are done
    elif run.dry_run:
        run.counts.deactivated = deactivate_due(deps, day, dry_run=True)
    if unsaved or run.counts.deactivated:
        _save(deps, run, start)
    return run


def _save(deps: TransitionsDeps, run: TransitionRun, start: str | None) -> bool:
    if not run.dry_run:
        deps.store.save_job_state(JOB, _state(run, start))
    return False


def _state(run: TransitionRun, start: str | None) -> dict[str, object]:
    return {
        "day": run.day.isoformat(),
        "counts": asdict(run.counts),
        "partitions_done": run.partitions_done,
        "start": start,
        "complete": run.complete,
    }


def _move_page(deps: TransitionsDeps, run: TransitionRun, entries: list[BandEndEntry]) -> None:
    """Moves the page's due accounts, each read consistently (the index may lag behind a move)."""
    due: list[str] = []
    # By account and sealed value (a value opens only for its own account): the record read again usually holds it.
    opened: dict[tuple[str, str], tuple[date, ...]] = {}
    for entry in entries:
        ends = _ends(deps, run, entry.account_id, entry.sealed)
        if ends and ends[0] <= run.day:
            due.append(entry.account_id)
            opened[entry.account_id, entry.sealed] = ends
    accounts = deps.store.get_accounts(due) if due else {}
    for account_id in due:
        account = accounts.get(account_id)
        if account is None:
            continue
        run.counts.due += 1
        for _ in range(MAX_ATTEMPTS):
            outcome = _move(deps, run, account, opened)
            if outcome != "conflict":
                break
            account = deps.store.get_account(account_id) or account
        else:
            outcome = "failed"
        if outcome == "counted":
            continue
        if outcome == "failed":
            _failed(run, account_id)
        elif outcome == "moved":
            run.counts.moved += 1
        else:
            run.counts.already_moved += 1


def _ends(deps: TransitionsDeps, run: TransitionRun, account_id: str, sealed: str) -> tuple[date, ...]:
    """The days `sealed` holds; () (never due) when it does not open, which counts as a failure."""
    try:
        return deps.band_ends.open(account_id, sealed)
    except SealBroken:
        _failed(run, account_id)
        return ()


def _failed(run: TransitionRun, account_id: str) -> None:
    run.counts.failed += 1
    if len(run.failed_accounts) < 100:
        run.failed_accounts.append(account_id)


def _move(
    deps: TransitionsDeps,
    run: TransitionRun,
    account: Account,
    opened: dict[tuple[str, str], tuple[date, ...]] | None = None,
) -> str:
    """ "moved", "already" (not due any more), "counted" (its value does not open: a failure, counted), or
    "conflict" (changed since read: read again)."""
    if not account.band_end_sealed:
        return "already"
    known = (opened or {}).get((account.account_id, account.band_end_sealed))
    ends = known or _ends(deps, run, account.account_id, account.band_end_sealed)
    if not ends:
        return "counted"  # _ends counted the failure
    passed = sum(1 for end in ends if end <= run.day)
    if passed == 0:
        return "already"
    if run.dry_run:
        return "moved"
    updated, event = band_change(deps, account, ends[:passed], ends[passed:], JOB)  # never the day: it is a birthday
    try:
        deps.store.apply_change(updated, account.version, event)
    except VersionConflict:
        return "conflict"
    _end_links_if_adult(deps, updated)
    return "moved"


def _end_links_if_adult(deps: TransitionsDeps, account: Account) -> None:
    """At 18 every guardian link ends, with an event for both (ICO Children's Code std 11: oversight ends at 18 and
    both are told). A link that loses a race stays for the next run to end; its guardian sees nothing meanwhile (a
    guardian's access needs the account under 18)."""
    if deps.links is None or is_minor_band(account.age_band) or not account.guardians:
        return
    end = LinkEnd(deps.links, deps.policy.version, deps.clock(), JOB)
    try:
        end_links_at_18(end, deps.store.get_accounts, account, SYSTEM.id)
    except Conflict:
        return


def band_change(
    deps: TransitionsDeps, account: Account, passed: tuple[date, ...], remaining: tuple[date, ...], request_id: str
) -> tuple[Account, AuditEvent]:
    """The account moved past `passed` band ends into the band it has reached, and its `band_changed` event."""
    bands = [band.name for band in deps.policy.age.bands]
    band = bands[min(bands.index(account.age_band) + len(passed), len(bands) - 1)]
    # Moving up a band only unlocks options. A setting the account has no value for keeps the value it showed (the
    # younger band's default), never the older band's looser one; the one rule then changes nothing.
    rules = account_rules(deps.policy, account, deps.clock().date())
    shown = {**band_defaults(rules, account.age_band), **account.settings}
    lifted = lifted_by(deps.policy, account, band)
    restricted = account.restricted and not (
        lifted and account.deactivation is not None and account.deactivation.state is DeactivationState.DEACTIVATED
    )
    # Lifting a deactivation loosens no value: every setting stays as strict as it was; options unlock.
    settings, changes = conform(rules, band, shown, restricted=restricted)
    updated = replace(
        account,
        restricted=restricted,
        deactivation=None if lifted else account.deactivation,
        age_band=band,
        version=account.version + 1,
        settings=settings,
        band_end_month=remaining[0].isoformat()[:7] if remaining else "",
        band_end_sealed=deps.band_ends.seal(account.account_id, remaining) if remaining else "",
        band_end_floors=0,  # the new value nests nothing
    )
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=updated.version,
        at=undated(deps.clock(), account),
        actor=SYSTEM,
        kind=EventKind.BAND_CHANGED,
        changes=changes,
        age_band=band,
        policy_version=deps.policy.version,
        request_id=request_id,
        deactivation=replace(account.deactivation, state=DeactivationState.LIFTED)
        if lifted and account.deactivation is not None
        else None,
    )
    return updated, event


def undated(now: datetime, account: Account) -> datetime:
    """When a band change is recorded as having happened: the first instant of its UTC month, or the account's
    previous event if that came later in the month. Never the day: a band changes on a birthday, so its day and the
    band give the birth date away (in the history, in an export's `updated_at`). The order of events is their
    version; this only keeps the record's time from saying more than the month."""
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = account.updated_at or account.created_at
    return max(month, previous)


def deactivate_due(deps: TransitionsDeps, day: date, *, dry_run: bool = False) -> int:
    """Restricts every account whose notice of deactivation ended on or before `day`, each with a `deactivated`
    event: every setting at its strictest, every option locked, until the birthday that brings it to the minimum.
    Found through the sparse `notices` index; each leaves it when deactivated (so a repeat finds nothing)."""
    done = 0
    while True:
        ids = deps.store.notices_due(day, PAGE_SIZE)
        accounts = deps.store.get_accounts(ids) if ids else {}
        due = [
            a for a in accounts.values()
            if a.deactivation is not None and a.deactivation.state is DeactivationState.PENDING
            and a.deactivation.notice_until <= day
        ]  # fmt: skip
        if dry_run:
            return len(due)
        for account in due:
            done += _deactivate(deps, account)
        if len(ids) < PAGE_SIZE or not due:
            return done


def _deactivate(deps: TransitionsDeps, account: Account) -> int:
    if account.deactivation is None:  # listed by the index, lifted meanwhile
        return 0
    rules = account_rules(deps.policy, account, deps.clock().date())
    settings, changes = conform(rules, account.age_band, account.settings, restricted=True)
    deactivation = replace(account.deactivation, state=DeactivationState.DEACTIVATED)
    updated = replace(
        account, restricted=True, settings=settings, deactivation=deactivation, version=account.version + 1
    )
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=updated.version,
        at=deps.clock(),
        actor=SYSTEM,
        kind=EventKind.DEACTIVATED,
        changes=changes,
        age_band=account.age_band,
        policy_version=deps.policy.version,
        request_id=f"deactivation:{account.deactivation.notice_until.isoformat()}",
        deactivation=deactivation,
    )
    try:
        deps.store.apply_change(updated, account.version, event)
    except VersionConflict:
        return 0  # changed meanwhile: still under notice, so the next run takes it up
    return 1


def move_if_due(deps: TransitionsDeps, account: Account, day: date) -> str:
    """One account's move on `day`, exactly as a run makes it: "moved", "already", "failed" or "conflict"."""
    return _move(deps, TransitionRun(day=day, dry_run=False), account)
