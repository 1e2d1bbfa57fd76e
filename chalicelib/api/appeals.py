"""Appeal views: file an appeal against a decision, follow it, the appeals queue, and deciding an appeal."""

from __future__ import annotations

from typing import Any, cast

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import decision_out, rfc3339
from chalicelib.api.http import checked_path_id, json_response, page_limit, parse_body
from chalicelib.api.idempotency_key import idempotency_key
from chalicelib.api.moderation import CASE_ID, statement_of
from chalicelib.api.schemas import (
    AppealDecisionIn,
    AppealDecisionOut,
    AppealOut,
    AppealReceiptOut,
    AppealRequest,
    AppealsPage,
    AppealStatusOut,
)
from chalicelib.domain.reports import Appeal
from chalicelib.services.appeals import (
    AppealDecisionRequest,
    appeals_queue,
    decide_appeal,
    file_appeal,
    read_appeal,
)


def create_appeal(call: Call) -> Response:
    decision_id = checked_path_id(call.params["decision_id"], CASE_ID, "decision")
    key = idempotency_key(call, required=True)
    assert key is not None
    body = parse_body(AppealRequest, call.request.raw_body)
    receipt = file_appeal(call.deps.appeals, decision_id, call.scope.signed_in, key, body.model_dump(mode="json"))
    appeal = receipt.appeal
    call.scope.metrics.append(("Appeals", {"outcome": "replayed" if receipt.replayed else "filed"}))
    return json_response(
        AppealReceiptOut(
            appeal_id=appeal.appeal_id,
            decision_id=appeal.decision_id,
            status=cast(Any, appeal.status.value),
            filed_at=rfc3339(appeal.filed_at),
        ),
        201,
    )


def get_appeal(call: Call) -> Response:
    appeal_id = checked_path_id(call.params["appeal_id"], CASE_ID, "appeal")
    appeal, in_force = read_appeal(call.deps.appeals, appeal_id, call.scope.signed_in)
    return json_response(
        AppealStatusOut(
            appeal_id=appeal.appeal_id,
            decision_id=appeal.decision_id,
            status=cast(Any, appeal.status.value),
            filed_at=rfc3339(appeal.filed_at),
            decided_at=rfc3339(appeal.decided_at) if appeal.decided_at else None,
            outcome=cast(Any, in_force.outcome),
            replaced_by=in_force.decision_id if in_force.decision_id != appeal.decision_id else None,
        )
    )


def queue(call: Call) -> Response:
    params = call.query()
    found, cursor = appeals_queue(call.deps.appeals, page_limit(params.get("limit")), params.get("next"))
    return json_response(AppealsPage(items=[_appeal_out(appeal) for appeal in found], next=cursor))


def decide(call: Call) -> Response:
    appeal_id = checked_path_id(call.params["appeal_id"], CASE_ID, "appeal")
    body = parse_body(AppealDecisionIn, call.request.raw_body)
    given = body.statement_of_reasons
    statement = statement_of(given)
    request = AppealDecisionRequest(body.outcome, body.action, statement, given.ground_kind, body.affected_account_id)
    appeal, reversal = decide_appeal(call.deps.appeals, appeal_id, request, call.scope.signed_in)
    call.scope.metrics.append(("AppealDecisions", {"outcome": appeal.status.value}))
    return json_response(
        AppealDecisionOut(
            appeal_id=appeal.appeal_id,
            status=cast(Any, appeal.status.value),
            decision=decision_out(reversal) if reversal else None,
        )
    )


def _appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        appeal_id=appeal.appeal_id,
        decision_id=appeal.decision_id,
        case_id=appeal.case_id,
        appellant_role=cast(Any, appeal.appellant_role),
        explanation=appeal.explanation,
        filed_at=rfc3339(appeal.filed_at),
        status=cast(Any, appeal.status.value),
    )
