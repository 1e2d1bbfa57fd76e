"""What the services need from storage and the outside world, as Protocols the adapters implement.

The service layer owns these ports and the errors they raise; a DynamoDB adapter (`chalicelib.store`) and an
in-memory fake (`tests/fakes.py`) implement each one, and one contract suite (`tests/contract/`) runs against both.
Paging cursors are opaque strings at every port: an adapter seals its own position into them and refuses any it did
not give out for the same list with `InvalidCursor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.domain.exports import Export
from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.domain.reports import Appeal, Case, CaseEvent, Decision, RateWindow, Report, Target

Clock = Callable[[], datetime]


# -- errors the services handle ------------------------------------------------------------------------------------
class VersionConflict(Exception):
    """A conditional write found the item changed since it was read: re-read and retry, or refuse."""


class AlreadyExists(Exception):
    """A record with this id is already stored."""


class InvalidCursor(ValueError):
    """A paging cursor this store did not give out for this list (forged, edited, borrowed or malformed)."""


class SealBroken(ValueError):
    """A sealed value that does not open, or opens for another account."""


class IdempotencyKeyMismatch(Exception):
    """The Idempotency-Key was used before with a different request."""


class IdempotencyInProgress(Exception):
    """A request with this Idempotency-Key is still being processed."""


# -- accounts' settings and their history ----------------------------------------------------------------------------
class SettingsStore(Protocol):
    def get_account(self, account_id: str) -> Account | None:
        """The current record, read consistently; None when there is none."""

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        """The records of those that exist, in one batch read."""
        ...

    def age_bands(self, account_ids: list[str]) -> dict[str, str]:
        """The age band of each listed account that exists, in one read."""

    def list_events(self, account_id: str, limit: int, cursor: str | None) -> EventPage:
        """Up to `limit` events, newest first; `cursor` is a previous page's `next_cursor` (else `InvalidCursor`)."""

    def create_account(self, account: Account, event: AuditEvent) -> None:
        """Stores a new record and its first event atomically; `AlreadyExists` when the id is taken."""

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        """Replaces the record (now at `account.version`) and adds `event`, atomically, if the stored record is still
        at `read_version`; else `VersionConflict` and nothing is written."""


class BandEndSealer(Protocol):
    """Seals the days an account's later age bands start (see chalicelib.store.band_ends): it cannot open them."""

    def seal(self, account_id: str, ends: tuple[date, ...], floor: str = "") -> str:
        """`ends` sealed for `account_id`. With `floor` (a value sealed before, for the same account and band),
        what opens is, day by day, the later of the two: the sealer cannot read `floor`, yet the ends never come
        sooner than it says."""
        ...


class BandEndOpener(BandEndSealer, Protocol):
    """Seals and opens: only the transition job holds one."""

    def open(self, account_id: str, sealed: str) -> tuple[date, ...]:
        """The days `sealed` holds, if it was sealed for `account_id`; else `SealBroken`."""


@dataclass(frozen=True)
class BandEndEntry:
    """An account the band-end index lists under a month; `sealed` is its sealed band ends (as the index read it)."""

    account_id: str
    sealed: str


class TransitionsStore(SettingsStore, Protocol):
    def band_end_partitions(self, month: str) -> tuple[str, ...]:
        """The index partitions that together list every account whose band ends in `month` (YYYY-MM)."""

    def band_end_page(self, partition: str, start: str | None, limit: int) -> tuple[list[BandEndEntry], str | None]:
        """Up to `limit` entries of one partition from `start` (a previous page's position, else the first); the
        position after them, None at the end. Read from the index: eventually consistent."""

    def get_accounts(self, account_ids: list[str]) -> dict[str, Account]:
        """The current records of those that exist, read consistently, by id."""

    def notices_due(self, day: date, limit: int) -> list[str]:
        """Up to `limit` accounts whose notice of deactivation ends on or before `day` (eventually consistent)."""

    def job_state(self, job: str) -> dict[str, Any] | None:
        """A job's saved progress, read consistently."""

    def save_job_state(self, job: str, state: dict[str, Any]) -> None: ...


# -- reports, cases, the queue and decisions --------------------------------------------------------------------
@dataclass(frozen=True)
class Mute:
    muted_until: datetime
    reason: str
    moderator_id: str
    muted_at: datetime


@dataclass(frozen=True)
class KeyUse:
    """What an Idempotency-Key was first used for: a keyed hash of the request, and the answer given."""

    fingerprint: str
    status_code: int
    report_id: str
    received_at: datetime
    status: str  # the report's status as the first answer gave it


@dataclass(frozen=True)
class SubmissionState:
    """Everything a new report needs to know, all of it the reporter's own items, read in one call."""

    rate: RateWindow
    rate_revision: int
    mute: Mute | None
    unfounded: dict[str, datetime]  # decision id -> when, for decisions that found this reporter's report unfounded
    key_use: KeyUse | None
    own_report: Report | None  # this very submission, stored by an earlier attempt whose answer was lost
    duplicate_of: str | None
    duplicate_until: datetime | None


@dataclass(frozen=True)
class Filing:
    """One accepted report and the reporter's items written with it, atomically."""

    report: Report
    key: str  # the Idempotency-Key
    state: SubmissionState
    rate: RateWindow
    key_use: KeyUse
    key_expires_at: datetime
    duplicate_until: datetime


@dataclass(frozen=True)
class TargetState:
    """What the aggregator needs about one target: its open case, and which reports its cases already hold."""

    latest_case: Case | None  # the target's most recent case, open or decided
    latest_case_id: str | None  # what the target's pointer names (its case may be unreadable for a moment)
    held: frozenset[str]  # ids of the given reports that some case of the target already holds


@dataclass(frozen=True)
class AppealGuard:
    """One appeal per appellant and decision; the key and fingerprint tell a replay from a second appeal."""

    appeal_id: str
    key: str
    fingerprint: str


class ReportsStore(Protocol):
    # filing (the reporter's own items only)
    def submission_state(
        self, report_id: str, reporter_id: str, key: str, target: Target, reason: str
    ) -> SubmissionState:
        """The reporter's rate window, mute, unfounded outcomes, key use and duplicate guard, in one read."""

    def record_filing(self, filing: Filing) -> None:
        """Stores the report, the reporter's list entry, key use, rate window and duplicate guard atomically.
        `VersionConflict` when the report id or key is taken or the rate window or guard changed since read."""

    def record_key_use(self, reporter_id: str, key: str, use: KeyUse, expires_at: datetime) -> None:
        """Remembers a key whose request filed nothing (a duplicate); `VersionConflict` when the key is taken."""

    def get_report(self, report_id: str) -> Report | None:
        """The report, reading as in review or decided through its case (before the close-out has run)."""

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        """A reporter's reports, newest first, read consistently (a report just filed is listed)."""

    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None: ...

    # aggregation
    def target_state(self, target: Target, reports: list[Report]) -> TargetState: ...

    def save_case(
        self,
        case: Case,
        previous_revision: int | None,
        added: list[Report],
        event: CaseEvent,
        replaces: str | None = None,
    ) -> None:
        """Writes the case with its new members and an activity event, as one transaction. A new case
        (`previous_revision` None) becomes the target's latest in place of `replaces`. `VersionConflict` when the
        case moved on or was decided, or another case became the latest, since it was read."""

    # the queue and cases
    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases, most urgent first, then oldest first."""

    def get_case(self, case_id: str) -> Case | None: ...

    def case_events(self, case_id: str) -> list[CaseEvent]: ...

    # decisions
    def record_decision(
        self, decision: Decision, revision: int, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        """Decides the case if it is still open at `revision` (one conditional write with the decision record and the
        case's `decided` event);
        `VersionConflict` and nothing written otherwise."""

    def get_decision(self, decision_id: str) -> Decision | None: ...

    def decisions_for(self, account_id: str, limit: int, cursor: str | None) -> tuple[list[Decision], str | None]:
        """Decisions addressed to an account (it was the affected one), newest first."""

    def statements(
        self, since: datetime, until: datetime, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The transparency-database statements of decisions made in [since, until), oldest first."""

    # appeals
    def appeal_guard(self, decision_id: str, appellant_id: str) -> AppealGuard | None:
        """The appellant's appeal of the decision, if they made one (one per appellant and decision)."""

    def reporter_in_case(self, case: Case, reporter_id: str) -> bool: ...

    def record_appeal(self, appeal: Appeal, guard: AppealGuard, event: CaseEvent) -> None:
        """Stores the appeal, the appellant's guard and the case's event atomically; `VersionConflict` when the
        appellant already appealed the decision."""

    def get_appeal(self, appeal_id: str) -> Appeal | None: ...

    def appeals_queue(self, limit: int, cursor: str | None) -> tuple[list[Appeal], str | None]:
        """Open appeals, oldest first."""

    def record_appeal_decision(
        self, appeal: Appeal, reversal: Decision | None, statement: dict[str, Any] | None, event: CaseEvent
    ) -> None:
        """Closes the (still open) appeal as `appeal.status`; a reversal also records the new decision in place of
        the one appealed, atomically. `VersionConflict` when the appeal was decided or the decision replaced."""

    # close-out (asynchronous, idempotent)
    def case_reports(self, case: Case) -> list[Report]: ...

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None: ...

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, window_days: int) -> None:
        """Counts the decision once against each reporter (again: nothing twice); drops entries past the window."""

    def withdraw_unfounded(self, reporter_ids: Iterable[str], decision_id: str) -> None:
        """A reversed `no_violation` no longer counts against anyone."""

    def finish_decision(self, decision: Decision, case: Case, retention_until: datetime) -> None:
        """Marks the close-out done and lets the case's records expire with the retention."""


# -- run-once requests (Idempotency-Key) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class IdempotentRequest:
    """Who asked, under which key, for what (`fingerprint`: a keyed hash of the request, never the request)."""

    operation: str
    caller_id: str
    key: str
    fingerprint: str


class Idempotency(Protocol):
    def run_once(self, request: IdempotentRequest, work: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        """Runs `work` once per (operation, caller, key) and returns its stored result and whether it was replayed.

        The same key with another fingerprint raises `IdempotencyKeyMismatch`; while the first attempt is still
        running, `IdempotencyInProgress`. A `work` that raises stores nothing, so the request may be retried."""


# -- compliance exports --------------------------------------------------------------------------------------------
class ExportsStore(Protocol):
    def create(self, export: Export) -> None: ...

    def get(self, export_id: str) -> Export | None: ...

    def recent(self, limit: int, cursor: str | None) -> tuple[list[Export], str | None]:
        """Newest first."""

    def save_segment(self, export_id: str, segment: int, result: dict[str, Any]) -> None:
        """What a segment found (replacing what an earlier, unfinished attempt saved)."""

    def segment_results(self, export_id: str) -> list[dict[str, Any]]:
        """Every saved segment result, in segment order."""

    def finish_segment(self, export_id: str, segment: int, accounts: int, events: int) -> int | None:
        """Counts the segment as done (once) while the export runs: how many are now done, or None when it was
        already counted or the export no longer runs."""

    def note_error(self, export_id: str, segment: int | None, error: str) -> None:
        """The latest failure of a part of the export (what a failed export will say)."""

    def complete(self, export_id: str, completed_at: datetime) -> bool:
        """Marks a running export complete; False when it was not running."""

    def fail(self, export_id: str, reason: str) -> bool:
        """Marks a running export failed; False when it was not running."""


class AccountSource(Protocol):
    """The settings table as an export reads it: every account through a parallel scan, each one's events."""

    def stored_items(self) -> int:
        """About how many items the table holds (DynamoDB refreshes the figure every few hours)."""

    def scan_accounts(
        self, segment: int, segments: int, start: str | None, limit: int
    ) -> tuple[list[Account], str | None]: ...

    def events_between(self, account_id: str, since: datetime, until: datetime) -> Iterator[AuditEvent]:
        """The account's events at or after `since` and before `until`, oldest first."""


class ObjectWriter(Protocol):
    def write(self, data: bytes) -> None: ...

    def close(self) -> tuple[int, str]:
        """Stores the object: (bytes, SHA-256 hex of what was stored)."""

    def abort(self) -> None: ...


class ObjectStore(Protocol):
    def writer(self, key: str, content_type: str) -> ObjectWriter: ...

    def read(self, key: str) -> Iterator[bytes]: ...

    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, body: bytes, content_type: str) -> str:
        """Stores `body`; the SHA-256 hex of it."""

    def presign(self, key: str, seconds: int, filename: str) -> str: ...

    def delete(self, keys: list[str]) -> None: ...


class WorkQueue(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...
