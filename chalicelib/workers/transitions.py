"""The daily birthday job: `@app.schedule` shortly after 00:00 UTC, then every 15 minutes until 02:00 UTC.

The first run of a day moves every account due; if it runs short of time (a minute before the Lambda's limit) it
saves its place and the next slot finishes the day. Once a day is finished, later slots read one item and stop.
Each run logs its counts and emits them as metrics. It is the only function composed with the key's opener.
"""

from __future__ import annotations

import functools
import os  # os.urandom only
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from chalice.app import Chalice, Cron

if TYPE_CHECKING:
    from chalicelib.services.ports import Clock
    from chalicelib.services.transitions import TransitionRun, TransitionsDeps

# Minutes 5, 20, 35 and 50 of hours 00 and 01 UTC: the first slot does the day, the others only finish it.
SCHEDULE = Cron("5/15", "0-1", "*", "*", "?", "*")
STOP_WITH_MS_LEFT = 60_000


def utc_now() -> datetime:
    return datetime.now(UTC)


def compose_transitions(env: Mapping[str, str], clock: Clock | None = None) -> TransitionsDeps:
    """The settings table, the policy, the clock and the band-end key's opener; nothing else."""
    from chalicelib.config import load_transitions_config, policy_in_force
    from chalicelib.services.transitions import TransitionsDeps
    from chalicelib.store.band_ends import BandEndOpener
    from chalicelib.store.cursors import CursorSealer
    from chalicelib.store.dynamo import make_dynamodb_client
    from chalicelib.store.guardians_store import GuardianStore
    from chalicelib.store.settings_store import SettingsStore

    config = load_transitions_config(env)
    client = functools.cache(lambda: make_dynamodb_client(config.region))
    store = SettingsStore(config.settings_table, client, CursorSealer(os.urandom(32)))  # never pages for a client
    return TransitionsDeps(
        store=store,
        policy=policy_in_force(config.policy_version),
        band_ends=BandEndOpener(config.band_end_key_alias, config.region),
        clock=clock or utc_now,
        links=GuardianStore(config.settings_table, client),
    )


def run_scheduled(deps: TransitionsDeps, should_stop: Callable[[], bool]) -> TransitionRun:
    """Today's run (the UTC date), logged and counted."""
    from chalicelib.observability import count, logger
    from chalicelib.policy import load_policy
    from chalicelib.services.migration import MigrationDeps, MigrationStore, apply_overlays_taking_effect
    from chalicelib.services.transitions import run_transitions

    run = run_transitions(deps, deps.clock().date(), should_stop=should_stop)
    if run.complete:
        store = cast("MigrationStore", deps.store)  # the composed adapter serves both ports
        overlays = apply_overlays_taking_effect(
            MigrationDeps(store=store, policy=deps.policy, policies=load_policy, clock=deps.clock), run.day
        )
        logger().info("overlays taking effect", extra={"overlays": overlays.as_dict()})
    summary = {
        "day": run.day.isoformat(),
        "complete": run.complete,
        "resumed": run.resumed,
        "partitions_done": run.partitions_done,
        "partitions": run.partitions,
        **{name: getattr(run.counts, name) for name in ("due", "moved", "already_moved", "failed", "deactivated")},
    }
    logger().info("band transitions", extra={"transitions": summary, "failed_accounts": run.failed_accounts})
    for name in (
        "due",
        "moved",
        "already_moved",
        "failed",
        "deactivated",
    ):  # what this invocation did, not the day so far
        done = getattr(run.counts, name) - getattr(run.counts_before, name)
        count(f"BandTransitions{name.title().replace('_', '')}", value=done)
    return run


def register_transitions(app: Chalice, compose: Callable[[], TransitionsDeps]) -> None:
    composed = functools.cache(compose)

    @app.schedule(SCHEDULE, name="band_transitions")
    def band_transitions(event: Any) -> dict[str, Any]:
        context = getattr(event, "context", None)  # the Lambda context
        remaining: Callable[[], int] = getattr(context, "get_remaining_time_in_millis", lambda: 15 * 60_000)
        run = run_scheduled(composed(), lambda: remaining() < STOP_WITH_MS_LEFT)
        return {"day": run.day.isoformat(), "complete": run.complete, "moved": run.counts.moved}
