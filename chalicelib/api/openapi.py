"""Builds the OpenAPI 3.1 document from the same pydantic models that validate requests and shape responses.

`python -m chalicelib.api.openapi` prints it; the committed `openapi.json` beside this module is what the API serves,
and a test fails when the two drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api import schemas

_REF = "#/components/schemas/{model}"

_ERROR_TEXT = {
    400: "The body is not valid JSON (`invalid_json`), or a required header is missing",
    401: "No valid bearer token (`unauthenticated`)",
    403: "The caller may not do this (`forbidden`), or a setting needs a guardian or is locked",
    404: "No such resource, or one the caller may not see (`not_found`)",
    405: "Method not allowed (`method_not_allowed`)",
    409: "Conflicts with the current state",
    412: "If-Match names a stale version (`precondition_failed`)",
    413: "Body over 16 KiB (`payload_too_large`)",
    415: "Body is not application/json (`unsupported_media_type`)",
    422: "The body or a parameter is not valid",
    429: "Too many requests (`rate_limited`); see Retry-After",
    503: "Storage is busy or unavailable (`unavailable`); see Retry-After",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    errors: tuple[int, ...] = ()
    request: type[BaseModel] | None = None
    secured: bool = True
    parameters: tuple[dict[str, Any], ...] = field(default_factory=tuple)


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


_ACCOUNT_ID = _path_param("account_id", "1-64 letters, digits, '-' or '_'")
_AUTHED = (401, 405, 413, 503)
_ETAG_HEADER = {
    "description": 'The document\'s version, as "<version>"; send it back as If-Match',
    "schema": {"type": "string"},
}
_RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
_PAGING = (
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "next", "in": "query", "schema": {"type": "string"}},
)

OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/v1/health", "getHealth", "Liveness", {200: ("OK", schemas.Health)}, (405,), secured=False),
    Operation(
        "get",
        "/v1/policy",
        "getPolicy",
        "The policy in force",
        {200: ("The policy document", None)},
        (405,),
        secured=False,
    ),
    Operation(
        "get", "/v1/openapi.json", "getOpenApi", "This document", {200: ("OpenAPI 3.1", None)}, (405,), secured=False
    ),
    Operation(
        "post",
        "/v1/accounts",
        "createAccount",
        "Sign-up: apply the age band's defaults (group signup-service)",
        {
            201: ("Created with the band's defaults", schemas.SignUpResponse),
            200: ("The same sign-up again: the current document, nothing changed", schemas.SignUpResponse),
        },
        (400, 403, 409, 415, 422, *_AUTHED),
        request=schemas.SignUpRequest,
    ),
    Operation(
        "get",
        "/v1/accounts/{account_id}/settings",
        "getSettings",
        "The settings screen (account holder or auditor)",
        {200: ("Values and what each option allows", schemas.SettingsDocument)},
        (404, *_AUTHED),
        parameters=(_ACCOUNT_ID,),
    ),
    Operation(
        "patch",
        "/v1/accounts/{account_id}/settings",
        "changeSettings",
        "Change settings within the band's limits, all or nothing (account holder)",
        {200: ("The new document", schemas.SettingsDocument)},
        (400, 403, 404, 409, 412, 415, 422, *_AUTHED),
        request=schemas.SettingsPatch,
        parameters=(
            _ACCOUNT_ID,
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
        ),
    ),
    Operation(
        "get",
        "/v1/accounts/{account_id}/settings/history",
        "getHistory",
        "Audit history, newest first (account holder or auditor)",
        {200: ("A page of events", schemas.HistoryPage)},
        (404, 422, *_AUTHED),
        parameters=(_ACCOUNT_ID, *_PAGING),
    ),
    Operation(
        "post",
        "/v1/reports",
        "fileReport",
        "File an abuse report and get a receipt (any signed-in user)",
        {
            201: ("The receipt", schemas.ReportReceipt),
            200: (
                "The same report again (replayed key, or the same target and reason within 24 h)",
                schemas.ReportReceipt,
            ),
        },
        (400, 409, 415, 422, 429, *_AUTHED),
        request=schemas.ReportRequest,
        parameters=(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "minLength": 1, "maxLength": 64},
            },
        ),
    ),
    Operation(
        "get",
        "/v1/reports",
        "listMyReports",
        "The caller's own reports, newest first",
        {200: ("A page of reports", schemas.ReportList)},
        (422, *_AUTHED),
        parameters=_PAGING,
    ),
    Operation(
        "get",
        "/v1/reports/{report_id}",
        "getReport",
        "One report, with the decision once made (its reporter or a moderator)",
        {200: ("The report", schemas.ReportView)},
        (404, *_AUTHED),
        parameters=(_path_param("report_id", "The id from the receipt"),),
    ),
    Operation(
        "get",
        "/v1/moderation/queue",
        "getModerationQueue",
        "Open reports grouped by target, by priority then oldest first (moderators)",
        {200: ("A page of queue items", schemas.QueuePage)},
        (403, 422, *_AUTHED),
        parameters=_PAGING,
    ),
    Operation(
        "post",
        "/v1/moderation/targets/{target_type}/{target_id}/decision",
        "decideTarget",
        "Decide every open report on a target, with a statement of reasons (moderators)",
        {200: ("The recorded decision", schemas.DecisionOut)},
        (400, 403, 404, 409, 412, 415, 422, *_AUTHED),
        request=schemas.DecisionRequestIn,
        parameters=(
            _path_param("target_type", "comment, video, account, message or live"),
            _path_param("target_id", "1-128 letters, digits, '_', '.', ':' or '-'"),
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": "The queue item's round_id: decide only the reports reviewed (else 412).",
            },
        ),
    ),
    Operation(
        "post",
        "/v1/moderation/reporters/{account_id}/mute",
        "muteReporter",
        "Mute a reporter: their new reports get low priority, except child safety and self-harm (moderators)",
        {200: ("The mute", schemas.MuteOut)},
        (400, 403, 404, 415, 422, *_AUTHED),
        request=schemas.MuteRequest,
        parameters=(_ACCOUNT_ID,),
    ),
)


def build_openapi(operations: tuple[Operation, ...] = OPERATIONS) -> dict[str, Any]:
    models: set[type[BaseModel]] = {schemas.ProblemDetails}
    for operation in operations:
        models |= {model for _, model in operation.responses.values() if model is not None}
        if operation.request is not None:
            models.add(operation.request)
    ordered = sorted(models, key=lambda model: model.__name__)
    _, definitions = models_json_schema(
        [(model, "validation" if _is_request(model, operations) else "serialization") for model in ordered],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "safety-settings",
            "version": "1",
            "description": "Age-aware safety settings for a short-video platform. Errors are RFC 9457 "
            "application/problem+json with a stable `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _is_request(model: type[BaseModel], operations: tuple[Operation, ...]) -> bool:
    return any(operation.request is model for operation in operations)


def _operation(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, model) in sorted(operation.responses.items()):
        schema = {"$ref": _REF.format(model=model.__name__)} if model else {"type": "object"}
        responses[str(status)] = {"description": description, "content": {"application/json": {"schema": schema}}}
        if model is not None and issubclass(model, schemas.SettingsDocument):
            responses[str(status)]["headers"] = {"ETag": _ETAG_HEADER}
    for status in sorted(set(operation.errors)):
        responses[str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/problem+json": {"schema": {"$ref": _REF.format(model="ProblemDetails")}}},
        }
        if status in (429, 503):
            responses[str(status)]["headers"] = {"Retry-After": _RETRY_AFTER_HEADER}
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "responses": responses,
        "security": [{"bearer": []}] if operation.secured else [],
    }
    if operation.parameters:
        document["parameters"] = list(operation.parameters)
    if operation.request is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=operation.request.__name__)}}},
        }
    return document


def render() -> str:
    return json.dumps(build_openapi(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
