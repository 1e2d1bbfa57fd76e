"""Benchmark of the safety-settings service: prints figures, never asserts on timing (`make bench`).

1. Cold start: wall time of `python -c "import app"` against `python -c "import boto3, chalice, pydantic"`, as
   alternated subprocesses, medians and their ratio (target <= 1.25); for context, the same up to the first DynamoDB
   client (ours: import the app, compose the API's dependencies with `compose_api(config, secret)` -- everything the
   first request composes but the SSM read of the root secret -- and build the client; the baseline:
   `boto3.client('dynamodb')`); and the modules each of ours adds, by `-X importtime`.
2. DynamoDB round trips per route, counted from botocore's `before-call` events on the composition's one DynamoDB
   client (every store's, Powertools idempotency's too), calling the local app through chalice's test client inside
   moto with the real table definitions (`infra/tables.py`); sign-up with and without an Idempotency-Key.
3. The service's own CPU per request (`time.process_time`) with the settings store replaced by an in-memory fake:
   the deployed (Cognito) app's `app(event, context)` called directly with an API Gateway event, and the local app
   through chalice's test client, against a bare Chalice app for scale, in alternating rounds; target <= 0.5 ms for
   direct GET and PATCH, a tenth of one DynamoDB round trip (taken as 5 ms).
4. A markdown table of all figures, to paste in the README.
5. The size of the Lambda deployment package (`make package`) and its top-level packages.

Usage: .venv/bin/python bench/run.py [--runs 25] [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment

environment.prepare()

from bench import package_size  # noqa: E402
from bench.cold_start import (  # noqa: E402
    APP_FIRST_CLIENT,
    APP_IMPORT,
    BASELINE_FIRST_CLIENT,
    BASELINE_IMPORT,
    TARGET_RATIO,
    ColdStart,
    Comparison,
    ImportCost,
    added_imports,
    by_top_package,
    measure_cold_start,
)
from bench.cpu import ROUND_TRIP_US, TARGET_US, CpuFigure, measure_cpu  # noqa: E402
from bench.round_trips import RoundTrips, measure_round_trips  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=25, help="cold-start runs of each command (default 25)")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per CPU figure (default 2000)")
    return parser.parse_args()


def load_average() -> str:
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def heading(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def report_cold_start(cold: ColdStart) -> None:
    report_comparison(cold.imports, f"(target <= {TARGET_RATIO}) {cold.imports.verdict}")
    print("\nFor context, up to the first DynamoDB client (import, compose without the SSM read, the client):")
    report_comparison(cold.first_client, "(no target)")


def report_comparison(comparison: Comparison, verdict: str) -> None:
    print(f"ours:     python -c {comparison.ours!r}")
    print(f"          median {comparison.ours_median_ms:.1f} ms; runs {_runs(comparison.ours_ms)}")
    print(f"baseline: python -c {comparison.baseline!r}")
    print(f"          median {comparison.baseline_median_ms:.1f} ms; runs {_runs(comparison.baseline_ms)}")
    print(f"ratio of medians {comparison.ratio:.2f} {verdict}")
    ours_cpu, baseline_cpu = statistics.median(comparison.ours_cpu_ms), statistics.median(comparison.baseline_cpu_ms)
    print(f"CPU (user + system) medians {ours_cpu:.0f} / {baseline_cpu:.0f} ms = {comparison.cpu_ratio:.2f}")


def _runs(milliseconds: tuple[float, ...]) -> str:
    return ", ".join(f"{ms:.0f}" for ms in milliseconds) + " ms"


def report_added_imports(title: str, costs: list[ImportCost]) -> None:
    print(f"Top 10 self-contributors that {title} (median of 5 runs):")
    print(f"{'self ms':>8} {'cumul. ms':>10}  module")
    for cost in costs[:10]:
        print(f"{cost.self_ms:8.1f} {cost.cumulative_ms:10.1f}  {cost.module}")
    total = sum(cost.self_ms for cost in costs)
    print(f"\nAll {len(costs)} added modules: {total:.1f} ms self time. By top-level package:")
    for package, self_ms, modules in by_top_package(costs)[:8]:
        print(f"{self_ms:8.1f} ms  {package} ({modules} modules)")


def report_round_trips(trips: list[RoundTrips]) -> None:
    for trip in trips:
        target = "-" if trip.target is None else f"<= {trip.target}"
        operations = ", ".join(trip.operations) or "none"
        others = f"  + {', '.join(trip.other_calls)}" if trip.other_calls else ""
        print(
            f"{trip.label:64} HTTP {trip.status}  {trip.count} ({operations}){others}  target {target}  {trip.verdict}"
        )


def report_cpu(figures: list[CpuFigure]) -> None:
    print(f"{'':28} {'mean µs':>9} {'p50 µs':>8} {'p95 µs':>8}  x 5 ms round trip")
    for figure in figures:
        print(
            f"{figure.label:28} {figure.mean_us:9.1f} {figure.p50_us:8.1f} {figure.p95_us:8.1f}"
            f"  {figure.round_trip_ratio:.3f}  {figure.verdict}"
        )
    print(f"\ntarget for direct GET/PATCH: mean <= {TARGET_US:.0f} µs ({TARGET_US / ROUND_TRIP_US:.1f} round trip)")
    report_overheads({figure.label: figure.p50_us for figure in figures})


def report_overheads(p50_us: dict[str, float]) -> None:
    """Differences of medians: what the test client adds, and what is ours beyond Chalice's dispatch."""
    bare_direct = p50_us["bare Chalice app, direct"]
    gateway = p50_us["bare Chalice app, client"] - bare_direct
    print("differences of p50s, to see what is ours:")
    print(f"  test client + local gateway alone (bare app, client - direct): {gateway:.0f} µs")
    for method in ("GET", "PATCH"):
        direct = p50_us[f"direct {method} settings"]
        client = p50_us[f"client {method} settings"]
        print(f"  {method}: client - direct = {client - direct:.0f} µs (local gateway + local HS256 authorizer)")
        print(
            f"  {method}: direct - bare Chalice = {direct - bare_direct:.0f} µs (our middleware, route, services, logs)"
        )


def summary_table(cold: ColdStart, trips: list[RoundTrips], figures: list[CpuFigure]) -> str:
    imports, first_client = cold.imports, cold.first_client
    rows = [
        (
            "Cold start: `import app` / `import boto3, chalice, pydantic` (medians)",
            f"{imports.ours_median_ms:.0f} / {imports.baseline_median_ms:.0f} ms = {imports.ratio:.2f}",
            f"<= {TARGET_RATIO}",
            imports.verdict,
        ),
        (
            "Cold start up to the first DynamoDB client (import, compose without the SSM read, client; medians)",
            f"{first_client.ours_median_ms:.0f} / {first_client.baseline_median_ms:.0f} ms = {first_client.ratio:.2f}",
            "-",
            "-",
        ),
    ]
    for trip in trips:
        target = "-" if trip.target is None else f"<= {trip.target}"
        rows.append((f"DynamoDB round trips: {trip.label}", str(trip.count), target, trip.verdict))
    for figure in figures:
        target = f"<= {TARGET_US:.0f} µs" if figure.has_target else "-"
        measured = f"{figure.mean_us:.0f} µs ({figure.round_trip_ratio:.3f} round trip)"
        rows.append((f"CPU per request: {figure.label}", measured, target, figure.verdict))
    lines = ["| figure | measured | target | result |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    python = f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    print(f"# safety-settings benchmark ({python})")
    print(f"\nload average at start: {load_average()}")

    heading(f"1. Cold start ({args.runs} alternated runs each)")
    cold = measure_cold_start(args.runs)
    report_cold_start(cold)
    print()
    report_added_imports("`import app` adds beyond boto3/chalice/pydantic", added_imports(APP_IMPORT, BASELINE_IMPORT))
    print()
    report_added_imports(
        "composing up to the first client adds beyond `import app` and the baseline's client",
        added_imports(APP_FIRST_CLIENT, f"{APP_IMPORT}; {BASELINE_FIRST_CLIENT}"),
    )

    heading("2. DynamoDB round trips per route (moto, botocore before-call events)")
    trips = measure_round_trips()
    report_round_trips(trips)

    heading(f"3. CPU per request, storage stubbed ({args.requests} requests each, time.process_time)")
    figures = measure_cpu(args.requests)
    report_cpu(figures)

    heading("4. Summary")
    print(summary_table(cold, trips, figures))
    print(f"\nload average at end: {load_average()} (1, 5, 15 min)")

    heading("5. Deployment package (build/package/deployment.zip)")
    package_size.report()


if __name__ == "__main__":
    main()
