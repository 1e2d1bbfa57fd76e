"""Moderator views: the queue of cases, one case with its activity log, deciding a case, muting a reporter."""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import case_detail, case_out, decision_out
from chalicelib.api.http import checked_path_id, etag, if_match_version, json_response, page_limit, parse_body
from chalicelib.api.schemas import (
    ACCOUNT_ID_PATTERN,
    DecisionRequestIn,
    MuteOut,
    MuteRequest,
    QueuePage,
    StatementOfReasonsIn,
)
from chalicelib.domain.reports import StatementOfReasons
from chalicelib.services.moderation import DecisionRequest, decide, moderation_queue, mute_reporter, read_case

_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
CASE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def statement_of(given: StatementOfReasonsIn) -> StatementOfReasons:
    """The statement of reasons a decision (or an appeal's decision) sends, as the domain keeps it."""
    return StatementOfReasons(facts=given.facts, ground=given.ground, automated=given.automated, redress=given.redress)


def queue(call: Call) -> Response:
    params = call.query()
    cases, cursor = moderation_queue(call.deps.moderation, page_limit(params.get("limit")), params.get("next"))
    return json_response(QueuePage(items=[case_out(case) for case in cases], next=cursor))


def get_case(call: Call) -> Response:
    case_id = checked_path_id(call.params["case_id"], CASE_ID, "case")
    case, events = read_case(call.deps.moderation, case_id)
    return json_response(case_detail(case, events), headers={"ETag": etag(case.revision)})


def decide_case(call: Call) -> Response:
    deps = call.deps.moderation
    case_id = checked_path_id(call.params["case_id"], CASE_ID, "case")
    body = parse_body(DecisionRequestIn, call.request.raw_body)
    given = body.statement_of_reasons
    statement = statement_of(given)
    request = DecisionRequest(body.outcome, body.action, statement, given.ground_kind, body.affected_account_id)
    decision = decide(deps, case_id, if_match_version(call.header("If-Match")), request, call.scope.signed_in)
    call.scope.metrics.append(("Decisions", {"outcome": decision.outcome}))
    return json_response(decision_out(decision))


def mute(call: Call) -> Response:
    account_id = checked_path_id(call.params["account_id"], _ACCOUNT_ID, "account")
    body = parse_body(MuteRequest, call.request.raw_body)
    muted = mute_reporter(call.deps.moderation, account_id, body.hours, body.reason, call.scope.signed_in)
    return json_response(
        MuteOut(account_id=account_id, muted_until=muted.muted_until.isoformat().replace("+00:00", "Z"))
    )
