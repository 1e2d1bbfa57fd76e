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
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.domain.reports import (
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    Decision,
    Priority,
    RateWindow,
    Report,
    ReportStatus,
    Target,
)
from chalicelib.services.ports import (
    AlreadyExists,
    AppealGuard,
    Filing,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    IdempotentRequest,
    InvalidCursor,
    KeyUse,
    Mute,
    SubmissionState,
    TargetState,
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


def _decisions_scope(account_id: str) -> str:
    return f"decisions:{account_id}"


def _statements_scope(since: datetime, until: datetime) -> str:
    return f"statements:{since.isoformat()}:{until.isoformat()}"


_QUEUE_SCOPE = "queue"
_APPEALS_SCOPE = "appeals"


# -- settings --------------------------------------------------------------------------------------------------------
class FakeBandEndSealer:
    """`BandEndOpener` without KMS: each sealed value is an opaque token for what was sealed, for one account."""

    def __init__(self) -> None:
        self._sealed: dict[str, tuple[str, tuple[date, ...], str]] = {}
        self._lock = threading.Lock()

    def seal(self, account_id: str, ends: tuple[date, ...], floor: str = "") -> str:
        with self._lock:
            token = f"sealed-{len(self._sealed) + 1:08d}"
            self._sealed[token] = (account_id, tuple(ends), floor)
            return token

    def open(self, account_id: str, sealed: str) -> tuple[date, ...]:
        from chalicelib.services.ports import SealBroken

        with self._lock:
            owner, ends, floor = self._sealed.get(sealed, ("", (), ""))
        if owner != account_id:
            raise SealBroken("a band end was sealed for another account")
        if floor:
            below = self.open(account_id, floor)
            if len(below) == len(ends):
                return tuple(max(day, under) for day, under in zip(ends, below, strict=True))
        return ends


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
            self._accounts[account.account_id] = _copied(replace(account, updated_at=event.at))
            self._events.setdefault(event.account_id, {})[event.version] = _copied(event)

    # The policy-version index, as the adapter's: one partition per version (the fake needs no shards).
    def policy_partitions(self, version: str) -> tuple[str, ...]:
        return (version,)

    def policy_page(self, partition: str, start: str | None, limit: int) -> tuple[list[str], str | None]:
        with self._lock:
            ids = sorted(a for a, account in self._accounts.items() if account.policy_version == partition)
        ids = [a for a in ids if start is None or a > start][:limit]
        return ids, (ids[-1] if len(ids) == limit else None)

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        with self._lock:
            return {a: _copied(self._accounts[a]) for a in account_ids if a in self._accounts}

    def notices_due(self, day: date, limit: int) -> list[str]:
        from chalicelib.domain.models import DeactivationState

        with self._lock:
            due = sorted(
                a for a, account in self._accounts.items()
                if account.deactivation is not None and account.deactivation.state is DeactivationState.PENDING
                and account.deactivation.notice_until <= day
            )  # fmt: skip
        return due[:limit]

    def restamp(self, account: Account, read_version: int) -> None:
        with self._lock:
            stored = self._accounts.get(account.account_id)
            if stored is None or stored.version != read_version:
                raise VersionConflict(account.account_id)
            self._accounts[account.account_id] = _copied(account)

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        with self._lock:
            stored = self._accounts.get(account.account_id)
            if stored is None or stored.version != read_version:
                raise VersionConflict()
            if event.version in self._events.get(event.account_id, {}):
                raise VersionConflict()
            self._accounts[account.account_id] = _copied(replace(account, updated_at=event.at))
            self._events.setdefault(event.account_id, {})[event.version] = _copied(event)


# -- reports ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Guard:
    report_id: str
    until: datetime


def _stored(decision: Decision) -> Decision:
    # What a decision reads back as once written: who supersedes it is only ever set by an appeal's reversal.
    return replace(decision, superseded_by=None)


class FakeReportsStore:
    """`ReportsStore`: reports by id; per reporter, key uses, a rate window and its revision, a mute, duplicate
    guards and unfounded outcomes; cases by id with their members and events, each target's latest case; decisions
    by id with their transparency statements."""

    def __init__(self, cursors: CursorSealer | None = None) -> None:
        self._cursors = cursors or CursorSealer(FAKE_CURSOR_KEY)
        self._lock = threading.Lock()
        self._reports: dict[str, Report] = {}
        self._key_uses: dict[tuple[str, str], KeyUse] = {}
        self._rates: dict[str, tuple[RateWindow, int]] = {}
        self._mutes: dict[str, Mute] = {}
        self._guards: dict[tuple[str, Target, str], _Guard] = {}
        self._unfounded: dict[str, dict[str, datetime]] = {}  # reporter -> decision id -> decided at
        self._cases: dict[str, Case] = {}
        self._members: dict[str, set[str]] = {}  # case id -> ids of the reports it holds
        self._events: dict[str, dict[tuple[str, int, int], CaseEvent]] = {}
        self._latest: dict[Target, str] = {}  # target -> its latest case's id
        self._decisions: dict[str, Decision] = {}
        self._statements: dict[str, dict[str, Any]] = {}  # decision id -> its transparency statement
        self._finished: set[str] = set()  # decisions whose close-out is done
        self._appeals: dict[str, Appeal] = {}
        self._appeal_guards: dict[tuple[str, str], AppealGuard] = {}  # (decision, appellant) -> their appeal

    # -- filing ------------------------------------------------------------------------------------------------------
    def submission_state(
        self, report_id: str, reporter_id: str, key: str, target: Target, reason: str
    ) -> SubmissionState:
        with self._lock:
            rate, revision = self._rates.get(reporter_id, (RateWindow(), 0))
            guard = self._guards.get((reporter_id, target, reason))
            return _copied(
                SubmissionState(
                    rate=rate,
                    rate_revision=revision,
                    mute=self._mutes.get(reporter_id),
                    unfounded=dict(self._unfounded.get(reporter_id, {})),
                    key_use=self._key_uses.get((reporter_id, key)),
                    own_report=self._reports.get(report_id),
                    duplicate_of=guard.report_id if guard else None,
                    duplicate_until=guard.until if guard else None,
                )
            )

    def record_filing(self, filing: Filing) -> None:
        report, state, now = filing.report, filing.state, filing.report.received_at
        reporter, guard_key = report.reporter_id, (report.reporter_id, report.target, report.reason)
        with self._lock:
            guard = self._guards.get(guard_key)
            stored_rate = self._rates.get(reporter)
            if (
                report.report_id in self._reports
                or (reporter, filing.key) in self._key_uses
                # a guard may be replaced once it lapsed, or when its report was decided (the service checked)
                or (guard is not None and guard.until > now and guard.report_id != (state.duplicate_of or ""))
                or (stored_rate is not None and stored_rate[1] != state.rate_revision)
            ):
                raise VersionConflict()
            self._reports[report.report_id] = _copied(report)
            self._key_uses[(reporter, filing.key)] = _copied(filing.key_use)
            self._guards[guard_key] = _Guard(report.report_id, filing.duplicate_until)
            self._rates[reporter] = (_copied(filing.rate), state.rate_revision + 1)

    def record_key_use(self, reporter_id: str, key: str, use: KeyUse, expires_at: datetime) -> None:
        with self._lock:
            if (reporter_id, key) in self._key_uses:
                raise VersionConflict()
            self._key_uses[(reporter_id, key)] = _copied(use)

    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None:
        with self._lock:
            self._mutes[reporter_id] = _copied(mute)

    # -- reading reports ---------------------------------------------------------------------------------------------
    def get_report(self, report_id: str) -> Report | None:
        with self._lock:
            report = self._reports.get(report_id)
            return None if report is None else _copied(self._resolved(report))

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        with self._lock:
            mine = [self._resolved(r) for r in self._reports.values() if r.reporter_id == reporter_id]
        return self._page(_reports_scope(reporter_id), mine, _report_order, limit, cursor, newest_first=True)

    def _resolved(self, report: Report) -> Report:
        """As its case says: in review while the case is open, decided by the case's current decision (even before
        the close-out has written it onto the report, and after a reversal)."""
        case_id = report.case_id or self._holder(report.target, report.report_id)
        case = self._cases.get(case_id) if case_id else None
        if case is None:
            return report
        if case.decision_id is None:
            return report.in_case(case, None)
        current = report.decision
        if current is None or current.decision_id != case.decision_id:
            current = self._decisions.get(case.decision_id)
        return report.in_case(case, current)

    def _holder(self, target: Target, report_id: str) -> str | None:
        holders = [
            cid for cid, held in self._members.items() if report_id in held and self._cases[cid].target == target
        ]
        return holders[-1] if holders else None

    # -- aggregation -------------------------------------------------------------------------------------------------
    def target_state(self, target: Target, reports: list[Report]) -> TargetState:
        ids = {report.report_id for report in reports}
        with self._lock:
            latest_id = self._latest.get(target)
            held = {
                report_id
                for case_id, members in self._members.items()
                if self._cases[case_id].target == target
                for report_id in members & ids
            }
            return TargetState(
                latest_case=_copied(self._cases.get(latest_id)) if latest_id else None,
                latest_case_id=latest_id,
                held=frozenset(held),
            )

    def save_case(
        self,
        case: Case,
        previous_revision: int | None,
        added: list[Report],
        event: CaseEvent,
        replaces: str | None = None,
    ) -> None:
        with self._lock:
            stored = self._cases.get(case.case_id)
            if previous_revision is None:
                pointer = self._latest.get(case.target)
                if stored is not None or (pointer is not None and pointer != replaces):
                    raise VersionConflict()
                self._latest[case.target] = case.case_id
            elif stored is None or stored.revision != previous_revision or not stored.is_open:
                raise VersionConflict()
            self._cases[case.case_id] = _copied(case)
            self._members.setdefault(case.case_id, set()).update(report.report_id for report in added)
            self._events.setdefault(event.case_id, {})[_event_order(event)] = _copied(event)

    # -- the queue and cases -----------------------------------------------------------------------------------------
    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        with self._lock:
            open_cases = [case for case in self._cases.values() if case.is_open]
        return self._page(_QUEUE_SCOPE, open_cases, _queue_order, limit, cursor, newest_first=False)

    def get_case(self, case_id: str) -> Case | None:
        with self._lock:
            return _copied(self._cases.get(case_id))

    def case_events(self, case_id: str) -> list[CaseEvent]:
        with self._lock:
            events = self._events.get(case_id, {})
            return _copied([events[order] for order in sorted(events)])

    # -- decisions ---------------------------------------------------------------------------------------------------
    def record_decision(
        self, decision: Decision, revision: int, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        with self._lock:
            case = self._cases.get(decision.case_id)
            if case is None or case.revision != revision or not case.is_open or decision.decision_id in self._decisions:
                raise VersionConflict()
            self._decide(case, decision, statement)
            self._events.setdefault(event.case_id, {})[_event_order(event)] = _copied(event)

    # -- appeals -----------------------------------------------------------------------------------------------------
    def appeal_guard(self, decision_id: str, appellant_id: str) -> AppealGuard | None:
        with self._lock:
            return _copied(self._appeal_guards.get((decision_id, appellant_id)))

    def reporter_in_case(self, case: Case, reporter_id: str) -> bool:
        with self._lock:
            members = self._members.get(case.case_id, set())
            return any(self._reports[r].reporter_id == reporter_id for r in members if r in self._reports)

    def record_appeal(self, appeal: Appeal, guard: AppealGuard, event: CaseEvent) -> None:
        with self._lock:
            if appeal.appeal_id in self._appeals or (appeal.decision_id, appeal.appellant_id) in self._appeal_guards:
                raise VersionConflict()
            self._appeals[appeal.appeal_id] = _copied(appeal)
            self._appeal_guards[(appeal.decision_id, appeal.appellant_id)] = _copied(guard)
            self._events.setdefault(event.case_id, {})[_event_order(event)] = _copied(event)

    def get_appeal(self, appeal_id: str) -> Appeal | None:
        with self._lock:
            return _copied(self._appeals.get(appeal_id))

    def appeals_queue(self, limit: int, cursor: str | None) -> tuple[list[Appeal], str | None]:
        with self._lock:
            open_appeals = [a for a in self._appeals.values() if a.status is AppealStatus.OPEN]
        return self._page(_APPEALS_SCOPE, open_appeals, _appeal_order, limit, cursor, newest_first=False)

    def record_appeal_decision(
        self, appeal: Appeal, reversal: Decision | None, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        with self._lock:
            stored = self._appeals.get(appeal.appeal_id)
            appealed = self._decisions.get(appeal.decision_id)
            if stored is None or stored.status is not AppealStatus.OPEN or appealed is None:
                raise VersionConflict()
            if appealed.superseded_by is not None:
                raise VersionConflict()
            if reversal is not None:
                case = self._cases.get(reversal.case_id)
                if case is None or case.decision_id != reversal.supersedes or reversal.decision_id in self._decisions:
                    raise VersionConflict()
                self._decisions[appealed.decision_id] = replace(appealed, superseded_by=reversal.decision_id)
                self._decide(case, reversal, statement)
            self._appeals[appeal.appeal_id] = _copied(appeal)
            self._events.setdefault(event.case_id, {})[_event_order(event)] = _copied(event)

    def _decide(self, case: Case, decision: Decision, statement: dict[str, Any] | None) -> None:
        self._cases[case.case_id] = replace(case, decision_id=decision.decision_id, decided_at=decision.decided_at)
        self._decisions[decision.decision_id] = _copied(_stored(decision))
        if statement is not None:
            self._statements[decision.decision_id] = _copied(statement)

    def get_decision(self, decision_id: str) -> Decision | None:
        with self._lock:
            return _copied(self._decisions.get(decision_id))

    def decisions_for(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Decision], str | None]:
        with self._lock:
            addressed = [d for d in self._decisions.values() if d.affected_account_id == account_id]
        return self._page(_decisions_scope(account_id), addressed, _decision_order, limit, cursor, newest_first=True)

    def statements(
        self, since: datetime, until: datetime, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        with self._lock:
            made = [
                self._decisions[decision_id]
                for decision_id in self._statements
                if since <= self._decisions[decision_id].decided_at < until
            ]
            page, next_cursor = self._page(
                _statements_scope(since, until), made, _decision_order, limit, cursor, newest_first=False
            )
            return _copied([self._statements[d.decision_id] for d in page]), next_cursor

    # -- close-out ---------------------------------------------------------------------------------------------------
    def case_reports(self, case: Case) -> list[Report]:
        with self._lock:
            held = sorted(self._members.get(case.case_id, ()))
            return _copied([self._reports[report_id] for report_id in held if report_id in self._reports])

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None:
        with self._lock:
            for report in reports:
                self._reports[report.report_id] = _copied(
                    replace(report, status=ReportStatus.DECIDED, case_id=decision.case_id, decision=_stored(decision))
                )

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, window_days: int) -> None:
        lapsed_by = decision.decided_at - timedelta(days=window_days)
        with self._lock:
            for reporter_id in set(reporter_ids):
                held = self._unfounded.get(reporter_id, {})
                kept = {decision_id: at for decision_id, at in held.items() if at > lapsed_by}
                self._unfounded[reporter_id] = kept | {decision.decision_id: decision.decided_at}

    def withdraw_unfounded(self, reporter_ids: Iterable[str], decision_id: str) -> None:
        with self._lock:
            for reporter_id in set(reporter_ids):
                self._unfounded.get(reporter_id, {}).pop(decision_id, None)

    def finish_decision(self, decision: Decision, case: Case, retention_until: datetime) -> None:
        # Retention (the records' TTL) is not modelled: nothing a port reads changes.
        with self._lock:
            self._finished.add(decision.decision_id)

    # -- paging ------------------------------------------------------------------------------------------------------
    def _page(
        self,
        scope: str,
        items: list[T],
        order: Callable[[T], tuple[Any, ...]],
        limit: int,
        cursor: str | None,
        newest_first: bool,
    ) -> tuple[list[T], str | None]:
        """One page of `items` in `order` (reversed when `newest_first`), after the cursor's place in that order."""
        shape = _queue_position if scope == _QUEUE_SCOPE else _time_position
        after = None if cursor is None else shape(self._cursors.unseal(scope, cursor))
        ordered = sorted(items, key=order, reverse=newest_first)
        rest = [
            item for item in ordered if after is None or (order(item) < after if newest_first else order(item) > after)
        ]
        page = rest[:limit]
        next_cursor = self._cursors.seal(scope, list(order(page[-1]))) if len(rest) > limit else None
        return _copied(page), next_cursor


# Each list is ordered by (time, id) (the queue by priority first); a cursor holds the last item's place in that
# order, checked for exactly that shape.
def _report_order(report: Report) -> tuple[str, str]:
    return report.received_at.isoformat(), report.report_id


def _decision_order(decision: Decision) -> tuple[str, str]:
    return decision.decided_at.isoformat(), decision.decision_id


def _queue_order(case: Case) -> tuple[int, str, str]:
    return int(case.priority), case.first_reported_at.isoformat(), case.case_id


def _event_order(event: CaseEvent) -> tuple[str, int, int]:
    return event.at.isoformat(), event.revision, list(CaseEventKind).index(event.kind)


def _appeal_order(appeal: Appeal) -> tuple[str, str]:
    return appeal.filed_at.isoformat(), appeal.appeal_id


def _time_position(position: Any) -> tuple[str, str]:
    if not (isinstance(position, list) and len(position) == 2 and all(_text(part) for part in position)):
        raise InvalidCursor("cursor is not a list position")
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
