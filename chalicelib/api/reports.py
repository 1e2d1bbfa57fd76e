"""Reporter views: file a report (with a receipt), list my reports, read one."""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import report_view
from chalicelib.api.http import checked_path_id, json_response, page_limit, parse_body
from chalicelib.api.idempotency_key import idempotency_key
from chalicelib.api.schemas import ReportList, ReportReceipt, ReportRequest
from chalicelib.services.reports import file_report, my_reports, read_report

_REPORT_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def create_report(call: Call) -> Response:
    key = idempotency_key(call, required=True)
    assert key is not None
    body = parse_body(ReportRequest, call.request.raw_body)
    receipt = file_report(call.deps.reporting, call.scope.signed_in, key, body.model_dump(mode="json"))
    outcome = "replayed" if receipt.replayed else ("filed" if receipt.status_code == 201 else "duplicate")
    call.scope.metrics.append(("Reports", {"outcome": outcome}))
    return json_response(
        ReportReceipt(report_id=receipt.report_id, status=receipt.status, received_at=receipt.received_at),  # type: ignore[arg-type]
        receipt.status_code,
    )


def list_reports(call: Call) -> Response:
    params = call.query()
    found, cursor = my_reports(
        call.deps.reporting.reports, call.scope.signed_in, page_limit(params.get("limit")), params.get("next")
    )
    return json_response(ReportList(reports=[report_view(report) for report in found], next=cursor))


def get_report(call: Call) -> Response:
    report_id = checked_path_id(call.params["report_id"], _REPORT_ID, "report")
    return json_response(report_view(read_report(call.deps.reporting.reports, report_id, call.scope.signed_in)))
