"""RFC 9112 message framing at the local server: what ends a body, what a HEAD answer holds, what is refused.

Each refusal is checked where it matters: the settings change the request carried is not applied.
"""

from __future__ import annotations

import http.client
import json

import pytest
import requests

from devstack.local_stack import LocalStack
from devstack.token import make_token
from tests.local.test_http import PROBLEM_JSON, TIMEOUT, bearer, sign_up
from tests.local.wire import exchange, first_response, host_of, request_head

CHANGE = json.dumps({"settings": {"comments": "no_one"}}).encode()


def settings_of(stack: LocalStack, account_id: str) -> dict[str, object]:
    response = requests.get(
        f"{stack.url}/v1/accounts/{account_id}/settings", headers=bearer(account_id), timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    settings: dict[str, object] = response.json()
    return settings


def change_head(stack: LocalStack, account_id: str, framing: list[tuple[str, str]]) -> bytes:
    headers = [("Authorization", f"Bearer {make_token(account_id)}"), ("Content-Type", "application/json"), *framing]
    return request_head("PATCH", stack.url, f"/v1/accounts/{account_id}/settings", headers)


def chunked(body: bytes, size_line: str | None = None) -> bytes:
    return f"{size_line or format(len(body), 'x')}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def test_a_head_request_gets_no_body_and_the_connection_stays_usable(stack: LocalStack) -> None:
    # Given a client on one keep-alive connection
    connection = http.client.HTTPConnection(*host_of(stack.url), timeout=TIMEOUT)

    # When it sends HEAD, then GET on the same connection
    connection.request("HEAD", "/v1/health")
    head = connection.getresponse()
    head_body = head.read()
    connection.request("GET", "/v1/health")
    get = connection.getresponse()

    # Then the HEAD answer carried no body, and the GET answer is read whole and intact
    assert head_body == b""
    assert (get.status, json.loads(get.read())) == (200, {"status": "ok"})
    connection.close()


def test_a_body_shorter_than_its_content_length_is_refused_and_nothing_is_applied(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-frame-1")
    before = settings_of(stack, "u-frame-1")

    # When a change is sent with a Content-Length ten bytes longer than the body, and the client stops sending
    head = change_head(stack, "u-frame-1", [("Content-Length", str(len(CHANGE) + 10))])
    answer = first_response(exchange(stack.url, head + CHANGE))

    # Then it is refused as malformed, and the settings are as they were
    assert (answer.status, answer.json()["code"]) == (400, "bad_request")
    assert answer.headers["content-type"].startswith(PROBLEM_JSON)
    assert settings_of(stack, "u-frame-1") == before


@pytest.mark.parametrize(
    ("account_id", "size_line"),
    [("u-frame-plus", "+{size}"), ("u-frame-underscore", "{first}_{rest}"), ("u-frame-0x", "0x{size}")],
)
def test_a_chunk_size_that_is_not_plain_hex_is_refused_and_nothing_is_applied(
    stack: LocalStack, account_id: str, size_line: str
) -> None:
    # Given an account
    sign_up(stack, account_id)
    before = settings_of(stack, account_id)

    # When a change is sent chunked, its chunk size written as Python's int(..., 16) would still read it
    size = format(len(CHANGE), "x")
    line = size_line.format(size=size, first=size[0], rest=size[1:])
    head = change_head(stack, account_id, [("Transfer-Encoding", "chunked")])
    answer = first_response(exchange(stack.url, head + chunked(CHANGE, line)))

    # Then it is refused as malformed, and the settings are as they were
    assert (answer.status, answer.json()["code"]) == (400, "bad_request")
    assert settings_of(stack, account_id) == before


def test_a_chunked_body_cut_short_is_refused_and_nothing_is_applied(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-frame-2")
    before = settings_of(stack, "u-frame-2")

    # When a change is sent chunked and the client stops before the last chunk
    head = change_head(stack, "u-frame-2", [("Transfer-Encoding", "chunked")])
    answer = first_response(exchange(stack.url, head + chunked(CHANGE)[: -len(b"0\r\n\r\n")]))

    # Then it is refused as malformed, and the settings are as they were
    assert (answer.status, answer.json()["code"]) == (400, "bad_request")
    assert settings_of(stack, "u-frame-2") == before


def test_two_transfer_encoding_headers_are_refused_and_nothing_is_applied(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-frame-3")
    before = settings_of(stack, "u-frame-3")

    # When a change is sent with two Transfer-Encoding headers (a proxy might honour either)
    framing = [("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "identity")]
    answer = first_response(exchange(stack.url, change_head(stack, "u-frame-3", framing) + chunked(CHANGE)))

    # Then the framing is refused as one the server does not implement, and the settings are as they were
    assert (answer.status, answer.json()["code"]) == (501, "not_implemented")
    assert answer.headers["connection"] == "close"
    assert settings_of(stack, "u-frame-3") == before


def test_content_length_and_chunked_together_are_refused_and_nothing_is_applied(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-frame-4")
    before = settings_of(stack, "u-frame-4")

    # When a change is sent both chunked and with a Content-Length (the classic request-smuggling shape)
    framing = [("Transfer-Encoding", "chunked"), ("Content-Length", str(len(CHANGE)))]
    answer = first_response(exchange(stack.url, change_head(stack, "u-frame-4", framing) + chunked(CHANGE)))

    # Then it is refused, the connection is closed, and the settings are as they were
    assert (answer.status, answer.json()["code"]) == (400, "bad_request")
    assert answer.headers["connection"] == "close"
    assert settings_of(stack, "u-frame-4") == before


def test_a_well_framed_chunked_change_is_applied(stack: LocalStack) -> None:
    # Given an account
    sign_up(stack, "u-frame-5")

    # When a change is sent chunked, correctly framed
    head = change_head(stack, "u-frame-5", [("Transfer-Encoding", "chunked")])
    answer = first_response(exchange(stack.url, head + chunked(CHANGE)))

    # Then it is applied
    assert answer.status == 200, answer.body
    assert settings_of(stack, "u-frame-5")["settings"]["comments"]["value"] == "no_one"  # type: ignore[index]
