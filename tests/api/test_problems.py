"""Client mistakes the service answers before any rule runs: bad JSON, oversized bodies, unsupported methods and media
types. Every one is an RFC 9457 problem with a stable code, never a 500 or a stack trace."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.helpers import (
    BORN_13_15,
    OWNER,
    assert_problem,
    get_settings,
    header,
    scan_all_tables,
    sign_up,
)
from tests.conftest import SIGNUP, Api, auth, body

MAX_BODY = 16 * 1024


@pytest.mark.parametrize(
    "raw",
    [b"{", b"", b"not json", b'{"account_id": "u-1",}', b"\xff\xfe", b"{'account_id': 'u-1'}", b"[" * 5000],
    ids=["truncated", "empty", "text", "trailing comma", "not utf-8", "single quotes", "too deep"],
)
def test_a_sign_up_body_that_is_not_json_is_400_invalid_json(api: Api, raw: bytes) -> None:
    # Given a body that is not JSON / When posted as a sign-up / Then it is 400 invalid_json, and nothing is stored
    assert_problem(api.call("POST", "/v1/accounts", raw=raw, headers=auth(*SIGNUP)), 400, "invalid_json")
    assert scan_all_tables() == []


@pytest.mark.parametrize("raw", [b'{"settings": {"comments": "no_one"', b"settings=comments", b""])
def test_a_settings_change_that_is_not_json_is_400_invalid_json(api: Api, raw: bytes) -> None:
    # Given an account / When a change is sent that is not JSON / Then it is 400 invalid_json
    sign_up(api)
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", raw=raw, headers=auth(OWNER))
    assert_problem(response, 400, "invalid_json")


@pytest.mark.parametrize("raw", [b'{"account_id": "u-1", "birth_date": NaN, "country": "GB"}', b"NaN"])
def test_nan_in_a_sign_up_is_a_4xx_problem(api: Api, raw: bytes) -> None:
    # Given a sign-up body with NaN (not JSON, though some parsers take it)
    # When posted / Then it is a client error as problem+json, and nothing is stored
    response = api.call("POST", "/v1/accounts", raw=raw, headers=auth(*SIGNUP))
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert scan_all_tables() == []


def test_a_sign_up_body_over_16_kib_is_413_before_any_storage_call(api: Api, dynamodb_calls: list[str]) -> None:
    # Given a sign-up body just over 16 KiB (valid JSON otherwise)
    payload = {"account_id": "u-big", "birth_date": BORN_13_15, "country": "GB", "padding": ""}
    payload["padding"] = "x" * (MAX_BODY + 1 - len(json.dumps(payload).encode()))
    raw = json.dumps(payload).encode()
    assert len(raw) == MAX_BODY + 1
    # When posted
    response = api.call("POST", "/v1/accounts", raw=raw, headers=auth(*SIGNUP))
    # Then it is 413 payload_too_large, DynamoDB was never called, and nothing is stored
    assert_problem(response, 413, "payload_too_large")
    assert dynamodb_calls == []
    assert scan_all_tables() == []


def test_a_body_of_exactly_16_kib_is_not_refused_for_size(api: Api) -> None:
    # Given a sign-up body of exactly 16 KiB (its padding field makes it a 422, not a 413)
    payload = {"account_id": "u-big", "birth_date": BORN_13_15, "country": "GB", "padding": ""}
    payload["padding"] = "x" * (MAX_BODY - len(json.dumps(payload).encode()))
    raw = json.dumps(payload).encode()
    assert len(raw) == MAX_BODY
    # When posted / Then the size is accepted and the body is judged on its shape
    assert_problem(api.call("POST", "/v1/accounts", raw=raw, headers=auth(*SIGNUP)), 422, "validation_failed")


def test_a_settings_change_over_16_kib_is_413_and_changes_nothing(api: Api, dynamodb_calls: list[str]) -> None:
    # Given an account
    sign_up(api)
    items_before = scan_all_tables()
    dynamodb_calls.clear()
    # When a change of more than 16 KiB is sent
    raw = json.dumps({"settings": {"comments": "no_one", "x": "y" * MAX_BODY}}).encode()
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", raw=raw, headers=auth(OWNER))
    # Then it is 413 before any storage call, and nothing changed
    assert_problem(response, 413, "payload_too_large")
    assert dynamodb_calls == []
    assert scan_all_tables() == items_before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", f"/v1/accounts/{OWNER}/settings"),
        ("PUT", f"/v1/accounts/{OWNER}/settings"),
        ("POST", f"/v1/accounts/{OWNER}/settings/history"),
        ("GET", "/v1/accounts"),
    ],
)
def test_an_unsupported_method_on_a_known_route_is_405_problem_json(api: Api, method: str, path: str) -> None:
    # Given an account / When its holder calls a known route with a method it does not serve
    sign_up(api)
    items_before = scan_all_tables()
    response = api.call(method, path, {"settings": {"comments": "no_one"}}, auth(OWNER))
    # Then it is 405 as problem+json with a code, naming the allowed methods, and nothing changed
    assert_problem(response, 405)
    assert header(response, "Allow")
    assert scan_all_tables() == items_before


def test_a_text_plain_settings_change_is_415_problem_json(api: Api) -> None:
    # Given an account / When a change is sent as text/plain
    sign_up(api)
    headers = {**auth(OWNER), "Content-Type": "text/plain"}
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", {"settings": {"comments": "no_one"}}, headers)
    # Then it is 415 as problem+json with a code, and nothing changed
    assert_problem(response, 415)
    assert body(get_settings(api))["version"] == 1


def test_a_text_plain_sign_up_is_415_problem_json(api: Api) -> None:
    # Given a sign-up sent as text/plain / When posted / Then it is 415 as problem+json, and nothing is stored
    headers = {**auth(*SIGNUP), "Content-Type": "text/plain"}
    payload = {"account_id": OWNER, "birth_date": BORN_13_15, "country": "GB"}
    assert_problem(api.call("POST", "/v1/accounts", payload, headers), 415)
    assert scan_all_tables() == []


def test_a_json_content_type_with_a_charset_is_accepted(api: Api) -> None:
    # Given a sign-up sent as application/json; charset=utf-8 / When posted / Then it is created
    headers = {**auth(*SIGNUP), "Content-Type": "application/json; charset=utf-8"}
    payload = {"account_id": OWNER, "birth_date": BORN_13_15, "country": "GB"}
    assert api.call("POST", "/v1/accounts", payload, headers).status_code == 201


def test_problems_never_echo_what_the_client_sent(api: Api) -> None:
    # Given a sign-up whose fields are all wrong, with distinctive values
    payload: dict[str, Any] = {"account_id": "ZZ top secret", "birth_date": "1999-99-99", "country": "QQ", "note": "hi"}
    # When posted
    problem = assert_problem(api.call("POST", "/v1/accounts", payload, auth(*SIGNUP)), 422, "validation_failed")
    # Then the problem names the fields but never repeats their values
    text = json.dumps(problem)
    assert "ZZ top secret" not in text and "1999-99-99" not in text and "QQ" not in text and '"hi"' not in text
