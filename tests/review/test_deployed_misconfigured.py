"""Review: the deployed app (`app.py`) when its environment or SSM lets it down."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.test_deployed_app import deployed, event, put_secret  # noqa: F401  (fixture)

SECRET = "a-root-secret-of-at-least-thirty-two-bytes"


def test_a_deployed_app_with_local_auth_does_not_report_itself_healthy(
    deployed: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a function deployed with AUTH_MODE=local (the issue: "refuses to start ... naming the variable")
    monkeypatch.setenv("AUTH_MODE", "local")
    put_secret(SECRET)
    # When the load balancer / canary / deployment hook probes liveness
    health = deployed(event("GET", "/v1/health", "/v1/health", None), None)
    # Then it is not told "ok": the configuration check costs no I/O and could run for every route, so a broken
    # deployment fails its health check instead of passing it and answering 500 to every real caller
    assert health["statusCode"] != 200, health["body"]


def test_a_throttled_ssm_read_at_cold_start_is_503_not_refusing_to_start(
    deployed: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the root secret exists, but SSM throttles the first read (GetParameter has a per-account TPS quota)
    from aws_lambda_powertools.utilities.parameters import SSMProvider

    put_secret(SECRET)

    def throttled(self: Any, name: str, **kwargs: Any) -> str:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "GetParameter")

    monkeypatch.setattr(SSMProvider, "_get", throttled)
    # When a request needing the service arrives
    response = deployed(
        event("GET", "/v1/accounts/{account_id}/settings", "/v1/accounts/u-1/settings", {"sub": "u-1"}), None
    )
    # Then it is a transient 503 with Retry-After (today: 500 and a "refusing to start: ... could not be read"
    # line, which pages someone about a configuration that is fine)
    assert response["statusCode"] == 503, response["body"]
    assert json.loads(response["body"])["code"] == "unavailable"


def test_the_composed_dependencies_never_print_a_key(deps: Any) -> None:
    # Given the API's dependencies as composed / When they are printed (a debugger, an error tracker's locals)
    printed = repr(deps)
    # Then no derived key appears: ServiceKeys hides itself, but ReportingDeps repeats two keys as raw bytes
    for key in (deps.keys.cursors, deps.keys.report_ids, deps.keys.request_fingerprints):
        assert repr(key) not in printed
