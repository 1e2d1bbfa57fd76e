"""Cold start: wall time to import the app against importing only the libraries it cannot do without.

Each figure is a fresh interpreter (`python -c ...`, this venv's python, cwd = repo root), so it includes the
interpreter's own start-up, as a Lambda cold start does. The commands alternate (in reversed order every other round)
so drift hits all alike; one untimed run of each first, so .pyc files exist. `-X importtime` then names the modules
ours adds.

`app.py` reads nothing at import: it composes its dependencies on the first request and the stores build the DynamoDB
client on first use. So a second pair (shown without a target) takes both sides up to a DynamoDB client: ours imports
the app, composes the API's dependencies (configuration checked, keys derived, policy loaded, stores built) and builds
the shared client; the baseline adds `boto3.client('dynamodb')`. Ours composes with `compose_api(config, secret)`,
skipping only the SSM read of the root secret that a deployed first request makes (a network round trip).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass

from bench.environment import CONFIG_ENV, REPO_ROOT, ROOT_SECRET

APP_IMPORT = "import app"
BASELINE_IMPORT = "import boto3, chalice, pydantic"
APP_FIRST_CLIENT = (
    "import app; from chalicelib.api.composition import compose_api; from chalicelib.config import load_api_config; "
    f"compose_api(load_api_config({CONFIG_ENV!r}), {ROOT_SECRET!r}).dynamodb()"
)
BASELINE_FIRST_CLIENT = "import boto3, chalice, pydantic; boto3.client('dynamodb')"
TARGET_RATIO = 1.25


@dataclass(frozen=True)
class Comparison:
    """Wall times of our command against its baseline, run alternately."""

    ours: str
    baseline: str
    ours_ms: tuple[float, ...]
    baseline_ms: tuple[float, ...]

    @property
    def ours_median_ms(self) -> float:
        return statistics.median(self.ours_ms)

    @property
    def baseline_median_ms(self) -> float:
        return statistics.median(self.baseline_ms)

    @property
    def ratio(self) -> float:
        return self.ours_median_ms / self.baseline_median_ms

    @property
    def verdict(self) -> str:
        return "PASS" if self.ratio <= TARGET_RATIO else "MISS"


@dataclass(frozen=True)
class ColdStart:
    imports: Comparison  # the figure with the target
    first_client: Comparison  # for context: up to the first DynamoDB client


@dataclass(frozen=True)
class ImportCost:
    module: str
    self_ms: float
    cumulative_ms: float


def _run_python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=dict(os.environ), capture_output=True, text=True, check=True
    )


def _wall_ms(code: str) -> float:
    started = time.perf_counter()
    _run_python("-c", code)
    return (time.perf_counter() - started) * 1000


def measure_cold_start(runs: int) -> ColdStart:
    commands = (APP_IMPORT, BASELINE_IMPORT, APP_FIRST_CLIENT, BASELINE_FIRST_CLIENT)
    for code in commands:
        _wall_ms(code)
    runs_ms: dict[str, list[float]] = {code: [] for code in commands}
    for round_number in range(runs):
        for code in commands if round_number % 2 == 0 else reversed(commands):
            runs_ms[code].append(_wall_ms(code))

    def compare(ours: str, baseline: str) -> Comparison:
        return Comparison(ours, baseline, tuple(runs_ms[ours]), tuple(runs_ms[baseline]))

    return ColdStart(compare(APP_IMPORT, BASELINE_IMPORT), compare(APP_FIRST_CLIENT, BASELINE_FIRST_CLIENT))


def _import_times(code: str) -> dict[str, tuple[float, float]]:
    """module -> (self µs, cumulative µs), parsed from `-X importtime`'s stderr."""
    times: dict[str, tuple[float, float]] = {}
    for line in _run_python("-X", "importtime", "-c", code).stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, module = line.removeprefix("import time:").split("|")
        times[module.strip()] = (float(self_us), float(cumulative_us))
    return times


def added_imports(ours: str, baseline: str, runs: int = 5) -> list[ImportCost]:
    """Modules `ours` loads that `baseline` does not, by median self time over `runs` runs, costliest first."""
    baseline_modules = set(_import_times(baseline))
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _ in range(runs):
        for module, times in _import_times(ours).items():
            if module not in baseline_modules:
                samples[module].append(times)
    costs = [
        ImportCost(
            module,
            statistics.median(self_us for self_us, _ in times) / 1000,
            statistics.median(cumulative for _, cumulative in times) / 1000,
        )
        for module, times in samples.items()
    ]
    return sorted(costs, key=lambda cost: cost.self_ms, reverse=True)


def by_top_package(costs: list[ImportCost]) -> list[tuple[str, float, int]]:
    """(top-level package, summed self ms, module count) of the added imports, costliest first."""
    totals: dict[str, list[float]] = defaultdict(list)
    for cost in costs:
        totals[cost.module.split(".")[0]].append(cost.self_ms)
    grouped = [(package, sum(selfs), len(selfs)) for package, selfs in totals.items()]
    return sorted(grouped, key=lambda row: row[1], reverse=True)
