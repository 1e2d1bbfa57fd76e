"""The API function's configuration: its environment as a model, checked once at cold start (fail closed).

Only a composition function (`chalicelib.api.composition`) reads it; no service or store reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

if TYPE_CHECKING:
    from chalicelib.policy import Policy

MAX_BODY_BYTES = 16 * 1024


class UnsafeConfiguration(RuntimeError):
    """The service refuses to start: a setting is missing, empty or only fit for a local run."""


class ApiConfig(BaseModel):
    # Built on first use (the first request composes), not when app.py is imported.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    settings_table: str = Field("safety-settings", alias="SETTINGS_TABLE", min_length=3, max_length=255)
    reports_table: str = Field("safety-reports", alias="REPORTS_TABLE", min_length=3, max_length=255)
    idempotency_table: str = Field("safety-idempotency", alias="IDEMPOTENCY_TABLE", min_length=3, max_length=255)
    # The KMS key that seals the days bands end (the API may only encrypt with it), by alias.
    band_end_key_alias: str = Field(
        "alias/safety-settings-band-ends", alias="BAND_END_KEY_ALIAS", pattern=r"^alias/[A-Za-z0-9/_-]{1,250}$"
    )
    region: str = Field(alias="AWS_REGION", min_length=1)
    # "cognito": API Gateway's Cognito authorizer checks tokens. "local" only where the caller opted in in code.
    auth_mode: Literal["cognito", "local"] = Field(alias="AUTH_MODE")
    # The SSM Parameter Store name (a SecureString) of the root secret the service's keys are derived from.
    root_secret_parameter: str = Field(alias="ROOT_SECRET_PARAMETER", min_length=1, pattern=r"^\S+$")
    # Pins a kept policy version (chalicelib/policy/versions/); unset: the newest is in force.
    policy_version: str | None = Field(None, alias="POLICY_VERSION", pattern=r"^\d{4}-\d{2}-\d{2}(\.\d+)?$")
    # Compliance exports: their records, the private bucket their files go to, the queue their work is fanned out on,
    # and how many stored items (accounts and events) one segment (one worker) takes.
    exports_table: str = Field("safety-exports", alias="EXPORTS_TABLE", min_length=3, max_length=255)
    export_bucket: str = Field("safety-settings-exports", alias="EXPORT_BUCKET", min_length=3, max_length=63)
    export_queue: str = Field("safety-settings-exports", alias="EXPORT_QUEUE", min_length=1, max_length=80)
    export_items_per_segment: int = Field(50_000, alias="EXPORT_ITEMS_PER_SEGMENT", ge=1, le=10_000_000)


ConfigT = TypeVar("ConfigT", bound=BaseModel)


def _validated(model: type[ConfigT], env: Mapping[str, str]) -> ConfigT:
    """`env` as `model` (AWS_DEFAULT_REGION standing in for AWS_REGION), or `UnsafeConfiguration` naming each
    variable that is missing, empty or invalid."""
    values = dict(env)
    if "AWS_REGION" not in values and values.get("AWS_DEFAULT_REGION"):
        values["AWS_REGION"] = values["AWS_DEFAULT_REGION"]
    try:
        return model.model_validate(values)
    except ValidationError as error:
        names = sorted({str(item["loc"][0]) for item in error.errors()})
        raise UnsafeConfiguration(f"refusing to start: set {', '.join(names)} (missing, empty or invalid)") from None


def load_api_config(env: Mapping[str, str], *, allow_local_auth: bool = False) -> ApiConfig:
    """The API's configuration from `env`, or `UnsafeConfiguration` naming the variable that is wrong.

    `allow_local_auth` is the explicit opt-in that only the local stack and the tests pass: everywhere else
    `AUTH_MODE` must be `cognito`. Nothing has a default that could stand in for a secret.
    """
    config = _validated(ApiConfig, env)
    if config.auth_mode != "cognito" and not allow_local_auth:
        raise UnsafeConfiguration(
            "refusing to start: AUTH_MODE must be 'cognito'; the local HS256 authorizer is only for make run and tests"
        )
    return config


class WorkerConfig(BaseModel):
    """The reports stream consumer's configuration: the one table it reads and writes."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    reports_table: str = Field("safety-reports", alias="REPORTS_TABLE", min_length=3, max_length=255)
    region: str = Field(alias="AWS_REGION", min_length=1)
    # Pins a kept policy version (chalicelib/policy/versions/); unset: the newest is in force.
    policy_version: str | None = Field(None, alias="POLICY_VERSION", pattern=r"^\d{4}-\d{2}-\d{2}(\.\d+)?$")


def load_worker_config(env: Mapping[str, str]) -> WorkerConfig:
    return _validated(WorkerConfig, env)


class TransitionsConfig(BaseModel):
    """The birthday job's configuration: the settings table and the key that seals the days bands end."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    settings_table: str = Field("safety-settings", alias="SETTINGS_TABLE", min_length=3, max_length=255)
    band_end_key_alias: str = Field(
        "alias/safety-settings-band-ends", alias="BAND_END_KEY_ALIAS", pattern=r"^alias/[A-Za-z0-9/_-]{1,250}$"
    )
    region: str = Field(alias="AWS_REGION", min_length=1)
    # Pins a kept policy version (chalicelib/policy/versions/); unset: the newest is in force.
    policy_version: str | None = Field(None, alias="POLICY_VERSION", pattern=r"^\d{4}-\d{2}-\d{2}(\.\d+)?$")


def load_transitions_config(env: Mapping[str, str]) -> TransitionsConfig:
    return _validated(TransitionsConfig, env)


class ExportWorkerConfig(BaseModel):
    """The export workers' configuration: the tables they read, the exports table, bucket and queue."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True, defer_build=True)

    settings_table: str = Field("safety-settings", alias="SETTINGS_TABLE", min_length=3, max_length=255)
    reports_table: str = Field("safety-reports", alias="REPORTS_TABLE", min_length=3, max_length=255)
    exports_table: str = Field("safety-exports", alias="EXPORTS_TABLE", min_length=3, max_length=255)
    export_bucket: str = Field("safety-settings-exports", alias="EXPORT_BUCKET", min_length=3, max_length=63)
    export_queue: str = Field("safety-settings-exports", alias="EXPORT_QUEUE", min_length=1, max_length=80)
    region: str = Field(alias="AWS_REGION", min_length=1)
    policy_version: str | None = Field(None, alias="POLICY_VERSION", pattern=r"^\d{4}-\d{2}-\d{2}(\.\d+)?$")


def load_export_worker_config(env: Mapping[str, str]) -> ExportWorkerConfig:
    return _validated(ExportWorkerConfig, env)


def policy_in_force(version: str | None) -> Policy:
    """The kept policy `version` names (the newest when None), or `UnsafeConfiguration` naming POLICY_VERSION."""
    from chalicelib.policy import UnknownPolicyVersion, load_policy

    try:
        return load_policy(version)
    except UnknownPolicyVersion:
        raise UnsafeConfiguration(
            f"refusing to start: POLICY_VERSION {version!r} is not a kept policy version"
        ) from None
