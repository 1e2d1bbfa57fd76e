"""The KMS keys the service's code uses, as plain data: the local stack and the CDK stack both build from these.

Code finds a key by its alias, read from an environment variable, so the same name works on moto and in AWS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeySpec:
    logical_id: str
    env_var: str
    default_alias: str
    description: str

    def alias_in(self, env: Mapping[str, str]) -> str:
        return env.get(self.env_var, self.default_alias)


# Seals the days accounts' age bands end (chalicelib/store/band_ends.py): the API may only encrypt with it, the
# transition function alone may decrypt.
BAND_ENDS = KeySpec(
    logical_id="BandEndsKey",
    env_var="BAND_END_KEY_ALIAS",
    default_alias="alias/safety-settings-band-ends",
    description="safety-settings: the days accounts' age bands end",
)

ALL_KEYS: tuple[KeySpec, ...] = (BAND_ENDS,)


def create_keys(kms: Any, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Creates each key and its alias where the alias does not exist yet (the local stack, tests and benchmarks);
    the ARN of each, by alias."""
    env = os.environ if env is None else env
    existing = {entry["AliasName"] for entry in kms.list_aliases()["Aliases"]}
    arns: dict[str, str] = {}
    for spec in ALL_KEYS:
        alias = spec.alias_in(env)
        if alias not in existing:
            key = kms.create_key(Description=spec.description, KeyUsage="ENCRYPT_DECRYPT")
            kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
        arns[alias] = str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
    return arns
