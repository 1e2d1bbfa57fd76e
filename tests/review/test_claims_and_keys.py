"""Review: identities and Idempotency-Keys a caller chooses."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import assert_problem
from tests.api.test_deployed_app import deployed, event, put_secret  # noqa: F401  (fixture)
from tests.conftest import SIGNUP, Api, auth


def test_a_deployed_caller_gets_groups_only_from_cognito_groups(deployed: Any) -> None:  # noqa: F811
    # Given an account, and a Cognito token with no cognito:groups but some other claim called "groups" (anything a
    # pre-token-generation trigger or a future authorizer adds; the local context's name leaks into the AWS path)
    put_secret("a-root-secret-of-at-least-thirty-two-bytes")
    signup = {"sub": "signup-flow", "cognito:groups": "[signup-service]"}
    born = {"account_id": "u-1", "birth_date": "2010-01-01", "country": "GB"}
    assert deployed(event("POST", "/v1/accounts", "/v1/accounts", signup, born), None)["statusCode"] == 201
    # When that caller reads the account
    claims = {"sub": "u-9", "groups": "[auditor]"}
    read = deployed(event("GET", "/v1/accounts/{account_id}/settings", "/v1/accounts/u-1/settings", claims), None)
    # Then it is a stranger (404), not an auditor
    assert read["statusCode"] == 404, read["body"][:200]


def test_an_idempotency_key_too_short_to_be_secret_is_refused(api: Api) -> None:
    # Given a sign-up made with the key "1" (1-64 characters are accepted today)
    made = {"account_id": "kid-1", "birth_date": "2012-03-04", "country": "GB"}
    first = api.call("POST", "/v1/accounts", made, {**auth(*SIGNUP), "Idempotency-Key": "1"})
    # Then such a key is refused: within 24 h, whoever holds the sign-up credential and guesses the key reads the
    # birth date back from replay (201) against reuse (422) — the oracle defect 1 closed, reopened by a short key
    assert_problem(first, 400, "idempotency_key_invalid")
