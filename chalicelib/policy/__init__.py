"""The versioned safety policy: a reviewable JSON file, validated with pydantic when loaded."""

from chalicelib.policy.loader import (
    AgeBand,
    AgeRules,
    BandLimits,
    Policy,
    SettingRule,
    SettingValue,
    StatementContentType,
    StatementRestriction,
    TransparencyRules,
    UnknownPolicyVersion,
    kept_versions,
    load_policy,
    newest_version,
    policy_document,
    statement_enum,
    statement_schema,
)

__all__ = [
    "AgeBand",
    "AgeRules",
    "BandLimits",
    "Policy",
    "SettingRule",
    "SettingValue",
    "StatementContentType",
    "StatementRestriction",
    "TransparencyRules",
    "UnknownPolicyVersion",
    "kept_versions",
    "load_policy",
    "newest_version",
    "policy_document",
    "statement_enum",
    "statement_schema",
]
