"""Policy versions (issue 9, first step): every version ever served is kept in chalicelib/policy/versions/, the newest
is in force unless POLICY_VERSION pins a kept one, and any kept version can be read."""

from __future__ import annotations

import json

import pytest

from chalicelib.config import UnsafeConfiguration, load_api_config, load_transitions_config, policy_in_force
from chalicelib.policy import kept_versions, load_policy, newest_version
from chalicelib.policy.loader import _version_order
from tests.api.helpers import assert_problem, header
from tests.conftest import PROJECT_DIR, TEST_ENV, Api, body

VERSIONS = PROJECT_DIR / "chalicelib" / "policy" / "versions"


def test_every_file_in_versions_is_kept_named_by_its_version_and_valid() -> None:
    files = sorted(path.stem for path in VERSIONS.glob("*.json"))
    assert sorted(kept_versions()) == files
    for version in files:
        assert load_policy(version).version == version
        assert json.loads((VERSIONS / f"{version}.json").read_text(encoding="utf-8"))["version"] == version


def test_versions_order_by_day_then_revision() -> None:
    versions = ["2026-12-01", "2026-11-25.10", "2026-11-25", "2026-11-25.2"]
    assert sorted(versions, key=_version_order) == ["2026-11-25", "2026-11-25.2", "2026-11-25.10", "2026-12-01"]
    assert newest_version() == kept_versions()[-1]


def test_any_kept_version_is_served_as_its_file(api: Api) -> None:
    for version in kept_versions():
        response = api.call("GET", f"/v1/policy/versions/{version}")
        assert response.status_code == 200, response.body
        assert header(response, "Content-Type") == "application/json"
        assert body(response) == json.loads((VERSIONS / f"{version}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "version", ["2020-01-01", "2026-11-25.7", "latest", "..%2Fpolicy", "2026-11-25.json", "x" * 300]
)
def test_a_version_never_kept_is_404(api: Api, version: str) -> None:
    assert_problem(api.call("GET", f"/v1/policy/versions/{version}"), 404, "not_found")


def test_the_policy_route_serves_the_version_in_force(api: Api) -> None:
    response = api.call("GET", "/v1/policy")
    assert response.status_code == 200
    assert body(response)["version"] == api.deps.policy.version == newest_version()


def test_policy_version_pins_a_kept_version_and_refuses_any_other() -> None:
    oldest = kept_versions()[0]
    assert policy_in_force(load_api_config({**TEST_ENV, "POLICY_VERSION": oldest}, allow_local_auth=True)
                           .policy_version).version == oldest  # fmt: skip
    assert policy_in_force(None).version == newest_version()
    with pytest.raises(UnsafeConfiguration, match="POLICY_VERSION"):
        policy_in_force(load_transitions_config({"AWS_REGION": "eu-west-1", "POLICY_VERSION": "2001-01-01"})
                        .policy_version)  # fmt: skip
    for malformed in ("", "newest", "2026-11-25;drop"):
        with pytest.raises(UnsafeConfiguration, match="POLICY_VERSION"):
            load_api_config({**TEST_ENV, "POLICY_VERSION": malformed}, allow_local_auth=True)


def test_the_public_policy_route_learns_the_version_in_force_without_composing() -> None:
    from chalicelib.api.composition import policy_version_from_environment

    assert policy_version_from_environment({}) == newest_version()
    assert policy_version_from_environment({"POLICY_VERSION": kept_versions()[0]}) == kept_versions()[0]
    with pytest.raises(UnsafeConfiguration, match="POLICY_VERSION"):
        policy_version_from_environment({"POLICY_VERSION": "1999-01-01"})
