"""Builds the OpenAPI 3.1 document from the route declarations and the pydantic models that validate requests and
shape responses.

`python -m chalicelib.api.openapi` prints it; the committed `openapi.json` beside this module is what the API serves,
and a test fails when the two drift.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api import schemas
from chalicelib.api.routes import ROUTES, Route

_REF = "#/components/schemas/{model}"

_ERROR_TEXT = {
    400: "The body is not valid JSON (`invalid_json`), a required header is missing or malformed, or `next` is not "
    "a cursor this service gave out for this list (`invalid_cursor`)",
    401: "No valid bearer token (`unauthenticated`)",
    403: "The caller may not do this (`forbidden`, `conflict_of_interest`), or a setting needs a guardian or is locked",
    404: "No such resource, or one the caller may not see (`not_found`)",
    405: "Method not allowed (`method_not_allowed`)",
    409: "Conflicts with the current state (`account_exists`, `conflict`, `request_in_progress`, `already_decided`, "
    "`appeal_exists`, `appeal_window_closed`)",
    412: "If-Match names a stale version (`precondition_failed`, `case_changed`)",
    413: "Body over 16 KiB (`payload_too_large`)",
    414: "URL too long (`uri_too_long`)",
    415: "Body is not application/json (`unsupported_media_type`)",
    422: "The body or a parameter is not valid (`validation_failed`, `invalid_value`, `below_minimum_age`, "
    "`idempotency_key_reused`)",
    428: "The write must say which revision it saw: send If-Match (`precondition_required`)",
    429: "Too many requests (`rate_limited`); see Retry-After",
    431: "Request headers too large (`request_header_fields_too_large`)",
    500: "A bug on our side (`internal_error`), logged with the request id",
    503: "Storage is busy or unavailable (`unavailable`); see Retry-After",
}


_ETAG_HEADER = {
    "description": 'The document\'s version, as "<version>"; send it back as If-Match',
    "schema": {"type": "string"},
}
_RETRY_AFTER_HEADER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
_WWW_AUTHENTICATE_HEADER = {"description": "Bearer", "schema": {"type": "string"}}
_ALLOW_HEADER = {"description": "The methods this path accepts", "schema": {"type": "string"}}
_REQUEST_ID_HEADER = {"description": "This request's id, as in the service's log line", "schema": {"type": "string"}}


def build_openapi(operations: tuple[Route, ...] = ROUTES) -> dict[str, Any]:
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
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation)
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


def _is_request(model: type[BaseModel], operations: tuple[Route, ...]) -> bool:
    return any(operation.request is model for operation in operations)


def _operation(operation: Route) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, model) in sorted(operation.responses.items()):
        schema = {"$ref": _REF.format(model=model.__name__)} if model else {"type": "object"}
        responses[str(status)] = {"description": description, "content": {"application/json": {"schema": schema}}}
        if model is not None and issubclass(model, schemas.SettingsDocument):
            responses[str(status)]["headers"] = {"ETag": _ETAG_HEADER}
    for status in operation.all_errors:
        responses[str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/problem+json": {"schema": {"$ref": _REF.format(model="ProblemDetails")}}},
        }
        if status in (429, 503):
            responses[str(status)]["headers"] = {"Retry-After": _RETRY_AFTER_HEADER}
        elif status == 401:
            responses[str(status)]["headers"] = {"WWW-Authenticate": _WWW_AUTHENTICATE_HEADER}
        elif status == 405:
            responses[str(status)]["headers"] = {"Allow": _ALLOW_HEADER}
    for response in responses.values():
        response["headers"] = {"X-Request-Id": _REQUEST_ID_HEADER, **response.get("headers", {})}
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "responses": responses,
        "security": [] if operation.public else [{"bearer": []}],
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
