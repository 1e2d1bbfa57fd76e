"""Decisions as their addressees read them, and the transparency statements auditors page through."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import affected_decision_out, decision_out
from chalicelib.api.http import checked_account_id, checked_path_id, json_response, page_limit
from chalicelib.api.moderation import CASE_ID
from chalicelib.api.schemas import DecisionList, StatementList
from chalicelib.domain.errors import Problem, ValidationFailed
from chalicelib.identity import AUDITOR, MODERATOR
from chalicelib.services.decisions import DecisionsDeps, decisions_for, read_decision, statements


def _deps(call: Call) -> DecisionsDeps:
    return DecisionsDeps(reports=call.deps.moderation.reports)


def get_decision(call: Call) -> Response:
    decision_id = checked_path_id(call.params["decision_id"], CASE_ID, "decision")
    caller = call.scope.signed_in
    decision = read_decision(_deps(call), decision_id, caller)
    if caller.groups & {MODERATOR, AUDITOR}:
        return json_response(decision_out(decision))
    return json_response(affected_decision_out(decision, call.deps.policy.reports.appeal_window_days))


def list_account_decisions(call: Call) -> Response:
    account_id = checked_account_id(call.params["account_id"])
    params = call.query()
    found, cursor = decisions_for(_deps(call), account_id, page_limit(params.get("limit")), params.get("next"))
    window = call.deps.policy.reports.appeal_window_days
    return json_response(DecisionList(decisions=[affected_decision_out(d, window) for d in found], next=cursor))


def list_statements(call: Call) -> Response:
    params = call.query()
    since, until = _instant(params, "from"), _instant(params, "to")
    found, cursor = statements(_deps(call), since, until, page_limit(params.get("limit")), params.get("next"))
    return json_response(StatementList(statements=found, next=cursor))


def _instant(params: dict[str, str], name: str) -> datetime:
    """An RFC 3339 time with an offset (`2026-12-01T00:00:00Z`); a bare date counts from its midnight UTC."""
    raw = params.get(name, "")
    try:
        at = datetime.fromisoformat(raw) if len(raw) <= 40 else None
        at = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
        at = at.astimezone(UTC) if at is not None and 2000 <= at.year <= 2100 else None  # far from datetime's limits
    except (ValueError, OverflowError):
        at = None
    if at is None:
        raise ValidationFailed(
            f"{name} must be an RFC 3339 time",
            (
                Problem(
                    field=name,
                    code="invalid_value",
                    message="an RFC 3339 time from 2000 to 2100, e.g. 2026-12-01T00:00:00Z",
                ),
            ),
        )
    return at
