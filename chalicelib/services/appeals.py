"""Appeals (DSA Art. 20): a reporter of the case or the affected account asks for a decision to be looked at again,
within the policy's window; a moderator other than the one who decided upholds or reverses it.

A reversal is a new decision on the same case that supersedes the old one; the close-out then brings every report of
the case to the new outcome, and a reversed `no_violation` stops counting against its reporters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.errors import (
    AlreadyDecided,
    AppealExists,
    AppealWindowClosed,
    Conflict,
    ConflictOfInterest,
    IdempotencyKeyReused,
    InvalidCursorError,
    NotFound,
    Problem,
    ValidationFailed,
)
from chalicelib.domain.reports import (
    NO_VIOLATION,
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    Decision,
    StatementOfReasons,
    reversed_outcome,
)
from chalicelib.domain.statements import GroundKind
from chalicelib.identity import AUDITOR, MODERATOR, Caller
from chalicelib.policy import Policy
from chalicelib.services.idempotent import request_fingerprint
from chalicelib.services.moderation import DecisionRequest, check_action, statement_record
from chalicelib.services.ports import AppealGuard, Clock, InvalidCursor, ReportsStore, VersionConflict

REPORTER, AFFECTED_ACCOUNT = "reporter", "affected_account"
MAX_REPLACEMENTS = 20  # a decision replaced on appeal after appeal: followed this far, then read as it stands


@dataclass(frozen=True)
class AppealsDeps:
    reports: ReportsStore
    policy: Policy
    clock: Clock
    appeal_id_key: bytes = field(repr=False)
    fingerprint_key: bytes = field(repr=False)


@dataclass(frozen=True)
class AppealReceipt:
    appeal: Appeal
    replayed: bool


def file_appeal(
    deps: AppealsDeps, decision_id: str, appellant: Caller, idempotency_key: str, body: dict[str, Any]
) -> AppealReceipt:
    """Files the appeal once per Idempotency-Key; a stranger to the decision gets the 404 of a missing one."""
    store, rules, now = deps.reports, deps.policy.reports, deps.clock()
    decision = store.get_decision(decision_id)
    case = store.get_case(decision.case_id) if decision is not None else None
    if decision is None or case is None:
        raise NotFound("no such decision")
    role = _appellant_role(store, decision, case, appellant)
    fingerprint = request_fingerprint(deps.fingerprint_key, body)
    guard = store.appeal_guard(decision_id, appellant.sub)
    if guard is not None:
        return _again(store, guard, idempotency_key, fingerprint)
    if decision.superseded_by is not None:
        raise Conflict("this decision was replaced on appeal; appeal the decision that replaced it")
    if now - decision.decided_at > timedelta(days=rules.appeal_window_days):
        raise AppealWindowClosed(f"appeals are accepted for {rules.appeal_window_days} days after the decision")
    appeal = Appeal(
        appeal_id=_appeal_id(deps.appeal_id_key, appellant.sub, decision_id, idempotency_key),
        decision_id=decision_id,
        case_id=decision.case_id,
        appellant_id=appellant.sub,
        appellant_role=role,
        explanation=body["explanation"],
        filed_at=now,
    )
    event = CaseEvent(decision.case_id, CaseEventKind.APPEALED, now, role, "an appeal was filed", case.revision)
    try:
        store.record_appeal(appeal, AppealGuard(appeal.appeal_id, idempotency_key, fingerprint), event)
    except VersionConflict:  # the same appellant at the same moment: answer as the first one did
        guard = store.appeal_guard(decision_id, appellant.sub)
        if guard is None:
            raise
        return _again(store, guard, idempotency_key, fingerprint)
    return AppealReceipt(appeal, replayed=False)


def _appellant_role(store: ReportsStore, decision: Decision, case: Case, caller: Caller) -> str:
    if decision.affected_account_id is not None and caller.is_account_holder(decision.affected_account_id):
        return AFFECTED_ACCOUNT
    if store.reporter_in_case(case, caller.sub):
        return REPORTER
    raise NotFound("no such decision")


def _again(store: ReportsStore, guard: AppealGuard, key: str, fingerprint: str) -> AppealReceipt:
    if guard.key != key:
        raise AppealExists("you already appealed this decision")
    if guard.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different body")
    appeal = store.get_appeal(guard.appeal_id)
    if appeal is None:  # the guard and the appeal are written together: only a storage fault gets here
        raise Conflict("the appeal is being recorded; retry")
    return AppealReceipt(appeal, replayed=True)


def _appeal_id(key: bytes, appellant_id: str, decision_id: str, idempotency_key: str) -> str:
    canonical = json.dumps([appellant_id, decision_id, idempotency_key], separators=(",", ":")).encode()
    digest = hmac.new(key, b"appeal-id\x00" + canonical, hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def appeals_queue(deps: AppealsDeps, limit: int, cursor: str | None) -> tuple[list[Appeal], str | None]:
    try:
        appeals, next_cursor = deps.reports.appeals_queue(limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None
    # An appeal whose decision was already replaced on another appeal has nothing left to decide: its appellant reads
    # the new decision and may appeal that one.
    current = [a for a in appeals if (d := deps.reports.get_decision(a.decision_id)) and d.superseded_by is None]
    return current, next_cursor


def read_appeal(deps: AppealsDeps, appeal_id: str, caller: Caller) -> tuple[Appeal, Decision]:
    """The appeal and the decision now in force for it (the replacing one when reversed), for the appellant,
    moderators and auditors; anyone else gets the 404 of a missing appeal."""
    appeal = deps.reports.get_appeal(appeal_id)
    if appeal is None or not (caller.groups & {MODERATOR, AUDITOR} or caller.sub == appeal.appellant_id):
        raise NotFound("no such appeal")
    decision = deps.reports.get_decision(appeal.decision_id)
    # The decision in force: the appealed one unless replaced, on this appeal or another appellant's.
    for _ in range(MAX_REPLACEMENTS):
        if decision is None or decision.superseded_by is None:
            break
        decision = deps.reports.get_decision(decision.superseded_by)
    if decision is None:
        raise NotFound("no such appeal")
    return appeal, decision


@dataclass(frozen=True)
class AppealDecisionRequest:
    outcome: str  # "upheld" or "reversed"
    action: str | None
    statement: StatementOfReasons
    ground_kind: GroundKind = "incompatible_content"
    affected_account_id: str | None = None


def decide_appeal(
    deps: AppealsDeps, appeal_id: str, request: AppealDecisionRequest, moderator: Caller
) -> tuple[Appeal, Decision | None]:
    """Upholds or reverses; returns the closed appeal and, for a reversal, the decision that replaces the old one."""
    store, now = deps.reports, deps.clock()
    appeal = store.get_appeal(appeal_id)
    if appeal is None:
        raise NotFound("no such appeal")
    decision = store.get_decision(appeal.decision_id)
    if decision is None:
        raise NotFound("no such appeal")
    if moderator.sub in {decision.moderator_id, appeal.appellant_id}:  # Art. 20(6); nobody judges their own appeal
        raise ConflictOfInterest("the moderator who decided, or who appealed, may not decide this appeal")
    if appeal.status is not AppealStatus.OPEN:
        raise AlreadyDecided("this appeal is already decided")
    if decision.superseded_by is not None:
        raise Conflict("the decision was already replaced on another appeal")
    case = store.get_case(appeal.case_id)
    if case is None:
        raise NotFound("no such appeal")
    reversal = _reversal(deps, decision, request, moderator) if request.outcome == "reversed" else None
    status = AppealStatus.REVERSED if reversal else AppealStatus.UPHELD
    closed = replace(appeal, status=status, decided_at=now, new_decision_id=reversal.decision_id if reversal else None)
    if reversal is None:
        event = CaseEvent(appeal.case_id, CaseEventKind.APPEAL_UPHELD, now, "moderator", "upheld", case.revision)
        statement = None
    else:
        detail = f"{reversal.outcome}: {reversal.action}" if reversal.action else reversal.outcome
        event = CaseEvent(appeal.case_id, CaseEventKind.REVERSED, now, "moderator", detail, case.revision)
        statement = statement_record(
            deps.policy,
            reversal,
            case,
            DecisionRequest(reversal.outcome, reversal.action, reversal.statement, request.ground_kind),
        )
    try:
        store.record_appeal_decision(closed, reversal, statement, event)
    except VersionConflict:
        raise AlreadyDecided("this appeal, or the decision, changed meanwhile; read the appeals again") from None
    return closed, reversal


def _reversal(deps: AppealsDeps, decision: Decision, request: AppealDecisionRequest, moderator: Caller) -> Decision:
    if decision.outcome != NO_VIOLATION and request.action is not None:
        raise ValidationFailed(
            "reversing action_taken lifts the action: send action null",
            (Problem(field="action", code="invalid_value", message="null when reversing action_taken"),),
        )
    outcome, action = reversed_outcome(decision, request.action)
    affected = request.affected_account_id or decision.affected_account_id
    check_action(deps.policy, outcome, action, affected)
    return Decision(
        decision_id=str(uuid.uuid4()),
        case_id=decision.case_id,
        target=decision.target,
        outcome=outcome,
        action=action,
        statement=request.statement,
        moderator_id=moderator.sub,
        decided_at=deps.clock(),
        report_count=decision.report_count,
        affected_account_id=affected,
        supersedes=decision.decision_id,
    )
