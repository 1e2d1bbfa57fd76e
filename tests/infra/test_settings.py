"""Per-environment context: safe defaults, values from the command line (strings) parsed, and a bad value stops the
synth with its name (never a deploy of something else)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import BadContext, StackSettings, settings_from_context


def _from(context: dict[str, Any]) -> StackSettings:
    return settings_from_context(context.get)


def test_no_context_gives_the_documented_defaults() -> None:
    settings = _from({})
    assert settings.stage == "safety-settings" and settings.user_pool_arn is None
    assert (settings.throttle_rate, settings.throttle_burst, settings.log_retention_days) == (200.0, 400, 90)
    assert settings.manage_api_gateway_account is True


def test_command_line_strings_are_read_as_their_values() -> None:
    settings = _from({"throttleRate": "50.5", "throttleBurst": "80", "manageApiGatewayAccount": "false"})
    assert (settings.throttle_rate, settings.throttle_burst, settings.manage_api_gateway_account) == (50.5, 80, False)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("userPoolArn", "arn:aws:iam::123456789012:role/not-a-pool"),
        ("userPoolArn", "eu-west-1_AbCd"),
        ("logRetentionDays", "91"),  # not one of CloudWatch's periods
        ("throttleRate", "0"),
        ("throttleBurst", "-1"),
        ("stage", "has spaces"),
        ("stage", "x" * 65),
        ("exportWorkerConcurrency", "1"),  # an SQS event source's maximum concurrency is at least 2
        ("alarmEmail", "not-an-address"),
        ("maxReadRequestUnits", "1e9"),
    ],
)
def test_a_bad_value_stops_the_synth_naming_it(name: str, value: str) -> None:
    with pytest.raises(BadContext, match=name):
        _from({name: value})


def test_an_unknown_context_name_is_ignored_not_guessed() -> None:
    # CDK's own context (feature flags, lookups) shares the namespace: only the stack's names are read
    assert _from({"@aws-cdk/core:someFlag": True, "throttelRate": "1"}).throttle_rate == 200.0
