"""The DynamoDB tables, as plain data: the local stack and the CDK stack both build from these definitions.

Each table's physical name comes from an environment variable (see `TableSpec.env_var`), so local and deployed tables
differ only in name. Keys, indexes and TTL attributes live here and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: str
    sort_key: str | None = None
    projection: str = "ALL"  # or "KEYS_ONLY": readers then fetch the items themselves, consistently; or "INCLUDE"
    include: tuple[str, ...] = ()  # with "INCLUDE": the attributes projected beside the keys

    def projection_kwargs(self) -> dict[str, Any]:
        if self.projection == "INCLUDE":
            return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.include)}
        return {"ProjectionType": self.projection}


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    env_var: str
    default_name: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSpec, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None
    stream_view_type: str | None = None  # a DynamoDB stream, e.g. "NEW_AND_OLD_IMAGES"

    def key_attributes(self) -> dict[str, str]:
        """Every attribute used as a key (table or index); all are strings."""
        names = [self.partition_key, self.sort_key]
        for index in self.indexes:
            names += [index.partition_key, index.sort_key]
        return {name: "S" for name in names if name}

    def name_in(self, env: Mapping[str, str]) -> str:
        """The physical name: from the environment variable, else the default."""
        return env.get(self.env_var, self.default_name)

    def create_table_kwargs(self, name: str | None = None) -> dict[str, Any]:
        """Arguments for boto3's `create_table` (on-demand, encrypted at rest)."""
        kwargs: dict[str, Any] = {
            "TableName": name or self.default_name,
            "AttributeDefinitions": [
                {"AttributeName": attr, "AttributeType": kind} for attr, kind in self.key_attributes().items()
            ],
            "KeySchema": _key_schema(self.partition_key, self.sort_key),
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"Enabled": True},
        }
        if self.indexes:
            kwargs["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema(index.partition_key, index.sort_key),
                    "Projection": index.projection_kwargs(),
                }
                for index in self.indexes
            ]
        if self.stream_view_type:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view_type}
        return kwargs


def _key_schema(partition_key: str, sort_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition_key, "KeyType": "HASH"}]
    if sort_key:
        schema.append({"AttributeName": sort_key, "KeyType": "RANGE"})
    return schema


# Accounts' current settings and their immutable, ordered audit events share one partition per account, so a change
# and its event are one transaction and the history is one query. The sparse `band_ends` index lists the accounts
# whose age band ends in a month, each month spread over 16 partitions (a busy birthday is no hot partition); it
# projects the sealed days (never a day in the clear), so the birthday job reads a month without fetching items.
# The `policy_versions` index lists every account under the policy version it is on (`<version>#<shard of 16>`, keys
# only): a migration reads exactly the accounts still on old versions, and each leaves its partition when migrated.
# The sparse `notices` index lists accounts under notice of deactivation (a raised minimum age) by the day it ends.
# Family pairing keeps its codes, rate windows and the guardian's links here too (chalicelib/store/guardians_store.py).
SETTINGS = TableSpec(
    logical_id="SettingsTable",
    env_var="SETTINGS_TABLE",
    default_name="safety-settings",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        IndexSpec("band_ends", "band_end_bucket", projection="INCLUDE", include=("band_end_sealed",)),
        IndexSpec("policy_versions", "policy_bucket", projection="KEYS_ONLY"),
        IndexSpec("notices", "notice_pk", "notice_until", projection="KEYS_ONLY"),
    ),
    # Pairing codes, their rate windows and redemption locks expire (chalicelib/store/guardians_store.py); an
    # account's record and its events never have the attribute.
    ttl_attribute="expires_at",
)

# Abuse reports, cases (the moderation queue), decisions, and per-reporter state (their list, Idempotency-Keys, rate
# window, mute, duplicate guards). Its stream feeds the aggregator and the close-out (chalicelib/workers).
# Sparse indexes: `moderation_queue` over open cases, one partition per priority, ordered by age (keys only: cases
# are then read consistently); `decisions_by_account` over decisions addressed to an account (keys only);
# `statements` over transparency statements, one partition per day; `appeals_queue` over open appeals, oldest first
# (appeals are few: one partition).
# TTL enforces retention (decided reports 400 days after their decision; duplicate guards and keys after 24 hours);
# nothing undecided has a TTL.
REPORTS = TableSpec(
    logical_id="ReportsTable",
    env_var="REPORTS_TABLE",
    default_name="safety-reports",
    partition_key="pk",
    sort_key="sk",
    indexes=(
        IndexSpec("moderation_queue", "queue_pk", "queue_sk", projection="KEYS_ONLY"),
        IndexSpec("decisions_by_account", "affected_pk", "affected_sk", projection="KEYS_ONLY"),
        IndexSpec("statements", "stmt_pk", "stmt_sk"),
        IndexSpec("appeals_queue", "appeal_q_pk", "appeal_q_sk", projection="KEYS_ONLY"),
    ),
    ttl_attribute="expires_at",
    stream_view_type="NEW_AND_OLD_IMAGES",
)

# Powertools idempotency records (POST /v1/accounts), keyed per caller; expired by TTL.
IDEMPOTENCY = TableSpec(
    logical_id="IdempotencyTable",
    env_var="IDEMPOTENCY_TABLE",
    default_name="safety-idempotency",
    partition_key="id",
    ttl_attribute="expiration",
)

# Compliance exports (chalicelib/store/exports_store.py): per export `pk = EXPORT#<id>`, `sk = STATE` (the request,
# written once, and its progress: a set of finished segments and a count of accounts) and `sk = SEGMENT#<n>` (what a
# finished segment found). The `exports_by_time` index lists every export, newest first (exports are few: one
# partition). Nothing here expires: an export's record is an audit record of who asked for what, and when.
EXPORTS = TableSpec(
    logical_id="ExportsTable",
    env_var="EXPORTS_TABLE",
    default_name="safety-exports",
    partition_key="pk",
    sort_key="sk",
    indexes=(IndexSpec("exports_by_time", "list_pk", "list_sk"),),
)

ALL_TABLES: tuple[TableSpec, ...] = (SETTINGS, REPORTS, IDEMPOTENCY, EXPORTS)


def create_tables(client: Any, env: Mapping[str, str] | None = None) -> None:
    """Creates every table that does not exist yet, with its TTL, named from `env` (default: the process
    environment). The local stack, the tests and the benchmarks all build their tables here."""
    env = os.environ if env is None else env
    existing = set(client.list_tables()["TableNames"])
    for spec in ALL_TABLES:
        name = spec.name_in(env)
        if name not in existing:
            client.create_table(**spec.create_table_kwargs(name))
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
