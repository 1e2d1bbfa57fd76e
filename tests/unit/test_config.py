"""In AWS the service fails closed: it refuses to start with the local authorizer or without a secret key."""

from __future__ import annotations

import pytest

from chalicelib.config import UnsafeConfiguration, get_config


@pytest.fixture(autouse=True)
def fresh_config():  # type: ignore[no-untyped-def]
    get_config.cache_clear()
    yield
    get_config.cache_clear()


def test_in_lambda_the_default_is_cognito(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "safety-settings")
    monkeypatch.setenv("SIGNUP_FINGERPRINT_KEY", "a-real-secret")
    monkeypatch.delenv("AUTH_MODE", raising=False)
    assert get_config().auth_mode == "cognito"


def test_in_lambda_the_local_authorizer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "safety-settings")
    monkeypatch.setenv("SIGNUP_FINGERPRINT_KEY", "a-real-secret")
    monkeypatch.setenv("AUTH_MODE", "local")
    with pytest.raises(UnsafeConfiguration):
        get_config()


def test_in_lambda_a_missing_fingerprint_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "safety-settings")
    monkeypatch.setenv("AUTH_MODE", "cognito")
    monkeypatch.delenv("SIGNUP_FINGERPRINT_KEY", raising=False)
    with pytest.raises(UnsafeConfiguration):
        get_config()


def test_outside_lambda_the_local_authorizer_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.delenv("AUTH_MODE", raising=False)
    assert get_config().auth_mode == "local"
