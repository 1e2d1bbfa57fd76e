"""Moderator views: the queue, decisions on a target, muting a reporter."""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import decision_out, queue_item_out
from chalicelib.api.http import checked_path_id, json_response, page_limit, parse_body, round_from_if_match
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

_CONTENT_ID = re.compile(CONTENT_ID_PATTERN)
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)


def queue(call: Call) -> Response:
    params = call.query()
    items, cursor = moderation_queue(call.deps.moderation, page_limit(params.get("limit")), params.get("next"))
    return json_response(QueuePage(items=[queue_item_out(item) for item in items], next=cursor))


def decide_target(call: Call) -> Response:
    deps = call.deps.moderation
    target_id = checked_path_id(call.params["target_id"], _CONTENT_ID, "target")
    target = checked_target(deps.policy, call.params["target_type"], target_id)
    body = parse_body(DecisionRequestIn, call.request.raw_body)
    statement = StatementOfReasons(**body.statement_of_reasons.model_dump())
    request = DecisionRequest(body.outcome, body.action, statement)
    expected_round = round_from_if_match(call.header("If-Match"))
    decision = decide(deps, target, request, call.scope.signed_in, expected_round)
    call.scope.metrics.append(("Decisions", {"outcome": decision.outcome}))
    return json_response(decision_out(decision))


def mute(call: Call) -> Response:
    account_id = checked_path_id(call.params["account_id"], _ACCOUNT_ID, "account")
    body = parse_body(MuteRequest, call.request.raw_body)
    muted = mute_reporter(call.deps.moderation, account_id, body.hours, body.reason, call.scope.signed_in)
    return json_response(
        MuteOut(account_id=account_id, muted_until=muted.muted_until.isoformat().replace("+00:00", "Z"))
    )
