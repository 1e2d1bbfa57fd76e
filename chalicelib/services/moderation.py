"""Moderation: the queue of cases, deciding a case exactly as reviewed (DSA Art. 17), and muting reporters.

A decision names the case's `revision` the moderator read; a case that gained a report since is refused with 412
and nothing is decided, so a decision never covers a report nobody reviewed. The decision is one conditional write
on the case with the decision record; closing out its reports follows asynchronously (`services.closeout`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.domain.errors import (
    AlreadyDecided,
    CaseChanged,
    Conflict,
    InvalidCursorError,
    NotFound,
    PreconditionRequired,
    Problem,
    ValidationFailed,
)
from chalicelib.domain.reports import NO_VIOLATION, Case, CaseEvent, CaseEventKind, Decision, StatementOfReasons
from chalicelib.domain.statements import GroundKind, transparency_statement
from chalicelib.identity import Caller
from chalicelib.policy import Policy
from chalicelib.services.ports import Clock, InvalidCursor, Mute, ReportsStore, VersionConflict
from chalicelib.services.retry import pause_before_retry

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
    ground_kind: GroundKind = "incompatible_content"
    affected_account_id: str | None = None


def moderation_queue(deps: ModerationDeps, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
    try:
        return deps.reports.queue_page(limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None


def read_case(deps: ModerationDeps, case_id: str) -> tuple[Case, list[CaseEvent]]:
    case = deps.reports.get_case(case_id)
    if case is None:
        raise NotFound("no such case")
    return case, deps.reports.case_events(case_id)


def decide(
    deps: ModerationDeps, case_id: str, revisions: frozenset[int] | None, request: DecisionRequest, moderator: Caller
) -> Decision:
    """Decides the case if it is still at a revision the moderator names (If-Match)."""
    if revisions is None:
        raise PreconditionRequired('send the revision you reviewed as If-Match, e.g. If-Match: "3"')
    if len(revisions) != 1:  # a list of revisions would decide reports nobody reviewed
        raise CaseChanged('If-Match must name exactly the one revision you reviewed, e.g. If-Match: "3"')
    check_action(deps.policy, request.outcome, request.action, request.affected_account_id)
    store = deps.reports
    for attempt in range(MAX_ATTEMPTS):
        case = _decidable(store.get_case(case_id), revisions)
        now = deps.clock()
        decision = Decision(
            decision_id=str(uuid.uuid4()),
            case_id=case.case_id,
            target=case.target,
            outcome=request.outcome,
            action=request.action,
            statement=request.statement,
            moderator_id=moderator.sub,
            decided_at=now,
            report_count=case.report_count,
            affected_account_id=request.affected_account_id,
        )
        detail = f"{decision.outcome}: {decision.action}" if decision.action else decision.outcome
        event = CaseEvent(case.case_id, CaseEventKind.DECIDED, now, "moderator", detail, case.revision)
        try:
            store.record_decision(
                decision, case.revision, statement_record(deps.policy, decision, case, request), event
            )
        except VersionConflict:  # changed or decided in the meantime (the next read says which), or contention
            pause_before_retry(attempt)
            continue
        return decision
    raise Conflict("this case is busy; try again")


def _decidable(case: Case | None, revisions: frozenset[int]) -> Case:
    if case is None:
        raise NotFound("no such case")
    if not case.is_open:
        raise AlreadyDecided("this case is already decided")
    if case.revision not in revisions:
        raise CaseChanged("the case changed since you read it (new reports); read it again before deciding")
    return case


def statement_record(policy: Policy, decision: Decision, case: Case, request: DecisionRequest) -> dict[str, Any] | None:
    """The Art. 24(5) transparency-database record, for a decision that restricts something."""
    return transparency_statement(
        policy,
        decision_id=decision.decision_id,
        outcome=decision.outcome,
        action=decision.action,
        reasons=case.reasons,
        target_type=case.target.type,
        sources=(source.value for source in case.sources),
        ground_kind=request.ground_kind,
        ground=decision.statement.ground,
        facts=decision.statement.facts,
        automated=decision.statement.automated,
        # The platform's content store is not ours: the first report is the earliest date the service knows.
        content_date=case.first_reported_at.date(),
        application_date=decision.decided_at.date(),
    )


def restricts(policy: Policy, action: str | None) -> bool:
    return (
        action is not None and action in policy.transparency.actions and policy.transparency.actions[action].restricts
    )


def check_action(policy: Policy, outcome: str, action: str | None, affected_account_id: str | None) -> None:
    problems: list[Problem] = []
    if (outcome == NO_VIOLATION) != (action is None):
        problems.append(
            Problem(field="action", code="invalid_value", message="null for no_violation, required otherwise")
        )
    if restricts(policy, action) and not affected_account_id:
        # The account addressed by the statement of reasons (Art. 17) must be one a moderator verified.
        problems.append(
            Problem(field="affected_account_id", code="required", message="required when the action restricts")
        )
    if problems:
        raise ValidationFailed("the decision is incomplete", tuple(problems))


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
