"""Auditor views: start a compliance export, follow it, list every export (each is an audit record of who asked)."""

from __future__ import annotations

import re

from chalice.app import Response

from chalicelib.api.call import Call
from chalicelib.api.documents import rfc3339
from chalicelib.api.http import checked_path_id, json_response, page_limit, parse_body
from chalicelib.api.idempotency_key import idempotency_key, lend_lambda_context
from chalicelib.api.schemas import (
    ExportAccepted,
    ExportList,
    ExportOut,
    ExportProgressOut,
    ExportRequestIn,
    ExportRequestOut,
)
from chalicelib.domain.exports import Export, ExportRequest
from chalicelib.services.exports import ExportView, list_exports, read_export, start_export
from chalicelib.services.idempotent import request_fingerprint, run_idempotent
from chalicelib.services.ports import IdempotentRequest

_EXPORT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def create_export(call: Call) -> Response:
    key = idempotency_key(call, required=True)
    assert key is not None
    body = parse_body(ExportRequestIn, call.request.raw_body)
    request = ExportRequest(body.include_history, body.history_from, body.history_to)
    caller = call.scope.signed_in
    fingerprint = request_fingerprint(call.deps.keys.request_fingerprints, request.as_dict())

    def start() -> dict[str, object]:
        export = start_export(call.deps.exports, caller.sub, request)
        return {"export_id": export.export_id, "status": export.status.value}

    lend_lambda_context(call)
    result, replayed = run_idempotent(
        call.deps.idempotency, IdempotentRequest("start_export", caller.sub, key, fingerprint), start
    )
    call.scope.metrics.append(("Exports", {"outcome": "replayed" if replayed else "started"}))
    return json_response(ExportAccepted.model_validate(result), 202)


def get_export(call: Call) -> Response:
    export_id = checked_path_id(call.params["export_id"], _EXPORT_ID, "export")
    return json_response(export_out(read_export(call.deps.exports, export_id)))


def list_all(call: Call) -> Response:
    params = call.query()
    found, cursor = list_exports(call.deps.exports, page_limit(params.get("limit")), params.get("next"))
    return json_response(ExportList(exports=[export_out(ExportView(export)) for export in found], next=cursor))


def export_out(view: ExportView) -> ExportOut:
    export: Export = view.export
    request = export.request.as_dict()
    return ExportOut(
        export_id=export.export_id,
        status=export.status.value,
        requested_by=export.requested_by,
        requested_at=rfc3339(export.requested_at),
        request=ExportRequestOut(**request),
        policy_version=export.policy_version,
        progress=ExportProgressOut(
            segments_done=export.segments_done, segments=export.segments, accounts=export.accounts
        ),
        completed_at=None if export.completed_at is None else rfc3339(export.completed_at),
        failure=export.failure,
        manifest=view.manifest,
        downloads=view.downloads,
    )
