"""Moderator routes: the queue, decisions on a target, muting a reporter."""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.api.auth import route_authorizer
from chalicelib.api.documents import decision_out, queue_item_out
from chalicelib.api.http import (
    checked_path_id,
    json_response,
    page_limit,
    parse_body,
    problem_view,
    query_params,
    round_from_if_match,
)
from chalicelib.api.middleware import current_scope
from chalicelib.api.schemas import (
    ACCOUNT_ID_PATTERN,
    CONTENT_ID_PATTERN,
    DecisionRequestIn,
    MuteOut,
    MuteRequest,
    QueuePage,
)
from chalicelib.domain.reports import StatementOfReasons
from chalicelib.services.moderation import DecisionRequest, checked_target, decide, moderation_queue, mute_reporter

moderation = Blueprint(__name__)

_CONTENT_ID = re.compile(CONTENT_ID_PATTERN)
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)


@moderation.route("/v1/moderation/queue", methods=["GET"], authorizer=route_authorizer)
@problem_view
def queue() -> Response:
    params = query_params(moderation.current_request)
    items, cursor = moderation_queue(page_limit(params.get("limit")), params.get("next"))
    return json_response(QueuePage(items=[queue_item_out(item) for item in items], next=cursor))


@moderation.route(
    "/v1/moderation/targets/{target_type}/{target_id}/decision", methods=["POST"], authorizer=route_authorizer
)
@problem_view
def decide_target(target_type: str, target_id: str) -> Response:
    target = checked_target(target_type, checked_path_id(target_id, _CONTENT_ID, "target"))
    body = parse_body(DecisionRequestIn, moderation.current_request.raw_body)
    statement = StatementOfReasons(**body.statement_of_reasons.model_dump())
    request = DecisionRequest(body.outcome, body.action, statement)
    expected_round = round_from_if_match(moderation.current_request.headers.get("if-match"))
    decision = decide(target, request, current_scope().signed_in, expected_round)
    current_scope().metrics.append(("Decisions", {"outcome": decision.outcome}))
    return json_response(decision_out(decision))


@moderation.route("/v1/moderation/reporters/{account_id}/mute", methods=["POST"], authorizer=route_authorizer)
@problem_view
def mute(account_id: str) -> Response:
    account_id = checked_path_id(account_id, _ACCOUNT_ID, "account")
    body = parse_body(MuteRequest, moderation.current_request.raw_body)
    muted = mute_reporter(account_id, body.hours, body.reason, current_scope().signed_in)
    return json_response(
        MuteOut(account_id=account_id, muted_until=muted.muted_until.isoformat().replace("+00:00", "Z"))
    )
