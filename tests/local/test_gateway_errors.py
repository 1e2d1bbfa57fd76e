"""The answers the local gateway makes itself, before the app: titled, with the headers their status calls for."""

from __future__ import annotations

import pytest
import requests

from devstack.gateway import MAX_BODY_BYTES
from devstack.local_stack import LocalStack
from tests.local.test_http import TIMEOUT, assert_problem
from tests.local.wire import exchange, first_response, request_head

JSON = ("Content-Type", "application/json")
Request = bytes | tuple[str, str, list[tuple[str, str]]]  # raw, or (method, path, headers)

# (status, code, title, request); the request is sent whole on a fresh connection.
REFUSALS: dict[str, tuple[int, str, str, Request]] = {
    "malformed request line": (400, "bad_request", "Bad request", b"NOT HTTP AT ALL\r\n\r\n"),
    "no token": (401, "unauthenticated", "Unauthenticated", ("GET", "/v1/accounts/u-1/settings", [])),
    "unknown route": (404, "not_found", "Not found", ("GET", "/v1/nowhere", [])),
    "OPTIONS": (405, "method_not_allowed", "Method not allowed", ("OPTIONS", "/v1/health", [])),
    "body too large": (
        413,
        "payload_too_large",
        "Payload too large",
        ("POST", "/v1/accounts", [JSON, ("Content-Length", str(MAX_BODY_BYTES + 1))]),
    ),
    "URL too long": (414, "uri_too_long", "URI too long", ("GET", f"/v1/health?pad={'x' * 70_000}", [])),
    "headers too large": (
        431,
        "request_header_fields_too_large",
        "Request header fields too large",
        ("GET", "/v1/health", [("X-Pad", "x" * 70_000)]),
    ),
    "unsupported transfer coding": (
        501,
        "not_implemented",
        "Not implemented",
        ("POST", "/v1/accounts", [JSON, ("Transfer-Encoding", "gzip, chunked")]),
    ),
}


def raw_request(stack: LocalStack, request: Request) -> bytes:
    if isinstance(request, bytes):
        return request
    method, path, headers = request
    return request_head(method, stack.url, path, headers)


@pytest.mark.parametrize("case", list(REFUSALS))
def test_every_refusal_the_gateway_makes_is_titled_for_its_status(stack: LocalStack, case: str) -> None:
    # Given a request the gateway refuses before the app sees it
    status, code, title, request = REFUSALS[case]

    # When it is sent
    answer = first_response(exchange(stack.url, raw_request(stack, request)))

    # Then the problem is titled for its status, never a bare "Error"
    problem = answer.json()
    assert (answer.status, problem["status"], problem["code"]) == (status, status, code)
    assert problem["title"] == title
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["OPTIONS", "FOO", "DELETE", "PUT"])
def test_a_method_the_route_lacks_is_405_listing_the_routes_methods_in_allow(stack: LocalStack, method: str) -> None:
    # When a settings route is called with a method it does not have
    response = requests.request(method, f"{stack.url}/v1/accounts/u-gw-1/settings", timeout=TIMEOUT)

    # Then it is 405, and Allow lists what the route does accept
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, PATCH"


def test_head_on_a_get_only_route_is_405_with_allow_and_no_body(stack: LocalStack) -> None:
    # When the health route, which has only GET, is asked with HEAD
    response = requests.head(f"{stack.url}/v1/health", timeout=TIMEOUT)

    # Then the answer is a 405 naming GET, with no body
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert response.content == b""


def test_a_missing_token_is_401_with_a_bearer_challenge(stack: LocalStack) -> None:
    # When a route that needs a caller is called without a token
    response = requests.get(f"{stack.url}/v1/accounts/u-gw-2/settings", timeout=TIMEOUT)

    # Then the caller is told to authenticate, and how
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
