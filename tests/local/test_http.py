"""Over real HTTP against the local stack `make run` serves: the gateway's answers and a user's path through the API."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import requests

from devstack.gateway import MAX_BODY_BYTES
from devstack.local_stack import LocalStack
from devstack.token import make_token

TIMEOUT = 10  # seconds; a hung request fails the test instead of hanging the run
PROBLEM_JSON = "application/problem+json"
SIGNUP_SERVICE = ("signup-service", ["signup-service"])


def bearer(sub: str, groups: list[str] | None = None, expired: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(sub, groups or [], expired=expired)}"}


def sign_up(stack: LocalStack, account_id: str, birth_date: str = "2012-03-04") -> requests.Response:
    return requests.post(
        f"{stack.url}/v1/accounts",
        json={"account_id": account_id, "birth_date": birth_date, "country": "GB"},
        headers=bearer(*SIGNUP_SERVICE),
        timeout=TIMEOUT,
    )


def patch_settings(
    stack: LocalStack, account_id: str, settings: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> requests.Response:
    return requests.patch(
        f"{stack.url}/v1/accounts/{account_id}/settings",
        json={"settings": dict(settings)},
        headers={**bearer(account_id), **(headers or {})},
        timeout=TIMEOUT,
    )


def history(stack: LocalStack, account_id: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{stack.url}/v1/accounts/{account_id}/settings/history?limit=100", headers=bearer(account_id), timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert {"type", "title", "detail"} <= problem.keys()
    return problem


def test_health_answers_ok(stack: LocalStack) -> None:
    # When anyone asks for health
    response = requests.get(f"{stack.url}/v1/health", timeout=TIMEOUT)

    # Then the service says it is up
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_signup_service_signs_up_an_account(stack: LocalStack) -> None:
    # When the sign-up service signs up a 14-year-old
    response = sign_up(stack, "u-http-1")

    # Then the account is created
    assert response.status_code == 201, response.text
    assert response.json()["account_id"] == "u-http-1"


def test_the_owner_reads_their_settings_with_an_etag(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-http-2")

    # When its owner reads the settings
    response = requests.get(f"{stack.url}/v1/accounts/u-http-2/settings", headers=bearer("u-http-2"), timeout=TIMEOUT)

    # Then they get them, with the version as ETag
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'


def test_a_minor_cannot_open_direct_messages_to_everyone(stack: LocalStack) -> None:
    # Given a 14-year-old's account
    sign_up(stack, "u-http-3")

    # When they try to open direct messages to everyone
    response = patch_settings(stack, "u-http-3", {"direct_messages": "everyone"})

    # Then it is refused because the value is locked for their age, and nothing changes
    assert_problem(response, 403, "locked")
    settings = requests.get(f"{stack.url}/v1/accounts/u-http-3/settings", headers=bearer("u-http-3"), timeout=TIMEOUT)
    assert settings.json()["settings"]["direct_messages"]["value"] == "no_one"


def test_an_allowed_change_is_applied_and_recorded_in_history(stack: LocalStack) -> None:
    # Given a 14-year-old's account
    sign_up(stack, "u-http-4")

    # When they turn comments off
    response = patch_settings(stack, "u-http-4", {"comments": "no_one"})

    # Then the change is applied, and the history holds the defaults and the change
    assert response.status_code == 200, response.text
    assert response.json()["settings"]["comments"]["value"] == "no_one"
    assert len(history(stack, "u-http-4")) == 2


def test_an_unknown_route_is_404_problem_json_and_never_echoes_the_token(stack: LocalStack) -> None:
    # Given a caller with a token
    token = make_token("u-http-5")

    # When they call a route that does not exist
    response = requests.get(f"{stack.url}/v1/nowhere", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)

    # Then it is a plain not-found, and the token appears nowhere in the answer
    assert_problem(response, 404, "not_found")
    assert token not in response.text
    assert token.split(".")[2] not in response.text
    assert all(token not in value for value in response.headers.values())


def test_a_protected_route_without_a_token_is_401_problem_json(stack: LocalStack) -> None:
    # When a settings screen is asked for with no Authorization header
    response = requests.get(f"{stack.url}/v1/accounts/u-http-6/settings", timeout=TIMEOUT)

    # Then the caller is told to authenticate
    assert_problem(response, 401, "unauthenticated")


def test_an_expired_token_is_401_problem_json(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-http-7")

    # When its owner calls with a token that has expired
    response = requests.get(
        f"{stack.url}/v1/accounts/u-http-7/settings", headers=bearer("u-http-7", expired=True), timeout=TIMEOUT
    )

    # Then the caller is told to authenticate again
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM_JSON)


def test_a_body_over_16_kib_is_refused_with_413(stack: LocalStack) -> None:
    # When a body one byte over the limit is sent with its Content-Length
    body = b"{" + b" " * (MAX_BODY_BYTES - 1) + b"}"
    response = requests.post(
        f"{stack.url}/v1/accounts",
        data=body,
        headers={**bearer(*SIGNUP_SERVICE), "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )

    # Then it is refused as too large
    assert_problem(response, 413, "payload_too_large")


def test_a_chunked_body_over_16_kib_is_refused_with_413(stack: LocalStack) -> None:
    # When a body over the limit is streamed in chunks, with no Content-Length
    chunks = (b" " * 4096 for _ in range(MAX_BODY_BYTES // 4096 + 1))
    response = requests.post(
        f"{stack.url}/v1/accounts",
        data=chunks,
        headers={**bearer(*SIGNUP_SERVICE), "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )

    # Then it is refused as too large
    assert_problem(response, 413, "payload_too_large")


def test_an_oversized_body_announced_with_expect_continue_is_refused_before_it_is_sent(stack: LocalStack) -> None:
    # Given a client that announces a 1 MiB body and waits for the go-ahead
    address = urlsplit(stack.url)
    request = (
        "POST /v1/accounts HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {1024 * 1024}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as connection:
        # When it sends only the headers
        connection.sendall(request.encode())
        answer = _read_until_closed(connection)

    # Then the answer is 413 problem+json, without a "100 Continue" first
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body)["code"] == "payload_too_large"


def _read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


# Values a 13-15 account may choose itself, in a cycle: each request asks for one of them.
_ALLOWED_CHOICES: list[tuple[str, Any]] = [
    ("comments", "no_one"),
    ("mentions", "no_one"),
    ("daily_screen_time_minutes", 40),
    ("comments", "friends"),
    ("mentions", "friends"),
    ("daily_screen_time_minutes", 60),
]


def test_concurrent_changes_to_one_account_lose_no_write(stack: LocalStack) -> None:
    # Given a 14-year-old's account
    sign_up(stack, "u-http-8")

    # When 20 clients change its settings at once, each to an allowed value, without If-Match
    choices = [dict([_ALLOWED_CHOICES[n % len(_ALLOWED_CHOICES)]]) for n in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(lambda settings: patch_settings(stack, "u-http-8", settings), choices))

    # Then each succeeded: the local gateway hands the app one request at a time, so none lost a race (and without
    # If-Match a lost race is retried, then 409, never 412)...
    assert [response.status_code for response in responses] == [200] * 20, [r.text for r in responses]
    # ...and every success that changed something left exactly one event (a no-op returns an existing version)
    changed_versions = {response.json()["version"] for response in responses if response.status_code == 200} - {1}
    final = requests.get(f"{stack.url}/v1/accounts/u-http-8/settings", headers=bearer("u-http-8"), timeout=TIMEOUT)
    assert final.json()["version"] == 1 + len(changed_versions)
    assert len(history(stack, "u-http-8")) == 1 + len(changed_versions)


def test_methods_no_route_has_and_oversized_urls_are_problem_json(stack: LocalStack) -> None:
    # Given the local server / When it gets an unknown method, OPTIONS, and a 70 kB URL
    unknown = requests.request("FOO", f"{stack.url}/v1/health", timeout=TIMEOUT)
    options = requests.options(f"{stack.url}/v1/health", timeout=TIMEOUT)
    huge_url = requests.get(f"{stack.url}/v1/health?pad={'x' * 70_000}", timeout=TIMEOUT)
    # Then each is answered as problem+json, never as http.server's HTML
    assert_problem(unknown, 405, "method_not_allowed")
    assert_problem(options, 405, "method_not_allowed")
    assert_problem(huge_url, 414, "uri_too_long")
