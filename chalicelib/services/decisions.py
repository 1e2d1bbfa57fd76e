"""Decisions as the affected account holder reads them (DSA Art. 17), and the statements of reasons an auditor pages
through (Art. 24(5)). Nobody but moderators and auditors learns that a decision exists unless it is addressed to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import InvalidCursorError, NotFound, Problem, ValidationFailed
from chalicelib.domain.reports import Decision
from chalicelib.identity import AUDITOR, MODERATOR, Caller
from chalicelib.services.ports import InvalidCursor, ReportsStore

MAX_STATEMENT_RANGE = timedelta(days=31)


@dataclass(frozen=True)
class DecisionsDeps:
    reports: ReportsStore


def read_decision(deps: DecisionsDeps, decision_id: str, caller: Caller) -> Decision:
    """The affected account holder, moderators and auditors; anyone else gets the 404 of a missing decision."""
    decision = deps.reports.get_decision(decision_id)
    if decision is None or not _may_read(decision, caller):
        raise NotFound("no such decision")
    return decision


def _may_read(decision: Decision, caller: Caller) -> bool:
    return bool(caller.groups & {MODERATOR, AUDITOR}) or (
        decision.affected_account_id is not None and caller.is_account_holder(decision.affected_account_id)
    )


def decisions_for(
    deps: DecisionsDeps, account_id: str, limit: int, cursor: str | None
) -> tuple[list[Decision], str | None]:
    try:
        return deps.reports.decisions_for(account_id, limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None


def statements(
    deps: DecisionsDeps, since: datetime, until: datetime, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    if not since < until <= since + MAX_STATEMENT_RANGE:
        raise ValidationFailed(
            "to must be after from, and at most 31 days after it",
            (Problem(field="to", code="invalid_value", message="after from, within 31 days"),),
        )
    try:
        return deps.reports.statements(since, until, limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None
