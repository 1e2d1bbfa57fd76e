"""The service's own CPU per request, with storage replaced by an in-memory fake.

The API's dependencies are composed as in `app.py` (minus the SSM read), then the settings store is swapped for
`bench.fake_store.InMemorySettingsStore` with `dataclasses.replace`, everywhere the composition uses it. Each request
is timed with `time.process_time` (CPU of this process, so sleeping or I/O would not count) after a warm-up, GC left
on as in Lambda. Three ways in:
- direct: the deployed app (`create_app(cognito_authorizer, ...)`, as `app.py` builds it) called as
  `app(event, context)` with a prepared API Gateway proxy event, as Lambda runs it in AWS (the Cognito claims are
  already in `requestContext.authorizer.claims`, so no token is checked in-process);
- client: the local app (`devstack.local_app`) through chalice's test client, which adds its local gateway and the
  local HS256 authorizer (local runs and tests only);
- bare: a one-route Chalice app with no middleware, both ways, to show what Chalice and the test client cost alone.
The figures are measured in alternating rounds (each round times a slice of every figure in turn), so a change in
the machine's load during the run hits all of them alike. Log and metric lines are still formatted and written, to
/dev/null.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from bench.calls import (
    OWNER,
    SIGNUP_SERVICE,
    auth_headers,
    chalice_test_client,
    deployed_app,
    lambda_context,
    local_app,
    proxy_event,
)
from bench.environment import compose, quiet_stdout
from bench.fake_store import InMemorySettingsStore
from bench.round_trips import fourteen_year_old_birth_date

ROUND_TRIP_US = 5_000.0  # one DynamoDB round trip, taken as 5 ms
TARGET_US = ROUND_TRIP_US / 10
ROUNDS = 10
REWARM = 20
SETTINGS_RESOURCE = "/v1/accounts/{account_id}/settings"
# Both values are allowed for a 13-15 account, so every PATCH is a real change that writes an event.
COMMENTS_TOGGLE = ("no_one", "friends")

Call = Callable[[], int]  # makes one request, returns its HTTP status


@dataclass(frozen=True)
class CpuFigure:
    label: str
    samples_us: tuple[float, ...]
    has_target: bool = False

    @property
    def mean_us(self) -> float:
        return statistics.fmean(self.samples_us)

    @property
    def p50_us(self) -> float:
        return statistics.median(self.samples_us)

    @property
    def p95_us(self) -> float:
        return statistics.quantiles(self.samples_us, n=20)[-1]

    @property
    def round_trip_ratio(self) -> float:
        return self.mean_us / ROUND_TRIP_US

    @property
    def verdict(self) -> str:
        if not self.has_target:
            return "-"
        return "PASS" if self.mean_us <= TARGET_US else "MISS"


def alternated_samples(
    calls: dict[str, Call], requests: int, warmup: int, rounds: int = ROUNDS, rewarm: int = REWARM
) -> dict[str, list[float]]:
    """µs of CPU per request for each call: `warmup` untimed each, then `requests` timed each, in `rounds` rounds;
    each round's slice starts with `rewarm` untimed requests, so caches cooled by the other figures are not timed."""
    for call in calls.values():
        for _ in range(warmup):
            _check(call(), 200)
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for slice_size in _slices(requests, rounds):
        for label, call in calls.items():
            for _ in range(rewarm):
                _check(call(), 200)
            for _ in range(slice_size):
                started = time.process_time()
                status = call()
                samples[label].append((time.process_time() - started) * 1e6)
                _check(status, 200)
    return samples


def _slices(total: int, rounds: int) -> list[int]:
    base, extra = divmod(total, rounds)
    return [base + (1 if index < extra else 0) for index in range(rounds) if base or index < extra]


def _check(status: int, expected: int) -> None:
    # Not a timing assertion: a benchmark of error responses would be a benchmark of the wrong thing.
    if status != expected:
        raise RuntimeError(f"expected HTTP {expected}, got {status}")


def with_settings_store(deps: Any, store: Any) -> Any:
    """`deps` with every use of the settings store going to `store` (sign-up and settings, and reports' age bands)."""
    return replace(
        deps, accounts=replace(deps.accounts, store=store), reporting=replace(deps.reporting, accounts=store)
    )


def measure_cpu(requests: int, warmup: int = 100, rounds: int = ROUNDS, rewarm: int = REWARM) -> list[CpuFigure]:
    store = InMemorySettingsStore()
    deps = with_settings_store(compose(), store)
    with quiet_stdout(), chalice_test_client(local_app(deps)) as client, _bare_app() as bare_calls:
        _sign_up(client.http)
        calls = {**_service_calls(deployed_app(deps), client.http), **bare_calls}
        samples = alternated_samples(calls, requests, warmup, rounds, rewarm)
    if deps.dynamodb.cache_info().currsize:  # the provider is a functools.cache: a client was built
        raise RuntimeError("a timed request reached DynamoDB; the CPU figures would include storage")
    patches = 2 * (warmup + requests + rewarm * len(_slices(requests, rounds)))  # direct and client, untimed too
    if store.event_count(OWNER) != 1 + patches:  # the sign-up's event, then one per PATCH
        raise RuntimeError(f"expected {patches} PATCHes to be real changes; {store.event_count(OWNER) - 1} were")
    return [CpuFigure(label, tuple(times), has_target=label.startswith("direct")) for label, times in samples.items()]


def _sign_up(http: Any) -> None:
    body = {"account_id": OWNER, "birth_date": fourteen_year_old_birth_date(), "country": "GB"}
    headers = auth_headers(SIGNUP_SERVICE, SIGNUP_SERVICE)
    response = http.request("POST", "/v1/accounts", headers=headers, body=json.dumps(body).encode())
    _check(response.status_code, 201)


def _service_calls(app: Any, http: Any) -> dict[str, Call]:
    context = lambda_context()
    path_params = {"account_id": OWNER}
    path = f"/v1/accounts/{OWNER}/settings"
    headers = auth_headers(OWNER)
    get_event = proxy_event("GET", SETTINGS_RESOURCE, path_params)
    patches = {value: {"settings": {"comments": value}} for value in COMMENTS_TOGGLE}
    patch_events = {
        value: proxy_event("PATCH", SETTINGS_RESOURCE, path_params, body) for value, body in patches.items()
    }
    patch_bodies = {value: json.dumps(body).encode() for value, body in patches.items()}
    # One toggle for both ways in, so every PATCH changes the value whatever the request counts.
    toggle = itertools.cycle(COMMENTS_TOGGLE)
    return {
        "direct GET settings": lambda: app(get_event, context)["statusCode"],
        "direct PATCH settings": lambda: app(patch_events[next(toggle)], context)["statusCode"],
        "client GET settings": lambda: http.request("GET", path, headers=headers).status_code,
        "client PATCH settings": lambda: (
            http.request("PATCH", path, headers=headers, body=patch_bodies[next(toggle)]).status_code
        ),
    }


@contextmanager
def _bare_app() -> Iterator[dict[str, Call]]:
    """A one-route Chalice app with no middleware, called both ways."""
    from chalice import Chalice

    bare = Chalice(app_name="bench-bare")

    @bare.route("/ping", methods=["GET"])
    def ping() -> dict[str, bool]:
        return {"ok": True}

    event = proxy_event("GET", "/ping")
    context = lambda_context()
    with chalice_test_client(bare) as client:
        yield {
            "bare Chalice app, direct": lambda: bare(event, context)["statusCode"],
            "bare Chalice app, client": lambda: client.http.get("/ping").status_code,
        }
