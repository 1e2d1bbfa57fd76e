"""The apps a benchmark calls and ways to call them: the deployed app (`create_app(cognito_authorizer, ...)`, as
`app.py` builds it) invoked with API Gateway proxy events, as Lambda does behind API Gateway's Cognito authorizer;
and the local app (`devstack.local_app`, the same routes behind the local HS256 authorizer) through chalice's test
client with local tokens. Both serve dependencies the benchmark composed.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

from bench.environment import JWT_SECRET, REPO_ROOT

OWNER = "u-bench"
SIGNUP_SERVICE = "signup-service"


def token(sub: str, *groups: str) -> str:
    import jwt

    issued = int(time.time())
    claims: dict[str, Any] = {"sub": sub, "iat": issued, "exp": issued + 3600}
    if groups:
        claims["cognito:groups"] = list(groups)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


def auth_headers(sub: str, *groups: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, *groups)}", "Content-Type": "application/json"}


def deployed_app(deps: Any) -> Any:
    """The app `app.py` deploys (Cognito, always), serving `deps` instead of composing from the environment."""
    from chalicelib.api.application import cognito_authorizer, create_app

    return create_app(cognito_authorizer, lambda: deps)


def local_app(deps: Any) -> Any:
    """The app the local stack and the tests serve: the same routes behind the local HS256 authorizer."""
    from devstack.local_app import build_local_app

    return build_local_app(compose=lambda: deps)


def chalice_test_client(app: Any) -> Any:
    """chalice's test client (local gateway plus the built-in authorizer), as the API tests use it."""
    from chalice.test import Client

    return Client(app, stage_name="dev", project_dir=str(REPO_ROOT))


def proxy_event(
    method: str,
    resource: str,
    path_params: dict[str, str] | None = None,
    body: Any = None,
    sub: str = OWNER,
    groups: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An API Gateway REST proxy event, with the claims API Gateway's Cognito authorizer puts in the context."""
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace("{" + name + "}", value)
    claims: dict[str, Any] = {"sub": sub}
    if groups:
        claims["cognito:groups"] = f"[{' '.join(groups)}]"
    headers = {"Content-Type": "application/json", "Host": "api.example.com"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "bench-request",
            "authorizer": {"claims": claims},
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def lambda_context() -> Any:
    return SimpleNamespace(
        function_name="safety-settings-bench",
        memory_limit_in_mb=512,
        aws_request_id="bench-request",
        invoked_function_arn="arn:aws:lambda:eu-west-1:000000000000:function:safety-settings-bench",
    )
