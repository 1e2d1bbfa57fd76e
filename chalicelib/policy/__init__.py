"""The versioned safety policy: a reviewable JSON file, validated with pydantic when loaded."""

from chalicelib.policy.loader import (
    AgeBand,
    AgeRules,
    BandLimits,
    Policy,
    SettingRule,
    SettingValue,
    load_policy,
    policy_document,
)

__all__ = [
    "AgeBand",
    "AgeRules",
    "BandLimits",
    "Policy",
    "SettingRule",
    "SettingValue",
    "load_policy",
    "policy_document",
]
