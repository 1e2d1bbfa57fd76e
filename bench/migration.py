"""The policy migration over many accounts: DynamoDB calls per account and accounts per second. Prints figures,
asserts nothing.

In-process moto with `devstack.moto_patches` (as bench/transitions.py), the service's table definitions and the
migration's own composition (`compose_migration`). Each size seeds that many accounts signed up under 2026-11-25
(GB, FR and US; 13-15, 16-17 and 18+; a third of them suggested to others), written straight into the table; a dry
run shows the impact, then one run brings them all under the newest version. A second run shows what a finished
migration costs. moto answers in microseconds where DynamoDB takes milliseconds: accounts per second here is the
migration's CPU plus moto's; the README turns the call counts into an estimate for AWS.

Usage: .venv/bin/python bench/migration.py [--accounts 10000 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment

environment.prepare()

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.domain.models import Account, AgeAssurance  # noqa: E402
from chalicelib.policy import kept_versions, load_policy  # noqa: E402
from chalicelib.services.migration import MigrationDeps, run_migration, versions_to_migrate  # noqa: E402
from chalicelib.store.settings_store import _account_item  # noqa: E402
from chalicelib.workers.migration import compose_migration  # noqa: E402
from devstack import moto_patches  # noqa: E402
from devstack.scale_items import write_all  # noqa: E402
from infra.tables import SETTINGS, create_tables  # noqa: E402

REGION = environment.REGION
PREVIOUS = "2026-11-25"
SIGNED_UP = datetime(2026, 11, 25, 12, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
COUNTRIES = ("GB", "FR", "US")
BANDS = ("13-15", "16-17", "18+")


def seed(deps: MigrationDeps, count: int) -> None:
    old = load_policy(PREVIOUS)
    items: list[dict[str, Any]] = []
    for number in range(count):
        band = BANDS[number % 3]
        settings = {name: rule.bands[band].default for name, rule in old.settings.items()}
        if number % 3 == 1:
            settings["suggest_account"] = True  # allowed for 16-17 under the previous version
        account = Account(
            account_id=f"acct-{number:07d}",
            age_band=band,
            age_assurance=AgeAssurance.SELF_DECLARED,
            policy_version=PREVIOUS,
            version=2,
            settings=settings,
            created_at=SIGNED_UP,
            country=COUNTRIES[(number // 3) % 3],
        )
        items.append(_account_item(account))
    write_all(deps.store.client, SETTINGS.default_name, items)  # type: ignore[attr-defined]


def measure(count: int) -> dict[str, Any]:
    with mock_aws():
        moto_patches.install()
        try:
            create_tables(boto3.client("dynamodb", region_name=REGION))
            deps = compose_migration({"AWS_REGION": REGION}, clock=lambda: NOW)
            seed(deps, count)
            versions = versions_to_migrate(kept_versions(), deps.policy.version)
            calls: Counter[str] = Counter()
            client = deps.store.client  # type: ignore[attr-defined]
            client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
            started = time.perf_counter()
            dry = run_migration(deps, versions, dry_run=True)
            dry_seconds, dry_calls = time.perf_counter() - started, dict(calls)
            calls.clear()
            started = time.perf_counter()
            run = run_migration(deps, versions)
            seconds, run_calls = time.perf_counter() - started, dict(calls)
            calls.clear()
            started = time.perf_counter()
            again = run_migration(deps, versions)
            again_seconds = time.perf_counter() - started
        finally:
            moto_patches.uninstall()
    return {
        "accounts": count,
        "dry": dry,
        "dry_seconds": dry_seconds,
        "dry_calls": dry_calls,
        "run": run,
        "seconds": seconds,
        "calls": run_calls,
        "again": again,
        "again_calls": dict(calls),
        "again_seconds": again_seconds,
    }


def report(figure: dict[str, Any]) -> None:
    count, run, dry = figure["accounts"], figure["run"], figure["dry"]
    total = sum(figure["calls"].values())
    operations = ", ".join(f"{name} {number}" for name, number in sorted(figure["calls"].items()))
    print(
        f"{count:>7} accounts: changed {run.changed}, re-stamped {run.restamped}, conflicts {run.conflicts}"
        f" in {figure['seconds']:.1f} s = {count / figure['seconds']:,.0f} accounts/s;"
        f" {total} DynamoDB calls = {total / count:.3f} per account ({operations})"
    )
    dry_total = sum(figure["dry_calls"].values())
    print(
        f"{'':>7} dry run first: would change {dry.changed}, {figure['dry_seconds']:.1f} s, {dry_total} calls"
        f" = {dry_total / count:.3f} per account (reads only); equal to the run: {dry.touched == run.touched}"
    )
    again = sum(figure["again_calls"].values())
    print(
        f"{'':>7} run again: seen {figure['again'].seen}, {again} calls (one empty query per index partition),"
        f" {figure['again_seconds'] * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for count in args.accounts:
        report(measure(count))


if __name__ == "__main__":
    main()
