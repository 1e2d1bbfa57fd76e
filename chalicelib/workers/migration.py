"""The policy migration as a Lambda function (`policy_migration`, invoked after a deploy that brings a new version into
force, or by an operator): it migrates until a minute before its time limit and answers whether it is done; invoking
it again carries on (the migration is resumable by construction, chalicelib.services.migration). The operator's
command line runs the same code (`safety-settings policy migrate`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice

if TYPE_CHECKING:
    from chalicelib.services.migration import Impact, MigrationDeps
    from chalicelib.services.ports import Clock

STOP_WITH_MS_LEFT = 60_000


def compose_migration(env: Mapping[str, str], target: str | None = None, clock: Clock | None = None) -> MigrationDeps:
    """The settings table and the policies: the target (`target`, else POLICY_VERSION, else the newest) and every kept
    version accounts may be on. No key: a migration never opens a band end."""
    from chalicelib.config import load_transitions_config, policy_in_force
    from chalicelib.policy import load_policy
    from chalicelib.services.migration import MigrationDeps
    from chalicelib.store.dynamo import make_dynamodb_client
    from chalicelib.store.settings_store import SettingsStore
    from chalicelib.workers.transitions import utc_now

    config = load_transitions_config(env)
    client = functools.cache(lambda: make_dynamodb_client(config.region))
    store = SettingsStore(config.settings_table, client, _never_pages())
    return MigrationDeps(
        store=store,
        policy=policy_in_force(target or config.policy_version),
        policies=load_policy,
        clock=clock or utc_now,
    )


def _never_pages() -> Any:
    import os  # os.urandom only

    from chalicelib.store.cursors import CursorSealer

    return CursorSealer(os.urandom(32))


def run_migration_job(deps: MigrationDeps, should_stop: Callable[[], bool], dry_run: bool = False) -> Impact:
    from chalicelib.observability import count, logger
    from chalicelib.policy import kept_versions
    from chalicelib.services.migration import run_migration, versions_to_migrate

    impact = run_migration(
        deps, versions_to_migrate(kept_versions(), deps.policy.version), dry_run=dry_run, should_stop=should_stop
    )
    summary = impact.as_dict()
    logger().info("policy migration", extra={"migration": {k: v for k, v in summary.items() if k != "touched"}})
    for name, value in (("Changed", impact.changed), ("Restamped", impact.restamped), ("Conflicts", impact.conflicts)):
        count(f"PolicyMigration{name}", value=value)
    return impact


def register_migration(app: Chalice, compose: Callable[[], MigrationDeps]) -> None:
    composed = functools.cache(compose)

    @app.lambda_function(name="policy_migration")
    def policy_migration(event: Any, context: Any) -> dict[str, Any]:
        remaining: Callable[[], int] = getattr(context, "get_remaining_time_in_millis", lambda: 15 * 60_000)
        dry_run = isinstance(event, dict) and event.get("dry_run") is True
        stopping = [False]

        def should_stop() -> bool:
            stopping[0] = stopping[0] or remaining() < STOP_WITH_MS_LEFT
            return stopping[0]

        impact = run_migration_job(composed(), should_stop, dry_run=dry_run)
        return {**impact.as_dict(), "done": not stopping[0] and impact.complete}
