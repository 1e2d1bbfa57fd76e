"""API Gateway's own answers (a missing or bad token, an unknown route, a body too large, throttling, a failed or slow
integration) as `application/problem+json`, in the shape the app answers with (chalicelib/api/problems.py).

API Gateway answers an unknown route with MISSING_AUTHENTICATION_TOKEN (403 by default, echoing nothing useful): it
is made a 404 `not_found`, the answer the app gives for what a caller may not see. No template echoes a header, a
path or a token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.api.problems import PROBLEM_JSON, PROBLEM_TITLES


@dataclass(frozen=True)
class GatewayProblem:
    response_type: str  # API Gateway's gateway response type
    status: int | None  # None: keep the gateway's own status (the DEFAULT_* types cover many)
    code: str
    detail: str
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:safety-settings:problem:{self.code}",
            "title": PROBLEM_TITLES.get(self.status, "Error") if self.status else "Error",
        }
        if self.status is not None:  # RFC 9457: advisory, so left out where the template cannot know it
            body["status"] = self.status
        return {**body, "detail": self.detail, "code": self.code}


_NOT_SIGNED_IN = "sign in: the request needs a valid, unexpired bearer token"
GATEWAY_PROBLEMS: tuple[GatewayProblem, ...] = (
    GatewayProblem("UNAUTHORIZED", 401, "unauthenticated", _NOT_SIGNED_IN),
    GatewayProblem("EXPIRED_TOKEN", 401, "unauthenticated", _NOT_SIGNED_IN),
    GatewayProblem("INVALID_SIGNATURE", 401, "unauthenticated", _NOT_SIGNED_IN),
    GatewayProblem("ACCESS_DENIED", 403, "forbidden", "the caller may not do this"),
    GatewayProblem("AUTHORIZER_FAILURE", 503, "unavailable", "sign-in could not be checked; try again shortly", 1),
    GatewayProblem("AUTHORIZER_CONFIGURATION_ERROR", 500, "internal_error", "something went wrong on our side"),
    GatewayProblem("MISSING_AUTHENTICATION_TOKEN", 404, "not_found", "there is nothing here"),
    GatewayProblem("RESOURCE_NOT_FOUND", 404, "not_found", "there is nothing here"),
    GatewayProblem("REQUEST_TOO_LARGE", 413, "payload_too_large", "the request is larger than the service accepts"),
    GatewayProblem("THROTTLED", 429, "rate_limited", "too many requests; slow down and try again", 1),
    GatewayProblem("QUOTA_EXCEEDED", 429, "rate_limited", "too many requests; slow down and try again", 60),
    GatewayProblem("BAD_REQUEST_BODY", 400, "bad_request", "the request is not well-formed"),
    GatewayProblem("BAD_REQUEST_PARAMETERS", 400, "bad_request", "the request is not well-formed"),
    GatewayProblem("UNSUPPORTED_MEDIA_TYPE", 415, "unsupported_media_type", "send application/json"),
    GatewayProblem("INTEGRATION_FAILURE", 502, "internal_error", "something went wrong on our side"),
    GatewayProblem("INTEGRATION_TIMEOUT", 504, "unavailable", "the service took too long; try again shortly", 1),
    GatewayProblem("API_CONFIGURATION_ERROR", 500, "internal_error", "something went wrong on our side"),
    GatewayProblem("DEFAULT_4XX", None, "request_refused", "the request was refused"),
    GatewayProblem("DEFAULT_5XX", None, "internal_error", "something went wrong on our side"),
)


def gateway_responses() -> dict[str, Any]:
    """SAM's `GatewayResponses` for the REST API."""
    responses: dict[str, Any] = {}
    for problem in GATEWAY_PROBLEMS:
        headers = {"Content-Type": f"'{PROBLEM_JSON}'", "Cache-Control": "'no-store'"}
        if problem.retry_after is not None:
            headers["Retry-After"] = f"'{problem.retry_after}'"
        responses[problem.response_type] = {
            **({"StatusCode": str(problem.status)} if problem.status is not None else {}),
            "ResponseParameters": {"Headers": headers},
            # API Gateway picks the template by the request's Accept; every one of these answers the same.
            "ResponseTemplates": {
                "application/json": json.dumps(problem.body()),
                PROBLEM_JSON: json.dumps(problem.body()),
            },
        }
    return responses
