"""Cold start: wall time to import the app against importing only the libraries it cannot do without.

Each figure is a fresh interpreter (`python -c ...`, this venv's python, cwd = repo root), so it includes the
interpreter's own start-up, as a Lambda cold start does. The commands alternate (in reversed order every other round)
so drift hits all alike; one untimed run of each first writes every module's bytecode to a cache of the benchmark's
own (`PYTHONPYCACHEPREFIX`), so both sides read compiled modules even where the shell sets PYTHONDONTWRITEBYTECODE
(which would otherwise make ours compile its own source on every run while the libraries' .pyc came with pip).
`-X importtime` then names the modules ours adds. Each run's CPU time (user + system, from `getrusage`) is kept too:
on a busy machine wall time also counts the time a process waits for a core, CPU time does not.

`app.py` reads nothing at import: it composes its dependencies on the first request and the stores build the DynamoDB
client on first use. So a second pair (shown without a target) takes both sides up to a DynamoDB client: ours imports
the app, composes the API's dependencies (configuration checked, keys derived, policy loaded, stores built) and builds
the shared client; the baseline adds `boto3.client('dynamodb')`. Ours composes with `compose_api(config, secret)`,
skipping only the SSM read of the root secret that a deployed first request makes (a network round trip).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.environment import CONFIG_ENV, REPO_ROOT, ROOT_SECRET

APP_IMPORT = "import app"
BASELINE_IMPORT = "import boto3, chalice, pydantic"
APP_FIRST_CLIENT = (
    "import app; from chalicelib.api.composition import compose_api; from chalicelib.config import load_api_config; "
    f"compose_api(load_api_config({CONFIG_ENV!r}), {ROOT_SECRET!r}).dynamodb()"
)
BASELINE_FIRST_CLIENT = "import boto3, chalice, pydantic; boto3.client('dynamodb')"
TARGET_RATIO = 1.25
BYTECODE_CACHE = Path(tempfile.gettempdir()) / "safety-settings-bench-pycache"


@dataclass(frozen=True)
class Comparison:
    """Wall times (and CPU times) of our command against its baseline, run alternately."""

    ours: str
    baseline: str
    ours_ms: tuple[float, ...]
    baseline_ms: tuple[float, ...]
    ours_cpu_ms: tuple[float, ...]
    baseline_cpu_ms: tuple[float, ...]

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
    def cpu_ratio(self) -> float:
        return statistics.median(self.ours_cpu_ms) / statistics.median(self.baseline_cpu_ms)

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
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(BYTECODE_CACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=True)


def _timed_ms(code: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    _run_python("-c", code)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def measure_cold_start(runs: int) -> ColdStart:
    commands = (APP_IMPORT, BASELINE_IMPORT, APP_FIRST_CLIENT, BASELINE_FIRST_CLIENT)
    for code in commands:
        _timed_ms(code)
    samples: dict[str, list[tuple[float, float]]] = {code: [] for code in commands}
    for round_number in range(runs):
        for code in commands if round_number % 2 == 0 else reversed(commands):
            samples[code].append(_timed_ms(code))

    def compare(ours: str, baseline: str) -> Comparison:
        def wall(code: str) -> tuple[float, ...]:
            return tuple(wall_ms for wall_ms, _ in samples[code])

        def cpu(code: str) -> tuple[float, ...]:
            return tuple(cpu_ms for _, cpu_ms in samples[code])

        return Comparison(ours, baseline, wall(ours), wall(baseline), cpu(ours), cpu(baseline))

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
