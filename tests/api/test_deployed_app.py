"""The deployed app (`app.py`): Cognito claims from API Gateway, its configuration read from the environment on the
first request, the root secret from SSM Parameter Store. It refuses to serve, naming the variable, when unsafe."""

from __future__ import annotations

import importlib
import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import FIXED_NOW

PARAMETER = "/safety-settings/test/root-secret"
ENV = {"AUTH_MODE": "cognito", "ROOT_SECRET_PARAMETER": PARAMETER, "AWS_REGION": "eu-west-1"}


def event(method: str, resource: str, path: str, claims: dict[str, str] | None, body: Any = None) -> dict[str, Any]:
    params = {"account_id": path.rsplit("/", 2)[-2]} if "{account_id}" in resource else None
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "requestId": "req-1",
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@pytest.fixture
def deployed(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh import of app.py (its composition is per app object), in an environment like the function's."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    import app as module

    yield importlib.reload(module).app


def put_secret(value: str) -> None:
    boto3.client("ssm", region_name="eu-west-1").put_parameter(Name=PARAMETER, Value=value, Type="SecureString")


def test_the_deployed_app_serves_cognito_callers_with_keys_from_ssm(deployed: Any) -> None:
    # Given the root secret in SSM Parameter Store
    put_secret("a-root-secret-of-at-least-thirty-two-bytes")
    born = f"{FIXED_NOW.year - 14}-01-01"
    # When the sign-up service and then the account holder call, as API Gateway's Cognito authorizer passes them
    signup_claims = {"sub": "signup-flow", "cognito:groups": "[signup-service]"}
    created = deployed(
        event(
            "POST",
            "/v1/accounts",
            "/v1/accounts",
            signup_claims,
            {"account_id": "u-1", "birth_date": born, "country": "GB"},
        ),
        None,
    )
    read = deployed(
        event("GET", "/v1/accounts/{account_id}/settings", "/v1/accounts/u-1/settings", {"sub": "u-1"}), None
    )
    # Then both are served
    assert created["statusCode"] == 201, created["body"]
    assert read["statusCode"] == 200 and json.loads(read["body"])["account_id"] == "u-1"


def test_the_deployed_app_has_no_local_authorizer(deployed: Any) -> None:
    # Given the deployed app / Then every non-public route is guarded by Cognito, and no built-in authorizer exists
    assert deployed.builtin_auth_handlers == []
    for path, methods in deployed.routes.items():
        for method, entry in methods.items():
            public = path in ("/v1/health", "/v1/policy", "/v1/policy/versions/{version}", "/v1/openapi.json")
            assert (entry.authorizer is None) == public, (method, path)
            if not public:
                assert type(entry.authorizer).__name__ == "CognitoUserPoolAuthorizer"


@pytest.mark.parametrize(
    ("env", "secret", "named"),
    [
        ({"AUTH_MODE": "local"}, "a-root-secret-of-at-least-thirty-two-bytes", "AUTH_MODE"),
        ({"AUTH_MODE": ""}, "a-root-secret-of-at-least-thirty-two-bytes", "AUTH_MODE"),
        ({"ROOT_SECRET_PARAMETER": ""}, "a-root-secret-of-at-least-thirty-two-bytes", "ROOT_SECRET_PARAMETER"),
        ({}, None, "ROOT_SECRET_PARAMETER"),
        ({}, "short", "ROOT_SECRET_PARAMETER"),
    ],
    ids=["local auth", "empty auth mode", "empty parameter name", "parameter missing in SSM", "secret too short"],
)
def test_an_unsafe_configuration_refuses_to_serve_naming_the_variable(
    deployed: Any,
    monkeypatch: pytest.MonkeyPatch,
    service_lines: io.StringIO,
    env: dict[str, str],
    secret: str | None,
    named: str,
) -> None:
    # Given a function configured unsafely
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if secret is not None:
        put_secret(secret)
    # When a request needing the service arrives
    response = deployed(
        event("GET", "/v1/accounts/{account_id}/settings", "/v1/accounts/u-1/settings", {"sub": "u-1"}), None
    )
    # Then nothing is served, and the one log line says which variable to set
    assert response["statusCode"] == 500
    lines = [json.loads(line) for line in service_lines.getvalue().splitlines() if line.startswith("{")]
    assert len(lines) == 1 and "refusing to start" in lines[0]["exception"] and named in lines[0]["exception"]


def test_the_policy_and_the_api_document_answer_without_composing_anything(
    deployed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given no configuration at all / When the public documents are read / Then they are served
    monkeypatch.delenv("ROOT_SECRET_PARAMETER")
    assert deployed(event("GET", "/v1/policy", "/v1/policy", None), None)["statusCode"] == 200
    assert deployed(event("GET", "/v1/openapi.json", "/v1/openapi.json", None), None)["statusCode"] == 200
    kept = event("GET", "/v1/policy/versions/{version}", "/v1/policy/versions/2026-11-25", None)
    kept["pathParameters"] = {"version": "2026-11-25"}
    assert deployed(kept, None)["statusCode"] == 200


def test_health_composes_so_a_misconfigured_function_fails_it(deployed: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROOT_SECRET_PARAMETER")
    assert deployed(event("GET", "/v1/health", "/v1/health", None), None)["statusCode"] == 500
    put_secret("a-root-secret-of-at-least-thirty-two-bytes")
    monkeypatch.setenv("ROOT_SECRET_PARAMETER", PARAMETER)
    # (the refusal is kept for the life of the process: a fixed environment needs a new one, as in Lambda)
    assert deployed(event("GET", "/v1/health", "/v1/health", None), None)["statusCode"] == 500
