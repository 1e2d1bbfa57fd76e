"""What the services need from storage and the outside world, as Protocols the adapters implement.

The service layer owns these ports and the errors they raise; a DynamoDB adapter (`chalicelib.store`) and an
in-memory fake (`tests/fakes.py`) implement each one, and one contract suite (`tests/contract/`) runs against both.
Paging cursors are opaque strings at every port: an adapter seals its own position into them and refuses any it did
not give out for the same list with `InvalidCursor`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.domain.reports import Decision, Priority, QueueItem, RateWindow, Report, Target

Clock = Callable[[], datetime]


# -- errors the services handle ------------------------------------------------------------------------------------
class VersionConflict(Exception):
    """A conditional write found the item changed since it was read: re-read and retry, or refuse."""


class AlreadyExists(Exception):
    """A record with this id is already stored."""


class InvalidCursor(ValueError):
    """A paging cursor this store did not give out for this list (forged, edited, borrowed or malformed)."""


class IdempotencyKeyMismatch(Exception):
    """The Idempotency-Key was used before with a different request."""


class IdempotencyInProgress(Exception):
    """A request with this Idempotency-Key is still being processed."""


# -- accounts' settings and their history ----------------------------------------------------------------------------
class SettingsStore(Protocol):
    def get_account(self, account_id: str) -> Account | None:
        """The current record, read consistently; None when there is none."""

    def age_bands(self, account_ids: list[str]) -> dict[str, str]:
        """The age band of each listed account that exists, in one read."""

    def list_events(self, account_id: str, limit: int, cursor: str | None) -> EventPage:
        """Up to `limit` events, newest first; `cursor` is a previous page's `next_cursor` (else `InvalidCursor`)."""

    def create_account(self, account: Account, event: AuditEvent) -> None:
        """Stores a new record and its first event atomically; `AlreadyExists` when the id is taken."""

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        """Replaces the record (now at `account.version`) and adds `event`, atomically, if the stored record is still
        at `read_version`; else `VersionConflict` and nothing is written."""


# -- reports, the queue and decisions --------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenRound:
    round_id: str
    priority: Priority
    first_reported_at: datetime


@dataclass(frozen=True)
class Mute:
    muted_until: datetime
    reason: str
    moderator_id: str
    muted_at: datetime


@dataclass(frozen=True)
class SubmissionState:
    """Everything a new report needs to know, read in one go."""

    rate: RateWindow
    rate_revision: int
    mute: Mute | None
    unfounded_recently: int
    own_report: Report | None  # this very submission, stored by an earlier attempt whose answer was lost
    duplicate_of: str | None
    duplicate_until: datetime | None
    open_round: OpenRound | None


class ReportsStore(Protocol):
    def submission_state(
        self,
        report_id: str,
        reporter_id: str,
        target: Target,
        reason: str,
        unfounded_since: datetime,
        unfounded_cap: int,
    ) -> SubmissionState: ...

    def record_report(
        self, report: Report, state: SubmissionState, rate: RateWindow, duplicate_until: datetime, now: datetime
    ) -> None:
        """Stores the report, its duplicate guard, the reporter's rate window and the target's counters atomically.
        `VersionConflict` when the report id is taken, the duplicate guard or the rate window changed since `state`
        was read, the round is no longer open (or another opened one first), or, when this report raises the round's
        priority, the priority changed. A mute set since is not a conflict (busy targets stay writable)."""

    def get_report(self, report_id: str) -> Report | None:
        """The report, reading as decided once its round was decided."""

    def reports_by(self, reporter_id: str, limit: int, cursor: str | None) -> tuple[list[Report], str | None]:
        """A reporter's reports, newest first, and the cursor of the next page."""

    def open_round(self, target: Target) -> OpenRound | None: ...

    def queue_page(self, limit: int, cursor: str | None) -> tuple[list[QueueItem], str | None]:
        """Open targets, most urgent first, then oldest first."""

    def record_decision(self, decision: Decision, retention_until: datetime) -> int:
        """Records the decision and closes its round; returns how many reports it covers. `VersionConflict` when
        the round is no longer open."""

    def unfinished_decisions(self, target: Target) -> list[Decision]: ...

    def finish_decision(self, decision: Decision) -> None: ...

    def reports_in_round(self, target: Target, round_id: str) -> list[Report]: ...

    def mark_decided(self, reports: Iterable[Report], decision: Decision, expires_at: datetime) -> None: ...

    def record_unfounded(self, reporter_ids: Iterable[str], decision: Decision, expires_at: datetime) -> None:
        """One unfounded outcome per reporter and decision (recording it again counts nothing twice)."""

    def set_mute(self, reporter_id: str, mute: Mute, expires_at: datetime) -> None: ...


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
