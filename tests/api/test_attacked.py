"""Defects found when the running service was attacked, each reproduced: odd identities, If-Match look-alikes,
permanent storage errors, crashes, content types and retention."""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from tests.api.helpers import (
    BORN_16_17,
    OWNER,
    assert_problem,
    get_settings,
    header,
    patch_settings,
    scan_all_tables,
    sign_up,
)
from tests.conftest import TEST_SECRET, Api, auth, body, service_dynamodb, with_settings_store


def signed(claims: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    return {"Authorization": "Bearer " + jwt.encode({"iat": now, "exp": now + 600, **claims}, TEST_SECRET, "HS256")}


# -- 3. unusual identities ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u" * 3000},
        {"sub": "u\ud800"},
        {"sub": "u-1\x00"},
        {"sub": ""},
        {"sub": 42},
        {"sub": ["u-1"]},
        {"sub": "u-1", "cognito:groups": "moderator"},
        {"sub": "u-1", "cognito:groups": [1, 2]},
        {"sub": "u-1", "cognito:groups": [["moderator"]]},
        {"sub": "u-1", "exp": "9999999999"},
        {"sub": "u-1", "exp": True},
    ],
    ids=[
        "3000-char sub",
        "lone surrogate",
        "NUL in sub",
        "empty sub",
        "numeric sub",
        "list sub",
        "groups as a string",
        "groups of numbers",
        "nested groups",
        "exp as text",
        "exp as boolean",
    ],
)
def test_a_validly_signed_token_with_odd_claims_is_401_problem_json(api: Api, claims: dict[str, Any]) -> None:
    # Given a token signed with the right key whose claims are not of the shape Cognito issues
    headers = signed(claims)
    # When it is used to read settings, file a report and read the moderation queue
    responses = [
        api.call("GET", "/v1/accounts/u-1/settings", headers=headers),
        api.call(
            "POST",
            "/v1/reports",
            {"target": {"type": "comment", "id": "c-1"}, "reason": "spam", "good_faith": True},
            {**headers, "Idempotency-Key": "k-1"},
        ),
        api.call("GET", "/v1/moderation/queue", headers=headers),
    ]
    # Then each is 401 problem+json with WWW-Authenticate, never a 5xx, and nothing is stored
    for response in responses:
        assert_problem(response, 401, "unauthenticated")
        assert header(response, "WWW-Authenticate") == "Bearer"
    assert scan_all_tables() == []


def test_claims_from_api_gateways_cognito_authorizer_are_checked_the_same_way() -> None:
    from chalicelib.identity import caller_from_context

    def caller(claims: dict[str, Any]) -> Any:
        return caller_from_context({"authorizer": {"claims": claims}})

    assert caller({"sub": "0c5e6e1a-9c1f-4c57-a1f3-7d3a8f6d2b11", "cognito:groups": "[moderator auditor]"}).groups == {
        "moderator",
        "auditor",
    }
    assert caller({"sub": "u" * 200}) is None
    assert caller({"sub": "u-1", "cognito:groups": "[moderator]\u2028"}) is None
    assert caller({"sub": "u-1", "cognito:groups": {"a": 1}}) is None


@pytest.mark.parametrize(
    ("code", "exception"),
    [("ValidationException", None), (None, UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))],
    ids=["ValidationException", "unencodable text"],
)
def test_a_permanent_storage_error_is_a_500_never_a_retryable_503(
    api: Api, code: str | None, exception: Exception | None
) -> None:
    # Given an account, and DynamoDB (or botocore) refusing the next read as malformed
    sign_up(api)

    def refuse(**_: Any) -> Any:
        if exception is not None:
            raise exception
        error = {"Error": {"Code": code, "Message": "One or more parameter values were invalid"}}
        return SimpleNamespace(status_code=400), {**error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    events = service_dynamodb().meta.events
    events.register_first("before-call.dynamodb.GetItem", refuse)
    try:
        response = get_settings(api, OWNER)
    finally:
        events.unregister("before-call.dynamodb.GetItem", refuse)
    # Then it is a plain 500 (a bug to fix), not a 503 telling the client to retry what can never succeed
    assert_problem(response, 500, "internal_error")
    assert header(response, "Retry-After") is None


# -- 5. If-Match compares opaque tags exactly -----------------------------------------------------------------------
@pytest.mark.parametrize("if_match", ['"01"', '"1.0"', '" 1"', 'W/"1"', '"+1"', "1", '"0x1"'])
def test_an_if_match_that_only_looks_like_the_etag_is_412(api: Api, if_match: str) -> None:
    # Given an account at ETag "1"
    sign_up(api, birth_date=BORN_16_17)
    # When a change names a tag that is not exactly "1" / Then it is 412 and nothing changes
    assert_problem(patch_settings(api, {"comments": "no_one"}, if_match=if_match), 412, "precondition_failed")
    assert header(get_settings(api), "ETag") == '"1"'


@pytest.mark.parametrize("if_match", ['"1"', '"7", "1"', '"1" , "2"', "*"])
def test_an_if_match_naming_the_etag_exactly_is_applied(api: Api, if_match: str) -> None:
    sign_up(api, birth_date=BORN_16_17)
    response = patch_settings(api, {"comments": "no_one"}, if_match=if_match)
    assert response.status_code == 200, response.body
    assert header(response, "ETag") == '"2"'


# -- 7. one log line per request; a crash is one record --------------------------------------------------------------


def json_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]


def test_a_crash_is_one_log_record_with_the_request_id_and_the_traceback(
    api: Api, service_lines: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    # Given an account, and a bug in the store's read
    sign_up(api)

    class Broken:
        def __getattr__(self, name: str) -> Any:
            return getattr(api.deps.accounts.store, name)

        def get_account(self, account_id: str) -> Any:
            raise KeyError("a bug")

    api.rewire(with_settings_store(api.deps, Broken()))
    service_lines.seek(0)
    service_lines.truncate()
    caplog.clear()
    # When the holder reads the settings
    response = get_settings(api, OWNER)
    # Then the client gets a plain 500 problem and its request id
    assert_problem(response, 500, "internal_error")
    request_id = header(response, "X-Request-Id")
    # And the service wrote exactly one line for it, holding the request id and the traceback
    lines = json_lines(service_lines)
    assert len(lines) == 1, lines
    (line,) = lines
    assert line["request_id"] == request_id and line["status"] == 500 and line["level"] == "ERROR"
    assert "KeyError" in line["exception"] and "Traceback" in line["exception"]
    # And nothing else (chalice's own handler) logged the crash separately
    assert [record for record in caplog.records if record.name != "safety-settings"] == []


def test_every_request_that_reaches_the_app_writes_exactly_one_line(api: Api, service_lines: io.StringIO) -> None:
    # Given a sign-up, a read, a refused change, a 404, a 405 and an unauthenticated call
    sign_up(api)
    responses = [
        get_settings(api, OWNER),
        patch_settings(api, {"direct_messages": "everyone"}),
        get_settings(api, "u-missing", as_=("auditor-1", "auditor")),
        api.call("DELETE", f"/v1/accounts/{OWNER}/settings", headers=auth(OWNER)),
        api.call("GET", f"/v1/accounts/{OWNER}/settings", headers={"Authorization": "Bearer nope"}),
    ]
    # Then each got one line, with the request id it was answered with
    lines = json_lines(service_lines)
    assert [line["request_id"] for line in lines[-5:]] == [header(r, "X-Request-Id") for r in responses]
    assert [line["status"] for line in lines[-5:]] == [200, 403, 404, 405, 401]
    assert len(lines) == 6


# -- 8. error details ------------------------------------------------------------------------------------------------
def test_a_get_with_a_non_json_content_type_and_no_body_is_served(api: Api) -> None:
    sign_up(api)
    response = api.http.request(
        "GET", f"/v1/accounts/{OWNER}/settings", headers={**auth(OWNER), "Content-Type": "text/plain"}, body=b""
    )
    assert response.status_code == 200, response.body


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_a_body_that_is_not_json_is_415(api: Api, content_type: str) -> None:
    sign_up(api, birth_date=BORN_16_17)
    response = api.http.request(
        "PATCH",
        f"/v1/accounts/{OWNER}/settings",
        headers={**auth(OWNER), "Content-Type": content_type},
        body=b'{"settings": {"comments": "no_one"}}',
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert body(get_settings(api))["version"] == 1


def test_json_with_a_charset_is_json(api: Api) -> None:
    sign_up(api, birth_date=BORN_16_17)
    response = api.http.request(
        "PATCH",
        f"/v1/accounts/{OWNER}/settings",
        headers={**auth(OWNER), "Content-Type": "application/json; charset=utf-8"},
        body=b'{"settings": {"comments": "no_one"}}',
    )
    assert response.status_code == 200


def test_a_405_lists_the_allowed_methods_and_a_401_asks_for_a_bearer_token(api: Api) -> None:
    refused = api.call("DELETE", f"/v1/accounts/{OWNER}/settings", headers=auth(OWNER))
    assert_problem(refused, 405, "method_not_allowed")
    assert header(refused, "Allow") == "GET, PATCH"
    expired = api.call("GET", f"/v1/accounts/{OWNER}/settings", headers={"Authorization": "Bearer x.y.z"})
    assert_problem(expired, 401, "unauthenticated")
    assert header(expired, "WWW-Authenticate") == "Bearer"


# -- 9. retention ----------------------------------------------------------------------------------------------------
def test_a_reporters_rate_window_and_mute_expire_by_ttl(api: Api) -> None:
    # Given a report filed and its reporter muted for 24 hours
    report = {"target": {"type": "comment", "id": "c-ttl"}, "reason": "spam", "good_faith": True}
    assert api.call("POST", "/v1/reports", report, {**auth("u-ttl"), "Idempotency-Key": "k"}).status_code == 201
    mute = api.call(
        "POST", "/v1/moderation/reporters/u-ttl/mute", {"hours": 24, "reason": "spam"}, auth("mod-1", "moderator")
    )
    assert mute.status_code == 200
    # Then both per-reporter items carry a TTL, set after the last moment they matter
    items = {item["sk"]["S"]: item for item in scan_all_tables() if item.get("pk", {}).get("S") == "REPORTER#u-ttl"}
    now = int(api.deps.accounts.clock().timestamp())
    assert int(items["RATE"]["expires_at"]["N"]) >= now + 3600
    assert int(items["MUTE"]["expires_at"]["N"]) >= now + 24 * 3600
    # And every item that stops mattering has one (an undecided report and its list entry, its case and the case's
    # membership expire once it is decided; accounts and their history are kept)
    api.drain()
    undated = [item["sk"]["S"] for item in scan_all_tables() if "expires_at" not in item and "expiration" not in item]
    assert all(sk.startswith(("REPORT", "FILED#", "OPEN", "SEEN#", "CASE", "STATE", "EVENT#")) for sk in undated), (
        undated
    )


def test_nothing_in_a_deps_object_reads_the_environment(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the composed deps / When the whole environment is emptied / Then the service keeps working: nothing
    # below the composition reads configuration or the environment
    sign_up(api)
    import os

    for name in list(os.environ):
        if not name.startswith(("AWS_ACCESS", "AWS_SECRET", "AWS_SESSION", "PYTEST", "POWERTOOLS")):
            monkeypatch.delenv(name, raising=False)
    assert get_settings(api, OWNER).status_code == 200
    assert replace(api.deps.accounts).policy is api.deps.policy
