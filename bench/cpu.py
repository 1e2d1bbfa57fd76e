"""The service's own CPU per request, with storage replaced by an in-memory fake (`bootstrap.override`).

Each request is timed with `time.process_time` (CPU of this process, so sleeping or I/O would not count) after a
warm-up, GC left on as in Lambda. Three ways in:
- direct: `app(event, context)` with a prepared API Gateway proxy event, as Lambda runs it in AWS (the Cognito claims
  are already in the context, so no token is checked in-process);
- client: chalice's test client, which adds its local gateway and the built-in HS256 authorizer (local runs only);
- bare: a one-route Chalice app with no middleware, both ways, to show what Chalice and the test client cost alone.
Log and metric lines are still formatted and written, to /dev/null.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.calls import OWNER, SIGNUP_SERVICE, auth_headers, chalice_test_client, lambda_context, proxy_event
from bench.environment import quiet_stdout
from bench.fake_store import InMemorySettingsStore
from bench.round_trips import fourteen_year_old_birth_date

ROUND_TRIP_US = 5_000.0  # one DynamoDB round trip, taken as 5 ms
TARGET_US = ROUND_TRIP_US / 10
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


def cpu_samples(call: Call, requests: int, expected_status: int, warmup: int = 100) -> tuple[float, ...]:
    for _ in range(warmup):
        _check(call(), expected_status)
    samples = []
    for _ in range(requests):
        started = time.process_time()
        status = call()
        samples.append((time.process_time() - started) * 1e6)
        _check(status, expected_status)
    return tuple(samples)


def _check(status: int, expected: int) -> None:
    # Not a timing assertion: a benchmark of error responses would be a benchmark of the wrong thing.
    if status != expected:
        raise RuntimeError(f"expected HTTP {expected}, got {status}")


def measure_cpu(requests: int, warmup: int = 100) -> list[CpuFigure]:
    from app import app
    from chalicelib import bootstrap

    store = InMemorySettingsStore()
    bootstrap.reset()
    bootstrap.override(settings_store=store)
    try:
        with quiet_stdout(), chalice_test_client(app) as client:
            _sign_up(client.http)
            calls = _service_calls(app, client.http)
            figures = [
                CpuFigure(label, cpu_samples(call, requests, 200, warmup), has_target=label.startswith("direct"))
                for label, call in calls.items()
            ]
            figures += _bare_figures(requests, warmup)
    finally:
        bootstrap.reset()
    patches = 2 * (requests + warmup)
    if store.event_count(OWNER) != 1 + patches:  # the sign-up's event, then one per PATCH
        raise RuntimeError(f"expected {patches} PATCHes to be real changes; {store.event_count(OWNER) - 1} were")
    return figures


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


def _bare_figures(requests: int, warmup: int) -> list[CpuFigure]:
    from chalice import Chalice

    bare = Chalice(app_name="bench-bare")

    @bare.route("/ping", methods=["GET"])
    def ping() -> dict[str, bool]:
        return {"ok": True}

    event = proxy_event("GET", "/ping")
    context = lambda_context()
    with chalice_test_client(bare) as client:
        return [
            CpuFigure(
                "bare Chalice app, direct",
                cpu_samples(lambda: bare(event, context)["statusCode"], requests, 200, warmup),
            ),
            CpuFigure(
                "bare Chalice app, client",
                cpu_samples(lambda: client.http.get("/ping").status_code, requests, 200, warmup),
            ),
        ]
