"""Per-environment settings of the deployed stack, read from CDK context (`cdk.json`, or `-c name=value`).

Every value has a safe default, so `make synth` works with no context at all; each is checked (a typo in a context
value stops the synth, never deploys something else). The README's "Deploy" section lists them.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

USER_POOL_ARN = re.compile(r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/[\w-]+_[0-9A-Za-z]+$")


class StackSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # The stack's name: the Chalice stage too (the Chalice construct names its stage after its scope's path).
    stage: str = Field("safety-settings", alias="stage", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
    # An existing Cognito user pool's ARN; unset, the stack creates a pool (with the service's groups).
    user_pool_arn: str | None = Field(None, alias="userPoolArn")
    # API Gateway stage throttling, for the whole stage: steady requests per second and the burst above it.
    throttle_rate: float = Field(200.0, alias="throttleRate", gt=0, le=10_000)
    throttle_burst: int = Field(400, alias="throttleBurst", gt=0, le=5_000)
    # How long every log group keeps its lines (days; CloudWatch's allowed values).
    log_retention_days: int = Field(90, alias="logRetentionDays")
    # On-demand tables still have a ceiling, so a flood costs at most this much (request units per second).
    max_read_units: int = Field(4_000, alias="maxReadRequestUnits", ge=1, le=40_000)
    max_write_units: int = Field(2_000, alias="maxWriteRequestUnits", ge=1, le=40_000)
    # Reserved concurrency: the export worker may never take the API's share; the jobs run one at a time.
    # (At least 2: the least an SQS event source's maximum concurrency may be, and it must not exceed the reservation.)
    export_worker_concurrency: int = Field(10, alias="exportWorkerConcurrency", ge=2, le=1_000)
    # Reserve concurrency for the jobs and the export worker (13 in all). An account must keep 100 unreserved, so a
    # new account with a small quota sets this false until its quota is raised.
    reserve_concurrency: bool = Field(True, alias="reserveConcurrency")
    # Days a finished export's files stay in the bucket (the export record, an audit record, stays).
    export_expiry_days: int = Field(30, alias="exportExpiryDays", ge=1, le=3_650)
    # Alarms notify this address (an SNS e-mail subscription) where one is given.
    alarm_email: str | None = Field(None, alias="alarmEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # Whether the stack sets API Gateway's account-wide CloudWatch role (needed once per account and region for
    # access logs; turn off where another stack already manages it).
    manage_api_gateway_account: bool = Field(True, alias="manageApiGatewayAccount")

    @field_validator("user_pool_arn")
    @classmethod
    def _pool_arn(cls, value: str | None) -> str | None:
        if value is not None and not USER_POOL_ARN.match(value):
            raise ValueError("must be a Cognito user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in RETENTION_DAYS:
            raise ValueError(f"must be one of CloudWatch's retention periods: {sorted(RETENTION_DAYS)}")
        return value


RETENTION_DAYS = frozenset({1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557})
CONTEXT_NAMES = tuple(field.alias for field in StackSettings.model_fields.values() if field.alias)


class BadContext(ValueError):
    """A context value the stack cannot deploy with."""


def settings_from_context(lookup: Callable[[str], Any]) -> StackSettings:
    """The settings from CDK context (`lookup` is `node.try_get_context`); values given on the command line arrive
    as strings, so JSON is parsed where it parses."""
    raw: dict[str, Any] = {}
    for name in CONTEXT_NAMES:
        value = lookup(name)
        if value is None:
            continue
        if isinstance(value, str) and name not in ("stage", "userPoolArn", "alarmEmail"):
            with contextlib.suppress(json.JSONDecodeError):  # not JSON: left as text, for the model to judge
                value = json.loads(value)
        raw[name] = value
    try:
        return StackSettings.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise BadContext(f"bad CDK context: {problems}") from None
