"""The one HTTP middleware: body size limit, access check, problem+json for every error, one log line per request.

Every request that reaches the app gets exactly one JSON log line, with its request id; a crash is that same line at
ERROR with the traceback (the route wrapper in `chalicelib.api.application` catches it, so Chalice never logs one
of its own).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Response

from chalicelib.api.access import AccessTable
from chalicelib.api.problems import PROBLEM_JSON, problem
from chalicelib.config import MAX_BODY_BYTES
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
    crash: BaseException | None = None
    # Let through only as a possible guardian of the account in the path: the view must confirm the link (and
    # answer a stranger the missing-account 404) before it reads or shows anything (chalicelib.api.accounts).
    as_guardian: bool = False

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
    """API Gateway's request id (the local gateway sets one too); made up only when there is none."""
    return str(context.get("requestId") or context.get("extendedRequestId") or uuid.uuid4())


def problem_json(status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return problem(status, code, detail, headers=headers)


_REFUSAL_DETAIL = {
    401: "a valid bearer token is required",
    403: "you may not do this",
    404: "no such account",
    405: "this method is not allowed here",
}


class RequestMiddleware:
    """Chalice "http" middleware over one access table."""

    def __init__(self, access: AccessTable) -> None:
        self._access = access

    def __call__(self, event: Any, get_response: Callable[[Any], Response]) -> Response:
        started = time.perf_counter()
        context = event.context or {}
        route = str(context.get("resourcePath", event.path))
        caller = caller_from_context(context)
        scope = RequestScope(request_id=request_id_of(context), route=route, caller=caller)
        token = _scope.set(scope)
        try:
            response = self._guarded(event, get_response, scope)
        finally:
            _scope.reset(token)
        response.headers["X-Request-Id"] = scope.request_id
        _record(event.method, scope, response, time.perf_counter() - started)
        return response

    def _guarded(self, event: Any, get_response: Callable[[Any], Response], scope: RequestScope) -> Response:
        raw_body = event.raw_body or b""
        if len(raw_body) > MAX_BODY_BYTES:
            return _refuse(scope, problem_json(413, "payload_too_large", "the body is larger than 16 KiB"))
        decision = self._access.decide(event.method, scope.route, scope.caller, dict(event.uri_params or {}))
        if not decision.allowed:
            headers = {"Allow": ", ".join(self._access.methods_of(scope.route))} if decision.status == 405 else None
            refusal = problem_json(decision.status, decision.code, _REFUSAL_DETAIL[decision.status], headers)
            return _refuse(scope, refusal)
        scope.as_guardian = decision.as_guardian
        try:
            response = get_response(event)
        except Exception as error:  # a bug below the route wrapper: one log line with the traceback, a plain 500
            scope.crash = error
            return _refuse(scope, problem(500, "internal_error", "something went wrong on our side"))
        return _as_problem_if_framework_error(response, scope)


def _refuse(scope: RequestScope, response: Response) -> Response:
    scope.outcome = json.loads(response.body)["code"]
    return response


def _as_problem_if_framework_error(response: Response, scope: RequestScope) -> Response:
    """Chalice's own 4xx/5xx answers (if any slip past the access table and the route wrapper) as problem+json."""
    headers = {key.lower(): value for key, value in response.headers.items()}
    if response.status_code < 400 or headers.get("content-type") == PROBLEM_JSON:
        return response
    status = response.status_code
    if status == 405:
        refused = problem_json(
            405, "method_not_allowed", "this method is not allowed here", {"Allow": str(headers.get("allow", ""))}
        )
    elif status == 415:
        refused = problem_json(415, "unsupported_media_type", "send the body as application/json")
    else:
        refused = problem(500, "internal_error", "something went wrong on our side")
    return _refuse(scope, refused)


def _record(method: str, scope: RequestScope, response: Response, seconds: float) -> None:
    status = response.status_code
    if status >= 400 and scope.outcome == "ok":
        scope.outcome = _code_of(response)
    fields = {
        "request_id": scope.request_id,
        "method": method,
        "route": scope.route,
        "caller_role": scope.caller.role if scope.caller else "anonymous",
        "status": status,
        "outcome": scope.outcome,
        "duration_ms": round(seconds * 1000, 2),
    }
    if scope.crash is not None:
        crash = scope.crash
        logger().error("request", extra=fields, exc_info=(type(crash), crash, crash.__traceback__))
    else:
        logger().info("request", extra=fields)
    for name, dimensions in scope.metrics:
        count(name, dimensions)
    if status >= 500:
        count("Errors", {"status": str(status)})


def _code_of(response: Response) -> str:
    try:
        return str(json.loads(response.body).get("code", "error"))
    except (TypeError, ValueError, AttributeError):
        return "error"
