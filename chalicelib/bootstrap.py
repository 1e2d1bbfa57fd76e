"""The one wiring point: the policy, the clock and the stores, built lazily on first use.

Tests and the local stack replace any of them with `override(...)`; a cold start pays only for what a request uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.config import get_config

if TYPE_CHECKING:
    from chalicelib.policy import Policy
    from chalicelib.store.reports_store import ReportsStore
    from chalicelib.store.settings_store import SettingsStore

Clock = Callable[[], datetime]

_overrides: dict[str, Any] = {}
_built: dict[str, Any] = {}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def override(**components: Any) -> None:
    """Replace components (`clock`, `policy`, `settings_store`, ...) until `reset()`."""
    _overrides.update(components)


def reset() -> None:
    _overrides.clear()
    _built.clear()


def _get(name: str, build: Callable[[], Any]) -> Any:
    if name in _overrides:
        return _overrides[name]
    if name not in _built:
        _built[name] = build()
    return _built[name]


def clock() -> Clock:
    result: Clock = _get("clock", lambda: _utc_now)
    return result


def policy() -> Policy:
    from chalicelib.policy import load_policy

    result: Policy = _get("policy", load_policy)
    return result


def settings_store() -> SettingsStore:
    from chalicelib.store.settings_store import SettingsStore

    result: SettingsStore = _get("settings_store", lambda: SettingsStore(get_config().settings_table))
    return result


def reports_store() -> ReportsStore:
    from chalicelib.store.reports_store import ReportsStore

    result: ReportsStore = _get("reports_store", lambda: ReportsStore(get_config().reports_table))
    return result


def report_submitter() -> Callable[..., Any]:
    """`submit_report` wrapped in Powertools idempotency, keyed per reporter (built on first use)."""

    def build() -> Callable[..., Any]:
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        from chalicelib.services.reports import submit_report
        from chalicelib.store.dynamo import dynamodb_client

        persistence = DynamoDBPersistenceLayer(
            table_name=get_config().idempotency_table, boto3_client=dynamodb_client()
        )
        config = IdempotencyConfig(
            event_key_jmespath="[reporter_id, idempotency_key]",
            payload_validation_jmespath="body",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=24 * 3600,
            use_local_cache=False,
        )
        wrapped: Callable[..., Any] = idempotent_function(
            submit_report, data_keyword_argument="submission", persistence_store=persistence, config=config
        )
        wrapped.idempotency_config = config  # type: ignore[attr-defined]
        return wrapped

    result: Callable[..., Any] = _get("report_submitter", build)
    return result
