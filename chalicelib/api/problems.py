"""RFC 9457 problem responses, and the one mapping from domain errors to HTTP statuses."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chalice.app import Response

from chalicelib.domain import errors

PROBLEM_JSON = "application/problem+json"

PROBLEM_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal error",
    501: "Not implemented",
    503: "Service unavailable",
}

# Domain error class -> HTTP status. Looked up along the class's MRO, so subclasses inherit their parent's status.
STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.ValidationFailed: 422,
    errors.BelowMinimumAge: 422,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.ChangeRefused: 403,
    errors.AccountExists: 409,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.PreconditionRequired: 428,
    errors.Unavailable: 503,
    errors.RateLimited: 429,
    errors.BadRequest: 400,
}


def status_for(error: errors.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    items: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": f"urn:safety-settings:problem:{code}",
        "title": PROBLEM_TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    listed = [dict(item) for item in items]
    if listed:
        body["errors"] = listed
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


def problem_from_error(error: errors.DomainError) -> Response:
    status = status_for(error)
    headers = {"Retry-After": "1"} if isinstance(error, errors.Unavailable) else None
    retry_after = getattr(error, "retry_after_seconds", None)
    if retry_after is not None:
        headers = {"Retry-After": str(retry_after)}
    items = [{key: value for key, value in vars(item).items() if value is not None} for item in error.problems]
    return problem(status, error.code, error.detail, items, headers)


def problem_from_validation(exc: Any) -> tuple[Response, str]:
    """A pydantic ValidationError as 400 (not JSON) or 422 (wrong shape), with its code. Input values are never
    echoed back."""
    details = exc.errors(include_input=False, include_url=False, include_context=False)
    if any(item["type"] == "json_invalid" for item in details):
        return problem(400, "invalid_json", "the body is not valid JSON"), "invalid_json"
    items = []
    for item in details:
        field = ".".join(str(part) for part in item["loc"]) or "body"
        code = "unknown_field" if item["type"] == "extra_forbidden" else _validation_code(item["type"])
        items.append({"field": field, "code": code, "message": item["msg"]})
    return problem(
        422, "validation_failed", "the request does not match the expected shape", items
    ), "validation_failed"


def _validation_code(pydantic_type: str) -> str:
    if pydantic_type == "missing":
        return "missing"
    return "invalid_value"
