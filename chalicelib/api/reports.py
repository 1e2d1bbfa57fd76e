"""Reporter routes: file a report (with a receipt), list my reports, read one."""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.api.auth import route_authorizer
from chalicelib.api.documents import report_view
from chalicelib.api.http import checked_path_id, json_response, page_limit, parse_body, problem_view, query_params
from chalicelib.api.middleware import current_scope
from chalicelib.api.schemas import ReportList, ReportReceipt, ReportRequest
from chalicelib.domain.errors import BadRequest
from chalicelib.services.reports import file_report, my_reports, read_report

reports = Blueprint(__name__)

_REPORT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@reports.route("/v1/reports", methods=["POST"], authorizer=route_authorizer)
@problem_view
def create_report() -> Response:
    request = reports.current_request
    key = request.headers.get("idempotency-key")
    if key is None:
        raise BadRequest("send an Idempotency-Key header (1-64 characters)", "idempotency_key_missing")
    if not 1 <= len(key) <= 64 or not key.strip() or not key.isprintable():
        raise BadRequest(
            "the Idempotency-Key header must be 1-64 printable characters, not all spaces", "idempotency_key_invalid"
        )
    body = parse_body(ReportRequest, request.raw_body)
    scope = current_scope()
    receipt = file_report(scope.signed_in, key, body.model_dump(mode="json"), reports.lambda_context)
    outcome = "replayed" if receipt.replayed else ("filed" if receipt.status_code == 201 else "duplicate")
    scope.metrics.append(("Reports", {"outcome": outcome}))
    return json_response(
        ReportReceipt(report_id=receipt.report_id, status=receipt.status, received_at=receipt.received_at),  # type: ignore[arg-type]
        receipt.status_code,
    )


@reports.route("/v1/reports", methods=["GET"], authorizer=route_authorizer)
@problem_view
def list_reports() -> Response:
    params = query_params(reports.current_request)
    found, cursor = my_reports(current_scope().signed_in, page_limit(params.get("limit")), params.get("next"))
    return json_response(ReportList(reports=[report_view(report) for report in found], next=cursor))


@reports.route("/v1/reports/{report_id}", methods=["GET"], authorizer=route_authorizer)
@problem_view
def get_report(report_id: str) -> Response:
    report = read_report(checked_path_id(report_id, _REPORT_ID, "report"), current_scope().signed_in)
    return json_response(report_view(report))
