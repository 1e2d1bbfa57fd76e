"""Configuration from the environment, read once per process. Every knob the service has is listed here."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

LOCAL_JWT_SECRET_DEFAULT = "local-dev-secret"


@dataclass(frozen=True)
class Config:
    settings_table: str
    reports_table: str
    idempotency_table: str
    region: str
    auth_mode: str  # "local": HS256 tokens checked by the built-in authorizer; "cognito": API Gateway checks them
    local_jwt_secret: str
    fingerprint_key: bytes  # keys the hash that recognises a repeated sign-up without keeping the birth date
    max_body_bytes: int = 16 * 1024


class UnsafeConfiguration(RuntimeError):
    """The service refuses to start in AWS with local-only settings (fail closed, never open)."""


@cache
def get_config() -> Config:
    env = os.environ
    config = _read(env)
    if "AWS_LAMBDA_FUNCTION_NAME" in env:  # running in Lambda: no local authorizer, no public keys
        if config.auth_mode != "cognito":
            raise UnsafeConfiguration("AUTH_MODE must be 'cognito' in AWS: the local HS256 authorizer is for make run")
        if "SIGNUP_FINGERPRINT_KEY" not in env:
            raise UnsafeConfiguration("SIGNUP_FINGERPRINT_KEY must be set to a secret in AWS")
    return config


def _read(env: os._Environ[str]) -> Config:
    in_lambda = "AWS_LAMBDA_FUNCTION_NAME" in env
    return Config(
        settings_table=env.get("SETTINGS_TABLE", "safety-settings"),
        reports_table=env.get("REPORTS_TABLE", "safety-reports"),
        idempotency_table=env.get("IDEMPOTENCY_TABLE", "safety-idempotency"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
        auth_mode=env.get("AUTH_MODE", "cognito" if in_lambda else "local"),
        local_jwt_secret=env.get("LOCAL_JWT_SECRET", LOCAL_JWT_SECRET_DEFAULT),
        fingerprint_key=env.get("SIGNUP_FINGERPRINT_KEY", "local-fingerprint-key").encode(),
    )
