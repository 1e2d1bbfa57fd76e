"""Shared fixtures: a moto-backed DynamoDB with the real table definitions, a fixed clock, tokens and a test client.

The environment is set before the app or boto3 are imported, so nothing can reach AWS. The app under test is the
local app (`devstack.local_app`: the real routes, the local HS256 authorizer) over an explicit composition with a
settable clock and a test root secret; no test reads or changes process-wide service state.
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
        "LOCAL_JWT_SECRET": TEST_SECRET,
        "POWERTOOLS_METRICS_NAMESPACE": "SafetySettingsTest",
        "POWERTOOLS_DEV": "false",
    }
)
for _name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", "AUTH_MODE", "ROOT_SECRET_PARAMETER"):
    os.environ.pop(_name, None)

import functools  # noqa: E402
import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIXED_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _one_kms_key_pair_per_run() -> Iterator[None]:
    """moto gives the tables' default KMS key a new 2048-bit RSA key pair in every mock, a quarter of a second
    each; encryption at rest is not what the tests test, so one pair serves the whole run (every test alike)."""
    import moto.kms.models as kms_models
    from moto.kms.utils import generate_private_key

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kms_models, "generate_private_key", functools.cache(generate_private_key))
        yield


TEST_ROOT_SECRET = b"test-root-secret-of-at-least-32-bytes!!"
TEST_ENV = {
    "AWS_REGION": "eu-west-1",
    "AUTH_MODE": "local",
    "ROOT_SECRET_PARAMETER": "/safety-settings/test/root-secret",
}
_current: dict[str, Any] = {}


def with_settings_store(deps: Any, store: Any) -> Any:
    """`deps` with every use of the settings store going to `store`."""
    from dataclasses import replace

    return replace(
        deps, accounts=replace(deps.accounts, store=store), reporting=replace(deps.reporting, accounts=store)
    )


def service_dynamodb() -> Any:
    """The DynamoDB client of the app under test (to hook botocore events on it, or read what it stored)."""
    return _current["deps"].dynamodb()


@pytest.fixture
def aws() -> Iterator[None]:
    import boto3

    from infra.exports import create_export_resources
    from infra.keys import create_keys
    from infra.tables import create_tables

    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name="eu-west-1"))
        create_keys(boto3.client("kms", region_name="eu-west-1"))
        create_export_resources(
            boto3.client("s3", region_name="eu-west-1"), boto3.client("sqs", region_name="eu-west-1")
        )
        yield


@pytest.fixture
def clock() -> Iterator[list[datetime]]:
    """A settable clock: tests move `clock[0]`."""
    yield [FIXED_NOW]


@pytest.fixture
def deps(aws: None, clock: list[datetime]) -> Iterator[Any]:
    """The API's dependencies, composed as in production but with the test clock and root secret."""
    from chalicelib.api.composition import compose_api
    from chalicelib.config import load_api_config

    composed = compose_api(load_api_config(TEST_ENV, allow_local_auth=True), TEST_ROOT_SECRET, clock=lambda: clock[0])
    _current["deps"] = composed
    yield composed
    _current.clear()


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

    def __init__(self, http: Any, deps: Any) -> None:
        self.http = http
        self.deps = deps
        self.pump: Any = None  # the reports stream's consumer, started on the first drain

    def rewire(self, deps: Any) -> None:
        """Serve the same routes over other dependencies from now on (a wrapped store, a fault injected)."""
        from chalice.test import Client

        from devstack.local_app import build_local_app

        self.http = Client(build_local_app(compose=lambda: deps), stage_name="dev", project_dir=str(PROJECT_DIR)).http
        self.deps = deps
        _current["deps"] = deps

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

    def drain(self) -> int:
        """Runs the reports stream consumer over every record written since the last drain (what Lambda does in AWS
        and the local stack's pump does in `make run`); returns how many records it delivered."""
        delivered: int = self._pump().drain()
        return delivered

    def drain_once_failing(self) -> int:
        """One delivery of what is pending; its failures are left for the next delivery (as Lambda retries)."""
        delivered: int = self._pump().pump_once()
        return delivered

    def _pump(self) -> Any:
        if self.pump is None:
            self.pump = stream_pump(self.deps)
        return self.pump

    def sign_up(self, account_id: str, birth_date: str, country: str = "GB", subdivision: str | None = None) -> Any:
        body: dict[str, Any] = {"account_id": account_id, "birth_date": birth_date, "country": country}
        if subdivision is not None:
            body["subdivision"] = subdivision
        return self.call("POST", "/v1/accounts", body, auth(*SIGNUP))


def stream_deps(deps: Any) -> Any:
    from chalicelib.workers.reports_stream import StreamDeps

    return StreamDeps(reports=deps.moderation.reports, policy=deps.policy, clock=deps.moderation.clock)


def stream_pump(deps: Any, handler: Any = None) -> Any:
    """A pump of the reports table's moto stream into the consumer (or `handler`), delivering as Lambda would: in
    batches of 100, the next delivery starting again from the lowest failed record (devstack/stream_pump.py)."""
    import boto3

    from chalicelib.workers.reports_stream import handle_reports_stream
    from devstack.stream_pump import StreamPump, streams_client

    return StreamPump(
        boto3.client("dynamodb", region_name="eu-west-1"),
        streams_client(region_name="eu-west-1"),
        deps.moderation.reports._table,
        handler or (lambda event: handle_reports_stream(event, stream_deps(_current["deps"]))),
    )


def drain_reports_stream(deps: Any, handler: Any) -> int:
    """Delivers every stream record so far to `handler`, from the start of the stream."""
    delivered: int = stream_pump(deps, handler).drain()
    return delivered


@pytest.fixture
def api(deps: Any) -> Iterator[Api]:
    from chalice.test import Client

    from devstack.local_app import build_local_app

    app = build_local_app(compose=lambda: deps)
    with Client(app, stage_name="dev", project_dir=str(PROJECT_DIR)) as client:
        yield Api(client.http, deps)


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
