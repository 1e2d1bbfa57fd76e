"""Shared fixtures: a moto-backed DynamoDB with the real table definitions, a fixed clock, tokens and a test client.

The environment is set before the app or boto3 are imported, so nothing can reach AWS.
"""

from __future__ import annotations

import os

TEST_SECRET = "test-secret-at-least-32-bytes-long!"

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AUTH_MODE": "local",
        "LOCAL_JWT_SECRET": TEST_SECRET,
        "POWERTOOLS_METRICS_NAMESPACE": "SafetySettingsTest",
        "POWERTOOLS_DEV": "false",
    }
)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXED_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def aws() -> Iterator[None]:
    from chalicelib import bootstrap
    from chalicelib.config import get_config
    from chalicelib.store.dynamo import dynamodb_client
    from infra.tables import create_tables

    with mock_aws():
        get_config.cache_clear()
        dynamodb_client.cache_clear()
        bootstrap.reset()
        create_tables(dynamodb_client())
        yield
        bootstrap.reset()
        dynamodb_client.cache_clear()


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """A settable clock: tests move `clock[0]`."""
    from chalicelib import bootstrap

    now = [FIXED_NOW]
    bootstrap.override(clock=lambda: now[0])
    yield now


def token(sub: str, *groups: str, expired: bool = False, secret: str = "test-secret-at-least-32-bytes-long!") -> str:
    import jwt

    issued = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {"sub": sub, "iat": issued, "exp": issued + (-60 if expired else 3600)}
    if groups:
        claims["cognito:groups"] = list(groups)
    return jwt.encode(claims, secret, algorithm="HS256")


def auth(sub: str, *groups: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, *groups)}"}


SIGNUP = ("signup-service", "signup-service")
AUDITOR = ("auditor-1", "auditor")


class Api:
    """A thin wrapper over chalice's test client that speaks JSON."""

    def __init__(self, http: Any) -> None:
        self.http = http

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Any:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        payload = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        return self.http.request(method, path, headers=all_headers, body=payload)

    def sign_up(self, account_id: str, birth_date: str, country: str = "GB") -> Any:
        return self.call(
            "POST",
            "/v1/accounts",
            {"account_id": account_id, "birth_date": birth_date, "country": country},
            auth(*SIGNUP),
        )


@pytest.fixture
def api(aws: None, clock: list[datetime]) -> Iterator[Api]:
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
        yield Api(client.http)


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture(autouse=True)
def _moto_as_released(request: pytest.FixtureRequest) -> None:
    """Outside tests/local and tests/devstack, a test runs on moto as released, whatever ran before it on its worker:
    the local stack patches moto (devstack/moto_patches.py) and must take the patches out when it stops."""
    import sys

    if request.node.path.relative_to(PROJECT_DIR / "tests").parts[0] in {"local", "devstack"}:
        return
    moto_patches = sys.modules.get("devstack.moto_patches")  # not imported: nothing can have installed them
    if moto_patches is not None and moto_patches.installed():
        pytest.fail("moto is still patched by devstack.moto_patches: whatever installed the patches left them in")
