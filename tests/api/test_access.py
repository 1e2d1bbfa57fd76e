"""Who may call what: tokens are checked, every route x caller kind is decided by the access table, and a caller who
may not see an account cannot tell it exists."""

from __future__ import annotations

import time
import warnings
from typing import Any

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from tests.api.helpers import BORN_13_15, OWNER, STRANGER, assert_problem, get_settings, scan_all_tables, sign_up
from tests.conftest import AUDITOR, SIGNUP, TEST_SECRET, Api, auth, body, token

CALLERS: dict[str, dict[str, str]] = {
    "owner": auth(OWNER),
    "other user": auth(STRANGER),
    "auditor": auth(*AUDITOR),
    "signup-service": auth(*SIGNUP),
    "invalid token": {"Authorization": "Bearer not-a-token"},
    "expired token": {"Authorization": f"Bearer {token(OWNER, expired=True)}"},
}
NEW_ACCOUNT = {"account_id": "u-3", "birth_date": BORN_13_15, "country": "GB"}

# route: (method, path, body, the caller kinds allowed, the status everyone else who is signed in gets)
ROUTES: dict[str, tuple[str, str, Any, set[str], int]] = {
    "sign up": ("POST", "/v1/accounts", NEW_ACCOUNT, {"signup-service"}, 403),
    "read settings": ("GET", f"/v1/accounts/{OWNER}/settings", None, {"owner", "auditor"}, 404),
    "change settings": (
        "PATCH",
        f"/v1/accounts/{OWNER}/settings",
        {"settings": {"comments": "no_one"}},
        {"owner"},
        404,
    ),
    "read history": ("GET", f"/v1/accounts/{OWNER}/settings/history", None, {"owner", "auditor"}, 404),
}
PUBLIC_ROUTES = ["/v1/health", "/v1/policy", "/v1/openapi.json"]
UNAUTHENTICATED = {"invalid token", "expired token"}


def raw_token(claims: dict[str, Any], key: str = TEST_SECRET, algorithm: str = "HS256") -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # the HS512 token is meant to be refused anyway
        return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm=algorithm)}"}


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": OWNER, "iat": now, "exp": now + 600, **overrides}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES)
def test_every_route_answers_each_caller_kind_as_the_access_table_says(api: Api, route: str, caller: str) -> None:
    # Given a signed-up 14-year-old u-1
    sign_up(api)
    items_before = scan_all_tables()
    method, path, payload, allowed, refused_status = ROUTES[route]
    # When a caller of this kind calls the route
    response = api.call(method, path, payload, CALLERS[caller])
    # Then only the allowed kinds succeed; everyone else gets a problem and nothing is written
    if caller in allowed:
        assert 200 <= response.status_code < 300, (route, caller, response.body)
        return
    expected = 401 if caller in UNAUTHENTICATED else refused_status
    assert_problem(response, expected, {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected])
    assert scan_all_tables() == items_before


@pytest.mark.parametrize("route", ROUTES)
def test_a_request_without_a_token_is_refused_with_401_and_writes_nothing(api: Api, route: str) -> None:
    # Given a signed-up account
    sign_up(api)
    items_before = scan_all_tables()
    method, path, payload, *_ = ROUTES[route]
    # When a route that needs a token is called without an Authorization header
    response = api.call(method, path, payload)
    # Then it is 401 (from the gateway layer in chalice's test client), and nothing is written
    assert response.status_code == 401
    assert scan_all_tables() == items_before


@pytest.mark.parametrize("caller", [*CALLERS, "no token"])
@pytest.mark.parametrize("path", PUBLIC_ROUTES)
def test_public_routes_answer_everyone(api: Api, path: str, caller: str) -> None:
    # Given any caller, even one with a bad token or none / When a public route is called / Then it is 200
    assert api.call("GET", path, headers=CALLERS.get(caller, {})).status_code == 200


# -- tokens ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        raw_token(valid_claims(), key="some-other-secret-that-is-long-enough"),
        raw_token(valid_claims(exp=int(time.time()) - 60)),
        {"Authorization": "Bearer " + jwt.encode(valid_claims(), None, algorithm="none")},
        raw_token(valid_claims(), algorithm="HS512"),
        raw_token({key: value for key, value in valid_claims().items() if key != "exp"}),
        raw_token({key: value for key, value in valid_claims().items() if key != "sub"}),
        raw_token(valid_claims(sub="")),
        raw_token(valid_claims(sub=123)),
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dS0xOnBhc3N3b3Jk"},
        {"Authorization": token(OWNER)},
    ],
    ids=[
        "bad signature",
        "expired",
        "alg none",
        "other algorithm",
        "no expiry",
        "no sub",
        "empty sub",
        "numeric sub",
        "garbage",
        "empty bearer",
        "basic scheme",
        "no scheme",
    ],
)
def test_a_bad_token_is_401_unauthenticated(api: Api, headers: dict[str, str]) -> None:
    # Given the holder's account
    sign_up(api)
    # When its settings are read with a token that is not a valid, signed, unexpired HS256 token
    response = api.call("GET", f"/v1/accounts/{OWNER}/settings", headers=headers)
    # Then it is 401 unauthenticated as problem+json, with nothing about the account
    problem = assert_problem(response, 401, "unauthenticated")
    assert OWNER not in str(problem)


def test_a_bad_token_cannot_sign_up(api: Api) -> None:
    # Given a token claiming the signup-service group but signed with another key
    forged = raw_token(valid_claims(sub="signup-service", **{"cognito:groups": ["signup-service"]}), key="x" * 40)
    # When it tries to create an account / Then 401, and nothing is stored
    assert_problem(api.call("POST", "/v1/accounts", NEW_ACCOUNT, forged), 401, "unauthenticated")
    assert scan_all_tables() == []


def test_a_groups_claim_outside_cognito_groups_grants_nothing(api: Api) -> None:
    # Given a user's valid token with a self-made `groups` claim naming auditor
    sign_up(api)
    headers = raw_token(valid_claims(sub=STRANGER, groups=["auditor"]))
    # When it reads someone else's settings / Then it is the 404 any other user gets
    assert_problem(api.call("GET", f"/v1/accounts/{OWNER}/settings", headers=headers), 404, "not_found")


def test_an_unknown_group_grants_nothing(api: Api) -> None:
    # Given a user's token in a group the service does not know / When reading another account / Then 404
    sign_up(api)
    response = api.call("GET", f"/v1/accounts/{OWNER}/settings", headers=auth(STRANGER, "admin"))
    assert_problem(response, 404, "not_found")


def test_a_user_cannot_sign_themselves_up(api: Api) -> None:
    # Given a user token whose sub is the account being created
    # When it posts a sign-up for itself / Then it is 403 forbidden, and nothing is stored
    response = api.call("POST", "/v1/accounts", {**NEW_ACCOUNT, "account_id": STRANGER}, auth(STRANGER))
    assert_problem(response, 403, "forbidden")
    assert scan_all_tables() == []


# -- accounts cannot be discovered -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("GET", "/settings", None),
        ("PATCH", "/settings", {"settings": {"comments": "no_one"}}),
        ("GET", "/settings/history", None),
    ],
)
@pytest.mark.parametrize("caller", ["other user", "signup-service"])
def test_a_caller_who_may_not_see_an_account_cannot_tell_it_from_a_missing_one(
    api: Api, method: str, suffix: str, payload: Any, caller: str
) -> None:
    # Given a 14-year-old's account u-1, and no account u-404
    sign_up(api)
    # When a caller who may not see u-1 calls a route on it, and on u-404
    refused = api.call(method, f"/v1/accounts/{OWNER}{suffix}", payload, CALLERS[caller])
    missing = api.call(method, f"/v1/accounts/u-404{suffix}", payload, CALLERS[caller])
    # Then both answers are the same 404
    assert_problem(refused, 404, "not_found")
    assert body(refused) == body(missing)


def test_an_other_users_404_is_the_same_as_an_auditors_404_for_a_missing_account(api: Api) -> None:
    # Given a 14-year-old's account u-1
    sign_up(api)
    # When another user reads it, and an auditor reads an account that does not exist
    refused = get_settings(api, OWNER, as_=(STRANGER,))
    missing = get_settings(api, "u-404", as_=AUDITOR)
    # Then the two answers cannot be told apart
    assert (refused.status_code, body(refused)) == (missing.status_code, body(missing))


def test_an_auditor_cannot_change_settings(api: Api) -> None:
    # Given a 14-year-old's account
    sign_up(api)
    # When an auditor tries to change them
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", {"settings": {"comments": "no_one"}}, auth(*AUDITOR))
    # Then it is the 404 anyone gets who may not change the account (the access table's answer), and the settings
    # are unchanged
    assert_problem(response, 404, "not_found")
    assert body(get_settings(api))["version"] == 1
