"""The service fails closed: it refuses to start, naming the variable, unless configured for Cognito with a secret."""

from __future__ import annotations

import pytest

from chalicelib.config import UnsafeConfiguration, load_api_config

GOOD = {"AWS_REGION": "eu-west-1", "AUTH_MODE": "cognito", "ROOT_SECRET_PARAMETER": "/safety-settings/prod/root"}


def test_a_cognito_configuration_with_a_secret_parameter_is_accepted() -> None:
    config = load_api_config(GOOD)
    assert (config.auth_mode, config.root_secret_parameter, config.region) == (
        "cognito",
        GOOD["ROOT_SECRET_PARAMETER"],
        "eu-west-1",
    )


@pytest.mark.parametrize("auth_mode", ["local", "", "Cognito", "none"])
def test_any_auth_mode_but_cognito_is_refused_naming_the_variable(auth_mode: str) -> None:
    with pytest.raises(UnsafeConfiguration, match="AUTH_MODE"):
        load_api_config({**GOOD, "AUTH_MODE": auth_mode})


def test_a_missing_auth_mode_is_refused() -> None:
    env = {key: value for key, value in GOOD.items() if key != "AUTH_MODE"}
    with pytest.raises(UnsafeConfiguration, match="AUTH_MODE"):
        load_api_config(env)


@pytest.mark.parametrize("value", [None, "", " "])
def test_a_missing_or_empty_secret_parameter_is_refused_naming_the_variable(value: str | None) -> None:
    env = {key: item for key, item in GOOD.items() if key != "ROOT_SECRET_PARAMETER"}
    if value is not None:
        env["ROOT_SECRET_PARAMETER"] = value
    with pytest.raises(UnsafeConfiguration, match="ROOT_SECRET_PARAMETER"):
        load_api_config(env)


def test_local_authentication_needs_the_explicit_opt_in_in_code() -> None:
    # Given AUTH_MODE=local / Then only a caller that opted in (the local stack, the tests) may start with it
    assert load_api_config({**GOOD, "AUTH_MODE": "local"}, allow_local_auth=True).auth_mode == "local"
    with pytest.raises(UnsafeConfiguration):
        load_api_config({**GOOD, "AUTH_MODE": "local"})


def test_the_region_falls_back_to_aws_default_region() -> None:
    env = {key: value for key, value in GOOD.items() if key != "AWS_REGION"}
    assert load_api_config({**env, "AWS_DEFAULT_REGION": "eu-central-1"}).region == "eu-central-1"
