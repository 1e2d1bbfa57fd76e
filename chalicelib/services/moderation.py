"""Moderation: the prioritised queue, decisions with a statement of reasons (DSA Art. 17), and muting reporters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from chalicelib.domain.errors import (
    Conflict,
    InvalidCursorError,
    NoOpenReports,
    NotFound,
    Problem,
    RoundChanged,
    Unavailable,
    ValidationFailed,
)
from chalicelib.domain.reports import Decision, QueueItem, StatementOfReasons, Target
from chalicelib.identity import Caller
from chalicelib.observability import logger
from chalicelib.policy import Policy
from chalicelib.services.ports import Clock, InvalidCursor, Mute, ReportsStore, VersionConflict
from chalicelib.services.retry import pause_before_retry

NO_VIOLATION = "no_violation"
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ModerationDeps:
    reports: ReportsStore
    policy: Policy
    clock: Clock


@dataclass(frozen=True)
class DecisionRequest:
    outcome: str
    action: str | None
    statement: StatementOfReasons


def moderation_queue(deps: ModerationDeps, limit: int, cursor: str | None) -> tuple[list[QueueItem], str | None]:
    try:
        return deps.reports.queue_page(limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None


def checked_target(policy: Policy, target_type: str, target_id: str) -> Target:
    if target_type not in policy.reports.target_types:
        raise NotFound("no such target")
    return Target(target_type, target_id)


def decide(
    deps: ModerationDeps,
    target: Target,
    request: DecisionRequest,
    moderator: Caller,
    expected_round: str | None = None,
) -> Decision:
    """Decides every open report on the target at once; each reporter then sees the outcome.

    The decision covers the round the moderator saw: `expected_round` (the queue item's `round_id`, sent as
    If-Match) pins it, and without it the round first read here is pinned, so a retry never decides reports that
    arrived in a round the moderator has not seen.
    """
    _check_action(request)
    store = deps.reports
    rules = deps.policy.reports
    _finish_unfinished(deps, target)
    pinned = expected_round
    for attempt in range(MAX_ATTEMPTS):
        open_round = store.open_round(target)
        if open_round is None:
            raise NoOpenReports("this target has no open reports")
        if pinned is not None and open_round.round_id != pinned:
            raise RoundChanged("the reports on this target changed since you read them; review the queue again")
        pinned = open_round.round_id
        now = deps.clock()
        decision = Decision(
            decision_id=str(uuid.uuid4()),
            target=target,
            round_id=open_round.round_id,
            outcome=request.outcome,
            action=request.action,
            statement=request.statement,
            moderator_id=moderator.sub,
            decided_at=now,
        )
        try:
            count = store.record_decision(decision, now + timedelta(days=rules.retention_days_after_decision))
        except VersionConflict:
            pause_before_retry(attempt)
            continue
        decision = replace(decision, report_count=count)
        _close_reports(deps, decision)
        return decision
    raise Conflict("this target is busy; try again")


def _finish_unfinished(deps: ModerationDeps, target: Target) -> None:
    """Completes the close-out of earlier decisions on this target that storage interrupted."""
    for decision in deps.reports.unfinished_decisions(target):
        _close_reports(deps, decision)


def _check_action(request: DecisionRequest) -> None:
    if (request.outcome == NO_VIOLATION) != (request.action is None):
        raise ValidationFailed(
            "an action goes with action_taken, and only with it",
            (Problem(field="action", code="invalid_value", message="null for no_violation, required otherwise"),),
        )


def _close_reports(deps: ModerationDeps, decision: Decision) -> None:
    """Marks each report decided (with its retention) and counts unfounded ones per reporter.

    The decision record is already the truth: if this step fails, reports still read as decided through it, so a
    failure here is logged rather than reported to the moderator as a failed decision. The record stays marked as
    unfinished, and the next decision attempt on the target completes it.
    """
    now = decision.decided_at
    rules = deps.policy.reports
    store = deps.reports
    try:
        reports = store.reports_in_round(decision.target, decision.round_id)
        store.mark_decided(reports, decision, now + timedelta(days=rules.retention_days_after_decision))
        if decision.outcome == NO_VIOLATION:
            window = timedelta(days=rules.unfounded_window_days)
            store.record_unfounded([report.reporter_id for report in reports], decision, now + window)
        store.finish_decision(decision)
    except Unavailable:
        logger().warning("reports not yet marked decided", extra={"decision_id": decision.decision_id})


def mute_reporter(deps: ModerationDeps, account_id: str, hours: int, reason: str, moderator: Caller) -> Mute:
    limit = deps.policy.reports.mute_max_hours
    if not 1 <= hours <= limit:
        raise ValidationFailed(
            f"hours must be from 1 to {limit}",
            (Problem(field="hours", code="invalid_value", message=f"must be from 1 to {limit}"),),
        )
    now = deps.clock()
    mute = Mute(muted_until=now + timedelta(hours=hours), reason=reason, moderator_id=moderator.sub, muted_at=now)
    # The mute item stops mattering once it lapses: it expires (by TTL) a day after.
    deps.reports.set_mute(account_id, mute, mute.muted_until + timedelta(days=1))
    return mute
