"""DynamoDB round trips per route, counted from botocore's `before-call` events on the service's own client.

The app runs through chalice's test client inside moto's `mock_aws`, on tables built from `infra/tables.py`, so the
calls counted are exactly the ones the routes make. `before-call` fires once per API operation (a retried call would
still count once; moto never throttles, so there are none here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.calls import OWNER, SIGNUP_SERVICE, auth_headers, chalice_test_client
from bench.environment import quiet_stdout


@dataclass(frozen=True)
class RoundTrips:
    label: str
    status: int
    operations: tuple[str, ...]
    target: int | None  # the most round trips allowed; None for figures shown without a target

    @property
    def count(self) -> int:
        return len(self.operations)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "PASS" if self.count <= self.target else "MISS"


class CallCounter:
    """Records the DynamoDB operation names the client is asked to perform."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def take(self) -> tuple[str, ...]:
        taken = tuple(self.operations)
        self.operations.clear()
        return taken


@contextmanager
def moto_tables() -> Iterator[Any]:
    """moto's DynamoDB with every table of `infra/tables.py`; yields the service's (cached) client."""
    from moto import mock_aws

    from chalicelib import bootstrap
    from chalicelib.config import get_config
    from chalicelib.store.dynamo import dynamodb_client
    from infra.tables import create_tables

    with mock_aws():
        get_config.cache_clear()
        dynamodb_client.cache_clear()
        bootstrap.reset()
        client = dynamodb_client()
        create_tables(client)
        try:
            yield client
        finally:
            bootstrap.reset()
            dynamodb_client.cache_clear()


def fourteen_year_old_birth_date() -> str:
    return f"{datetime.now(UTC).year - 14}-01-01"


def measure_round_trips() -> list[RoundTrips]:
    from app import app

    with moto_tables() as client, quiet_stdout():
        counter = CallCounter()
        client.meta.events.register("before-call.dynamodb", counter)
        with chalice_test_client(app) as chalice_client:
            return _scenario(chalice_client.http, counter)


def _scenario(http: Any, counter: CallCounter) -> list[RoundTrips]:
    signup = {"account_id": OWNER, "birth_date": fourteen_year_old_birth_date(), "country": "GB"}
    settings = f"/v1/accounts/{OWNER}/settings"
    owner = auth_headers(OWNER)
    results: list[RoundTrips] = []

    def count(label: str, target: int | None, call: Callable[[], Any]) -> Any:
        counter.take()
        response = call()
        results.append(RoundTrips(label, response.status_code, counter.take(), target))
        return response

    def request(method: str, path: str, headers: dict[str, str], body: Any = None) -> Callable[[], Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        return lambda: http.request(method, path, headers=headers, body=payload)

    signup_headers = auth_headers(SIGNUP_SERVICE, SIGNUP_SERVICE)
    count("POST /v1/accounts (sign-up)", 2, request("POST", "/v1/accounts", signup_headers, signup))
    count("POST /v1/accounts (repeated sign-up)", 2, request("POST", "/v1/accounts", signup_headers, signup))
    count("GET settings", 1, request("GET", settings, owner))
    count("PATCH settings (a change)", 2, request("PATCH", settings, owner, {"settings": {"comments": "no_one"}}))
    count("PATCH settings (no change)", None, request("PATCH", settings, owner, {"settings": {"comments": "no_one"}}))
    first = count("GET settings/history (first page)", 1, request("GET", f"{settings}/history?limit=1", owner))
    cursor = json.loads(first.body)["next"]
    count("GET settings/history (next page)", 1, request("GET", f"{settings}/history?limit=1&next={cursor}", owner))
    return results
