"""In-memory fakes of the store ports in `chalicelib.services.ports`, for service tests that need no AWS.

Each fake is a few dicts and a lock. Every method runs under the lock and checks all of its conditions before it
writes anything, so a refused write writes nothing; values are copied in and out, so no caller can change what is
stored. `tests/contract/` runs one suite against each fake and its DynamoDB adapter.

Paging cursors are sealed with the same `CursorSealer` as the adapters' and under the same scopes, so a cursor from
another list, an edited one, or a sealed position of the wrong shape is `InvalidCursor` here as it is there.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.domain.reports import Decision, Priority, QueueItem, RateWindow, Report, ReportStatus, Target
from chalicelib.services.ports import (
    AlreadyExists,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    IdempotentRequest,
    InvalidCursor,
    Mute,
    OpenRound,
    SubmissionState,
    VersionConflict,
)
from chalicelib.store.cursors import CursorSealer

T = TypeVar("T")
FAKE_CURSOR_KEY = b"fake-store-cursor-key-of-32-bytes!!"


def _copied(value: T) -> T:
    return copy.deepcopy(value)


def _history_scope(account_id: str) -> str:
    return f"history:{account_id}"


def _reports_scope(reporter_id: str) -> str:
    return f"reports:{reporter_id}"


_QUEUE_SCOPE = "queue"


# -- settings --------------------------------------------------------------------------------------------------------
class FakeSettingsStore:
    """`SettingsStore`: accounts by id, and each account's events by version."""

    def __init__(self, cursors: CursorSealer | None = None) -> None:
        self._cursors = cursors or CursorSealer(FAKE_CURSOR_KEY)
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._events: dict[str, dict[int, AuditEvent]] = {}

    def get_account(self, account_id: str) -> Account | None:
        with self._lock:
            return _copied(self._accounts.get(account_id))

    def age_bands(self, account_ids: list[str]) -> dict[str, str]:
        with self._lock:
            return {i: self._accounts[i].age_band for i in account_ids if i in self._accounts}

    def list_events(self, account_id: str, limit: int, cursor: str | None) -> EventPage:
        before = None if cursor is None else self._before_version(account_id, cursor)
        with self._lock:
            events = sorted(self._events.get(account_id, {}).values(), key=lambda event: -event.version)
        older = [event for event in events if before is None or event.version < before]
        page = tuple(older[:limit])
        more = len(older) > limit
        next_cursor = self._cursors.seal(_history_scope(account_id), {"before": page[-1].version}) if more else None
        return EventPage(events=_copied(page), next_cursor=next_cursor)

    def _before_version(self, account_id: str, cursor: str) -> int:
        position = self._cursors.unseal(_history_scope(account_id), cursor)
        value = position.get("before") if isinstance(position, dict) and set(position) == {"before"} else None
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value < 10**12:
            raise InvalidCursor("history cursor out of range")
        return value

    def create_account(self, account: Account, event: AuditEvent) -> None:
        with self._lock:
            if account.account_id in self._accounts or event.version in self._events.get(event.account_id, {}):
                raise AlreadyExists(account.account_id)
            self._accounts[account.account_id] = _copied(account)
            self._events.setdefault(event.account_id, {})[event.version] = _copied(event)

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        with self._lock:
            stored = self._accounts.get(account.account_id)
            if stored is None or stored.version != read_version:
                raise VersionConflict()
            if event.version in self._events.get(event.account_id, {}):
                raise VersionConflict()
            self._accounts[account.account_id] = _copied(account)
            self._events.setdefault(event.account_id, {})[event.version] = _copied(event)


# -- reports ---------------------------------------------------------------------------------------------------------
RoundKey = tuple[Target, str]


@dataclass
class _Guard:
    report_id: str
    until: datetime


class FakeReportsStore:
    """`ReportsStore`: reports by id, each round's report ids, the open round per target, decisions per round, and
    per-reporter rate windows, mutes, duplicate guards and unfounded outcomes."""

    def __init__(self, cursors: CursorSealer | None = None) -> None:
        self._cursors = cursors or CursorSealer(FAKE_CURSOR_KEY)
        self._lock = threading.Lock()
        self._reports: dict[str, Report] = {}
        self._round_members: dict[RoundKey, list[str]] = {}
        self._open: dict[Target, OpenRound] = {}
        self._decisions: dict[RoundKey, Decision] = {}
        self._unfinished: set[RoundKey] = set()
        self._rates: dict[str, tuple[RateWindow, int]] = {}
        self._mutes: dict[str, Mute] = {}
        self._guards: dict[tuple[str, Target, str], _Guard] = {}
        self._unfounded: dict[str, dict[str, datetime]] = {}  # reporter -> decision id -> decided at

    # -- submission --------------------------------------------------------------------------------------------------
    def submission_state(
        self,
        report_id: str,
        reporter_id: str,
        target: Target,
        reason: str,
        unfounded_since: datetime,
        unfounded_cap: int,
    ) -> SubmissionState:
        with self._lock:
            rate, revision = self._rates.get(reporter_id, (RateWindow(), 0))
            guard = self._guards.get((reporter_id, target, reason))
            unfounded = sum(1 for at in self._unfounded.get(reporter_id, {}).values() if at >= unfounded_since)
            return _copied(
                SubmissionState(
                    rate=rate,
                    rate_revision=revision,
                    mute=self._mutes.get(reporter_id),
                    unfounded_recently=min(unfounded, unfounded_cap),
                    own_report=self._reports.get(report_id),
                    duplicate_of=guard.report_id if guard else None,
                    duplicate_until=guard.until if guard else None,
                    open_round=self._open.get(target),
                )
            )

    def record_report(
        self, report: Report, state: SubmissionState, rate: RateWindow, duplicate_until: datetime, now: datetime
    ) -> None:
        target, reporter = report.target, report.reporter_id
        with self._lock:
            guard = self._guards.get((reporter, target, report.reason))
            stored_rate = self._rates.get(reporter)
            if (
                report.report_id in self._reports
                or (guard is not None and guard.until > now and guard.report_id != state.duplicate_of)
                or (stored_rate is not None and stored_rate[1] != state.rate_revision)
                or self._round_refuses(report, state.open_round)
            ):
                raise VersionConflict()
            self._reports[report.report_id] = _copied(report)
            self._guards[(reporter, target, report.reason)] = _Guard(report.report_id, duplicate_until)
            self._rates[reporter] = (_copied(rate), state.rate_revision + 1)
            self._round_members.setdefault((target, report.round_id), []).append(report.report_id)
            current = self._open.get(target)
            if current is None:
                self._open[target] = OpenRound(report.round_id, report.priority, report.received_at)
            elif report.priority < current.priority:
                self._open[target] = replace(current, priority=report.priority)

    def _round_refuses(self, report: Report, read: OpenRound | None) -> bool:
        """A report joins the round it read while that round is still open, and raises its priority only from the
        priority it read; otherwise it opens a new round, and only while none is open."""
        if (report.target, report.round_id) in self._decisions:
            return True
        current = self._open.get(report.target)
        if read is None or read.round_id != report.round_id:
            return current is not None
        if current is None or current.round_id != read.round_id:
            return True
        return report.priority < read.priority and current.priority != read.priority

    # -- reading reports ---------------------------------------------------------------------------------------------
    def get_report(self, report_id: str) -> Report | None:
        with self._lock:
            report = self._reports.get(report_id)
            return None if report is None else _copied(self._read_through(report))

    def _read_through(self, report: Report) -> Report:
        decision = self._decisions.get((report.target, report.round_id))
        if report.status is ReportStatus.DECIDED or decision is None:
            return report
        return replace(report, status=ReportStatus.DECIDED, decision=decision)

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        scope = _reports_scope(reporter_id)
        after = None if cursor is None else _report_position(self._cursors.unseal(scope, cursor))
        with self._lock:
            mine = [self._read_through(r) for r in self._reports.values() if r.reporter_id == reporter_id]
        newest_first = sorted(mine, key=_report_order, reverse=True)
        older = [report for report in newest_first if after is None or _report_order(report) < after]
        page = older[:limit]
        more = len(older) > limit
        next_cursor = self._cursors.seal(scope, list(_report_order(page[-1]))) if more else None
        return _copied(page), next_cursor

    # -- the queue ---------------------------------------------------------------------------------------------------
    def open_round(self, target: Target) -> OpenRound | None:
        with self._lock:
            return _copied(self._open.get(target))

    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[QueueItem], str | None]:
        after = None if cursor is None else _queue_position(self._cursors.unseal(_QUEUE_SCOPE, cursor))
        with self._lock:
            items = sorted((self._queue_item(target, head) for target, head in self._open.items()), key=_queue_order)
        later = [item for item in items if after is None or _queue_order(item) > after]
        page = later[:limit]
        more = len(later) > limit
        next_cursor = self._cursors.seal(_QUEUE_SCOPE, list(_queue_order(page[-1]))) if more else None
        return page, next_cursor

    def _queue_item(self, target: Target, head: OpenRound) -> QueueItem:
        reports = [self._reports[i] for i in self._round_members.get((target, head.round_id), [])]
        return QueueItem(
            target=target,
            round_id=head.round_id,
            priority=head.priority,
            report_count=len(reports),
            reasons=frozenset(r.reason for r in reports),
            first_reported_at=min((r.received_at for r in reports), default=head.first_reported_at),
            last_reported_at=max((r.received_at for r in reports), default=head.first_reported_at),
            flags=frozenset(flag for r in reports for flag in r.flags),
            claimed_owner_ids=frozenset(
                r.claimed_owner_id for r in reports if r.claimed_owner_id and r.claim_names_an_account
            ),
        )

    # -- decisions ---------------------------------------------------------------------------------------------------
    def record_decision(self, decision: Decision, retention_until: datetime) -> int:
        key = (decision.target, decision.round_id)
        with self._lock:
            current = self._open.get(decision.target)
            if current is None or current.round_id != decision.round_id or key in self._decisions:
                raise VersionConflict()
            del self._open[decision.target]
            count = len(self._round_members.get(key, []))
            self._decisions[key] = replace(decision, report_count=count)
            self._unfinished.add(key)
            return count

    def unfinished_decisions(self, target: Target) -> list[Decision]:
        with self._lock:
            return _copied([self._decisions[key] for key in self._unfinished if key[0] == target])

    def finish_decision(self, decision: Decision) -> None:
        with self._lock:
            self._unfinished.discard((decision.target, decision.round_id))

    def reports_in_round(self, target: Target, round_id: str) -> list[Report]:
        with self._lock:
            return _copied([self._reports[i] for i in self._round_members.get((target, round_id), [])])

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None:
        with self._lock:
            for report in reports:
                self._reports[report.report_id] = _copied(
                    replace(report, status=ReportStatus.DECIDED, decision=decision)
                )
                members = self._round_members.setdefault((report.target, report.round_id), [])
                if report.report_id not in members:
                    members.append(report.report_id)

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, expires_at: datetime) -> None:
        with self._lock:
            for reporter_id in reporter_ids:
                self._unfounded.setdefault(reporter_id, {})[decision.decision_id] = decision.decided_at

    # -- mutes -------------------------------------------------------------------------------------------------------
    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None:
        with self._lock:
            self._mutes[reporter_id] = _copied(mute)


# A reporter's list is ordered by (received at, report id) and the queue by (priority, first report, target key);
# a cursor holds the last item's place in that order, checked for exactly that shape.
def _report_order(report: Report) -> tuple[str, str]:
    return report.received_at.isoformat(), report.report_id


def _queue_order(item: QueueItem) -> tuple[int, str, str]:
    return int(item.priority), item.first_reported_at.isoformat(), item.target.key


def _report_position(position: Any) -> tuple[str, str]:
    if not (isinstance(position, list) and len(position) == 2 and all(_text(part) for part in position)):
        raise InvalidCursor("cursor is not a report list position")
    _checked_time(position[0])
    return position[0], position[1]


def _queue_position(position: Any) -> tuple[int, str, str]:
    if not (isinstance(position, list) and len(position) == 3 and all(_text(part) for part in position[1:])):
        raise InvalidCursor("cursor is not a queue position")
    priority = position[0]
    if not isinstance(priority, int) or isinstance(priority, bool) or priority not in {int(p) for p in Priority}:
        raise InvalidCursor("cursor is not a queue position")
    _checked_time(position[1])
    return priority, position[1], position[2]


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 1024


def _checked_time(text: str) -> None:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise InvalidCursor("cursor time is not a time") from None


# -- run-once requests -----------------------------------------------------------------------------------------------
@dataclass
class _Run:
    fingerprint: str
    result: dict[str, Any] | None = None  # None while the first attempt is still running


class FakeIdempotency:
    """`Idempotency`: one record per (operation, caller, key), in progress until its `work` returns."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str, str], _Run] = {}

    def run_once(self, request: IdempotentRequest, work: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        key = (request.operation, request.caller_id, request.key)
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                if run.fingerprint != request.fingerprint:
                    raise IdempotencyKeyMismatch(request.operation)
                if run.result is None:
                    raise IdempotencyInProgress(request.operation)
                return _copied(run.result), True
            run = self._runs[key] = _Run(request.fingerprint)
        try:
            result = work()
        except BaseException:
            with self._lock:
                del self._runs[key]
            raise
        with self._lock:
            run.result = _copied(result)
        return result, False
