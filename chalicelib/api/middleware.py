"""The one HTTP middleware: body size limit, access check, problem+json for every error, one log line per request."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Response

from chalicelib.api.access import decide_access, methods_of
from chalicelib.api.problems import PROBLEM_JSON, problem
from chalicelib.config import get_config
from chalicelib.identity import Caller, caller_from_context
from chalicelib.observability import count, logger


@dataclass
class RequestScope:
    """What the views and the log line share about the request in flight."""

    request_id: str
    route: str
    caller: Caller | None
    outcome: str = "ok"
    metrics: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def signed_in(self) -> Caller:
        """The caller of a route that needs one (the access check has already refused anonymous calls)."""
        if self.caller is None:
            raise RuntimeError("route reached without a caller")
        return self.caller


_scope: ContextVar[RequestScope | None] = ContextVar("request_scope", default=None)


def current_scope() -> RequestScope:
    scope = _scope.get()
    if scope is None:
        raise RuntimeError("no request in flight")
    return scope


def request_id_of(context: dict[str, Any]) -> str:
    """API Gateway's request id; chalice local has none, so one is made up there."""
    return str(context.get("requestId") or context.get("extendedRequestId") or uuid.uuid4())


def handle_request(event: Any, get_response: Callable[[Any], Response]) -> Response:
    started = time.perf_counter()
    context = event.context or {}
    route = str(context.get("resourcePath", event.path))
    caller = caller_from_context(context)
    scope = RequestScope(request_id=request_id_of(context), route=route, caller=caller)
    token = _scope.set(scope)
    try:
        response = _guarded(event, get_response, scope)
    finally:
        _scope.reset(token)
    response.headers["X-Request-Id"] = scope.request_id
    _record(event.method, scope, response, time.perf_counter() - started)
    return response


def _guarded(event: Any, get_response: Callable[[Any], Response], scope: RequestScope) -> Response:
    raw_body = event.raw_body or b""
    if len(raw_body) > get_config().max_body_bytes:
        return _refuse(scope, problem(413, "payload_too_large", "the body is larger than 16 KiB"))
    decision = decide_access(event.method, scope.route, scope.caller, dict(event.uri_params or {}))
    if not decision.allowed:
        return _refuse(scope, _access_refusal(decision.status, decision.code, scope.route))
    try:
        response = get_response(event)
    except Exception:  # a bug: log it with the request id, answer a plain problem, never a stack trace
        logger().exception("unhandled error", extra={"request_id": scope.request_id, "route": scope.route})
        return _refuse(scope, problem(500, "internal_error", "something went wrong on our side"))
    return _as_problem_if_framework_error(response, scope)


_REFUSAL_DETAIL = {
    401: "a valid bearer token is required",
    403: "you may not do this",
    404: "no such account",
    405: "this method is not allowed here",
}


def _access_refusal(status: int, code: str, route: str) -> Response:
    headers = {"Allow": ", ".join(methods_of(route))} if status == 405 else None
    return problem(status, code, _REFUSAL_DETAIL[status], headers=headers)


def _refuse(scope: RequestScope, response: Response) -> Response:
    scope.outcome = json.loads(response.body)["code"]
    return response


def _as_problem_if_framework_error(response: Response, scope: RequestScope) -> Response:
    """Chalice's own 4xx/5xx answers (405, 415, unhandled 500s) become problem+json too."""
    headers = {key.lower(): value for key, value in response.headers.items()}
    if response.status_code < 400 or headers.get("content-type") == PROBLEM_JSON:
        return response
    status = response.status_code
    if status == 405:
        refused = problem(
            405,
            "method_not_allowed",
            "this method is not allowed here",
            headers={"Allow": str(headers.get("allow", ""))},
        )
    elif status == 415:
        refused = problem(415, "unsupported_media_type", "send the body as application/json")
    else:
        logger().error("framework error", extra={"request_id": scope.request_id, "status": status})
        refused = problem(500, "internal_error", "something went wrong on our side")
    return _refuse(scope, refused)


def _record(method: str, scope: RequestScope, response: Response, seconds: float) -> None:
    status = response.status_code
    if status >= 400 and scope.outcome == "ok":
        scope.outcome = _code_of(response)
    logger().info(
        "request",
        extra={
            "request_id": scope.request_id,
            "method": method,
            "route": scope.route,
            "caller_role": scope.caller.role if scope.caller else "anonymous",
            "status": status,
            "outcome": scope.outcome,
            "duration_ms": round(seconds * 1000, 2),
        },
    )
    for name, dimensions in scope.metrics:
        count(name, dimensions)
    if status >= 500:
        count("Errors", {"status": str(status)})


def _code_of(response: Response) -> str:
    try:
        return str(json.loads(response.body).get("code", "error"))
    except (TypeError, ValueError, AttributeError):
        return "error"
