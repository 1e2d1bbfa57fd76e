"""Abuse reports and moderation, as pure rules: priority, the rolling rate limit, and what a reporter may see.

Priority never comes from the number of reports (a mob cannot raise it), and a muted reporter's report about a child
in danger or self-harm keeps its urgency: muting lowers everything else to `low`, it never hides a child at risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from chalicelib.policy.loader import ReportRules


class Priority(IntEnum):
    """Lower sorts first in the moderation queue."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class ReportStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    DECIDED = "decided"


class QueueFlag(StrEnum):
    MUTED_REPORTER = "muted_reporter"
    FREQUENT_UNFOUNDED_REPORTER = "frequent_unfounded_reporter"
    CLAIMED_MINOR_OWNER = "claimed_minor_owner"


@dataclass(frozen=True)
class Target:
    type: str
    id: str

    @property
    def key(self) -> str:
        return f"{self.type}#{self.id}"


@dataclass(frozen=True)
class ReportContext:
    """What is known about a report when it arrives, looked up by the service."""

    reason: str
    reporter_is_minor: bool
    claimed_owner_is_minor: bool
    reporter_muted: bool
    reporter_unfounded_recently: int


def report_priority(rules: ReportRules, context: ReportContext) -> Priority:
    if context.reason in rules.urgent_reasons:
        return Priority.URGENT
    if context.reporter_muted:
        return Priority.LOW
    if context.claimed_owner_is_minor:
        return Priority.HIGH
    if context.reporter_is_minor and context.reason in rules.high_when_reporter_is_minor:
        return Priority.HIGH
    return Priority.NORMAL


def report_flags(rules: ReportRules, context: ReportContext) -> frozenset[QueueFlag]:
    flags = set()
    if context.reporter_muted:
        flags.add(QueueFlag.MUTED_REPORTER)
    if context.reporter_unfounded_recently >= rules.unfounded_flag_threshold:
        flags.add(QueueFlag.FREQUENT_UNFOUNDED_REPORTER)
    if context.claimed_owner_is_minor:
        flags.add(QueueFlag.CLAIMED_MINOR_OWNER)
    return frozenset(flags)


@dataclass(frozen=True)
class RateWindow:
    """A reporter's accepted reports in the last rolling hour (a sliding log, at most `limit` entries)."""

    accepted_at: tuple[datetime, ...] = ()

    def recent(self, now: datetime, window: timedelta = timedelta(hours=1)) -> tuple[datetime, ...]:
        # Entries stamped a little ahead of this clock (another instance's) still count.
        return tuple(sorted(at for at in self.accepted_at if now - window < at))

    def retry_after_seconds(self, now: datetime, limit: int, window: timedelta = timedelta(hours=1)) -> int | None:
        """None when one more report fits; otherwise the whole seconds until the oldest one leaves the window."""
        recent = self.recent(now, window)
        if len(recent) < limit:
            return None
        frees_at = recent[len(recent) - limit] + window
        return max(1, int((frees_at - now).total_seconds() + 0.999))

    def with_report(self, now: datetime, limit: int, window: timedelta = timedelta(hours=1)) -> RateWindow:
        return RateWindow(accepted_at=(*self.recent(now, window), now)[-limit:])


@dataclass(frozen=True)
class StatementOfReasons:
    """DSA Art. 17: what was decided, on which facts and ground, whether automated, and how to seek redress."""

    facts: str
    ground: str
    automated: bool
    redress: str


@dataclass(frozen=True)
class Decision:
    decision_id: str
    target: Target
    round_id: str
    outcome: str
    action: str | None
    statement: StatementOfReasons
    moderator_id: str
    decided_at: datetime
    report_count: int = 0


@dataclass(frozen=True)
class Report:
    report_id: str
    reporter_id: str
    target: Target
    claimed_owner_id: str | None
    reason: str
    details: str | None
    evidence_ids: tuple[str, ...]
    received_at: datetime
    priority: Priority
    flags: frozenset[QueueFlag]
    round_id: str
    status: ReportStatus = ReportStatus.RECEIVED
    decision: Decision | None = None
    claim_names_an_account: bool = False  # the claimed owner is an account this service knows


@dataclass(frozen=True)
class QueueItem:
    target: Target
    round_id: str
    priority: Priority
    report_count: int
    reasons: frozenset[str]
    first_reported_at: datetime
    last_reported_at: datetime
    flags: frozenset[QueueFlag] = field(default_factory=frozenset)
    claimed_owner_ids: frozenset[str] = field(default_factory=frozenset)
