"""The birthday job over many due accounts: DynamoDB calls per account and accounts per second. Prints figures,
asserts nothing.

In-process moto with `devstack.moto_patches` (moto as released copies every table on each transaction and sorts a
whole table on each query, which measures moto, not the job), the service's table definitions and KMS key, and the
job's own composition (`compose_transitions`). Each size seeds that many accounts of 13-15-year-olds whose 16th
birthdays fall on the 1st-28th of July 2027, sealed as sign-up seals them, written straight into the table; then one
run for 2027-07-31 moves them all, counting every DynamoDB call by operation. A second run the same day shows what a
finished day costs. moto answers in microseconds where DynamoDB takes milliseconds, so accounts per second here is
the job's own CPU plus moto's; the README turns the call counts into an estimate for AWS.

Usage: .venv/bin/python bench/transitions.py [--accounts 10000 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment

environment.prepare()

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib.domain.models import Account, AgeAssurance  # noqa: E402
from chalicelib.services.transitions import TransitionsDeps, run_transitions  # noqa: E402
from chalicelib.store.settings_store import _account_item  # noqa: E402
from chalicelib.workers.transitions import compose_transitions  # noqa: E402
from devstack import moto_patches  # noqa: E402
from devstack.scale_items import write_all  # noqa: E402
from infra.keys import create_keys  # noqa: E402
from infra.tables import SETTINGS, create_tables  # noqa: E402

REGION = environment.REGION
DAY = date(2027, 7, 31)
SIGNED_UP = datetime(2026, 11, 25, 12, tzinfo=UTC)


def seed(deps: TransitionsDeps, count: int) -> float:
    """`count` due accounts written in batches; returns the seconds sealing took (what sign-ups paid for it)."""
    defaults = {name: rule.bands["13-15"].default for name, rule in deps.policy.settings.items()}
    items: list[dict[str, Any]] = []
    sealing = 0.0
    for number in range(count):
        account_id = f"due-{number:07d}"
        sixteenth = date(2027, 7, 1 + number % 28)
        started = time.perf_counter()
        sealed = deps.band_ends.seal(account_id, (sixteenth, sixteenth.replace(year=2029)))
        sealing += time.perf_counter() - started
        account = Account(
            account_id=account_id,
            age_band="13-15",
            age_assurance=AgeAssurance.SELF_DECLARED,
            policy_version=deps.policy.version,
            version=1,
            settings=dict(defaults),
            created_at=SIGNED_UP,
            band_end_month="2027-07",
            band_end_sealed=sealed,
            country="GB",
        )
        items.append(_account_item(account))
    write_all(deps.store.client, SETTINGS.default_name, items)
    return sealing


def measure(count: int) -> dict[str, Any]:
    with mock_aws():
        moto_patches.install()
        try:
            create_tables(boto3.client("dynamodb", region_name=REGION))
            create_keys(boto3.client("kms", region_name=REGION))
            deps = compose_transitions({"AWS_REGION": REGION}, clock=lambda: datetime(2027, 7, 31, 0, 5, tzinfo=UTC))
            sealing = seed(deps, count)
            calls: Counter[str] = Counter()
            deps.store.client.meta.events.register(
                "before-call.dynamodb", lambda model, **_: calls.update([model.name])
            )
            started = time.perf_counter()
            run = run_transitions(deps, DAY)
            elapsed = time.perf_counter() - started
            first = dict(calls)
            calls.clear()
            again_started = time.perf_counter()
            again = run_transitions(deps, DAY)
            again_elapsed = time.perf_counter() - again_started
        finally:
            moto_patches.uninstall()
    return {
        "accounts": count,
        "moved": run.counts.moved,
        "failed": run.counts.failed,
        "complete": run.complete,
        "seconds": elapsed,
        "calls": first,
        "again_calls": dict(calls),
        "again_seconds": again_elapsed,
        "again_moved": again.counts.moved,
        "seal_us": sealing / count * 1e6,
    }


def report(figure: dict[str, Any]) -> None:
    count, seconds, calls = figure["accounts"], figure["seconds"], figure["calls"]
    total = sum(calls.values())
    by_operation = ", ".join(f"{name} {number}" for name, number in sorted(calls.items()))
    print(
        f"{count:>7} due accounts: moved {figure['moved']}, failed {figure['failed']}, complete {figure['complete']}"
        f" in {seconds:.1f} s = {count / seconds:,.0f} accounts/s;"
        f" {total} DynamoDB calls = {total / count:.3f} per account ({by_operation})"
    )
    again = sum(figure["again_calls"].values())
    print(
        f"{'':>7} the same day again: {again} call(s) ({', '.join(figure['again_calls'])}),"
        f" {figure['again_seconds'] * 1000:.1f} ms, moved counted {figure['again_moved']} (nothing written);"
        f" sealing at sign-up {figure['seal_us']:.0f} µs per account"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for count in args.accounts:
        report(measure(count))


if __name__ == "__main__":
    main()
