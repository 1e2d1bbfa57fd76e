"""Abuse reports and moderation, as pure rules: priority, the rolling rate limit, and what a reporter may see.

Priority never comes from the number of reports (a mob cannot raise it), and a muted reporter's report about a child
in danger or self-harm keeps its urgency: muting lowers everything else to `low`, it never hides a child at risk.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
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


class Source(StrEnum):
    """Who flagged it: an ordinary user (DSA Art. 16 notice) or a trusted flagger (Art. 22, handled first)."""

    USER = "user"
    TRUSTED_FLAGGER = "trusted_flagger"


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
    trusted_flagger: bool = False


def report_priority(rules: ReportRules, context: ReportContext) -> Priority:
    if context.reason in rules.urgent_reasons:
        return Priority.URGENT
    if context.trusted_flagger:  # Art. 22: a trusted flagger's notice is handled with priority, muted or not
        return Priority.HIGH
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


NO_VIOLATION = "no_violation"
ACTION_TAKEN = "action_taken"


@dataclass(frozen=True)
class Decision:
    """A moderator's decision on one case: exactly the reports the case held at the revision they read.

    A reversal on appeal is a new decision on the same case that `supersedes` the old one (which stays, for the
    record); everyone then reads the newest.
    """

    decision_id: str
    case_id: str
    target: Target
    outcome: str
    action: str | None
    statement: StatementOfReasons
    moderator_id: str
    decided_at: datetime
    report_count: int
    affected_account_id: str | None = None
    supersedes: str | None = None
    superseded_by: str | None = None


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
    source: Source = Source.USER
    status: ReportStatus = ReportStatus.RECEIVED
    case_id: str | None = None
    decision: Decision | None = None
    claim_names_an_account: bool = False  # the claimed owner is an account this service knows

    def in_case(self, case: Case, decision: Decision | None) -> Report:
        """How the report reads as a member of `case`: in review while it is open, decided once it is."""
        if decision is None:
            return replace(self, status=ReportStatus.IN_REVIEW, case_id=case.case_id)
        return replace(self, status=ReportStatus.DECIDED, case_id=case.case_id, decision=decision)


@dataclass(frozen=True)
class Case:
    """The reports on one target that a moderator reviews together, and the queue item they form.

    `revision` changes whenever the set of reports changes (and only then): a decision names the revision it saw,
    so it covers exactly those reports. Once decided, a case never changes again; later reports open a new case.
    """

    case_id: str
    target: Target
    revision: int
    report_count: int
    reasons: frozenset[str]
    priority: Priority
    sources: frozenset[Source]
    first_reported_at: datetime
    last_reported_at: datetime
    flags: frozenset[QueueFlag] = field(default_factory=frozenset)
    claimed_owner_ids: frozenset[str] = field(default_factory=frozenset)
    decision_id: str | None = None
    decided_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.decision_id is None


MAX_CLAIMS_KEPT = 50  # claimed owners kept on a case (only claims naming real accounts), so reporters cannot grow it


def opened_case(case_id: str, reports: Iterable[Report]) -> Case:
    """A new case holding `reports` (at least one, all on the same target)."""
    first, *rest = sorted(reports, key=lambda report: report.received_at)
    seed = Case(
        case_id=case_id,
        target=first.target,
        revision=0,
        report_count=0,
        reasons=frozenset(),
        priority=Priority.LOW,  # the least urgent: any report's own priority wins
        sources=frozenset(),
        first_reported_at=first.received_at,
        last_reported_at=first.received_at,
    )
    return with_reports(seed, [first, *rest])


def with_reports(case: Case, reports: Iterable[Report]) -> Case:
    """The case with `reports` added: one more revision, however many reports (an empty batch changes nothing)."""
    added = list(reports)
    if not added:
        return case
    claims = {r.claimed_owner_id for r in added if r.claimed_owner_id and r.claim_names_an_account}
    return replace(
        case,
        revision=case.revision + 1,
        report_count=case.report_count + len(added),
        reasons=case.reasons | {r.reason for r in added},
        priority=min([case.priority, *(r.priority for r in added)]),
        sources=case.sources | {r.source for r in added},
        first_reported_at=min([case.first_reported_at, *(r.received_at for r in added)]),
        last_reported_at=max([case.last_reported_at, *(r.received_at for r in added)]),
        flags=case.flags.union(*(r.flags for r in added)),
        claimed_owner_ids=frozenset(sorted(case.claimed_owner_ids | claims)[:MAX_CLAIMS_KEPT]),
    )


class CaseEventKind(StrEnum):
    REPORTED = "reported"
    DECIDED = "decided"
    APPEALED = "appealed"
    APPEAL_UPHELD = "appeal_upheld"
    REVERSED = "reversed"


@dataclass(frozen=True)
class CaseEvent:
    """One line of a case's activity log: what happened, when, and the role (never the person) that did it."""

    case_id: str
    kind: CaseEventKind
    at: datetime
    role: str
    detail: str  # e.g. "3 reports", "action_taken: remove_content"
    revision: int


class AppealStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REVERSED = "reversed"


@dataclass(frozen=True)
class Appeal:
    """DSA Art. 20: a reporter of the case or the affected account asks people to look at a decision again."""

    appeal_id: str
    decision_id: str
    case_id: str
    appellant_id: str
    appellant_role: str  # "reporter" or "affected_account"
    explanation: str
    filed_at: datetime
    status: AppealStatus = AppealStatus.OPEN
    decided_at: datetime | None = None
    new_decision_id: str | None = None


def reversed_outcome(decision: Decision, action: str | None) -> tuple[str, str | None]:
    """What a reversal decides: a `no_violation` becomes `action_taken` with `action`; an `action_taken` becomes
    `no_violation`, and its action is lifted."""
    if decision.outcome == NO_VIOLATION:
        return ACTION_TAKEN, action
    return NO_VIOLATION, None


MEMBERSHIP_SHARDS = 16


def membership_bucket(report: Report) -> str:
    """Which membership record holds a report: its minute and one of 16 shards of report ids. One record holds about
    10,000 ids (DynamoDB's 400 KB item), so a target can take about 160,000 reports a minute before one fills."""
    shard = zlib.crc32(report.report_id.encode()) % MEMBERSHIP_SHARDS
    return f"{report.received_at:%Y-%m-%dT%H:%M}#{shard:02d}"
