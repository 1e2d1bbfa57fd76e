"""DynamoDB round trips per route, counted from botocore's `before-call` events on the composition's DynamoDB client.

The local app (`devstack.local_app`: the deployed routes behind the local HS256 authorizer) runs through chalice's test
client inside moto's `mock_aws`, over dependencies composed by `compose_api` on tables built from `infra/tables.py`.
The composition builds one client (`deps.dynamodb()`) and hands it to every store, Powertools' idempotency layer
included, so its events count the calls on every table. To keep that claim honest, every botocore API call made in
the process during a request is tallied too, and a call the counter did not see stops the benchmark.
`before-call` fires once per API operation (a retried call would still count once; moto never throttles).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from bench.calls import OWNER, SIGNUP_SERVICE, auth_headers, chalice_test_client, local_app
from bench.environment import REGION, compose, quiet_stdout

KEYED_OWNER = "u-bench-keyed"


@dataclass(frozen=True)
class RoundTrips:
    label: str
    status: int
    operations: tuple[str, ...]  # "Operation[table, ...]", in the order the client was asked
    target: int | None  # the most round trips allowed; None for figures shown without a target
    other_calls: tuple[str, ...] = ()  # calls to other services (KMS), shown beside the DynamoDB ones

    @property
    def count(self) -> int:
        return len(self.operations)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "PASS" if self.count <= self.target else "MISS"


def tables_named(request_body: bytes | str) -> list[str]:
    """The tables a DynamoDB request names (its JSON body): one, or each of a batch's or a transaction's."""
    body = json.loads(request_body or "{}")
    if "TableName" in body:
        return [body["TableName"]]
    if "RequestItems" in body:
        return sorted(body["RequestItems"])
    if "TransactItems" in body:
        return sorted({part["TableName"] for item in body["TransactItems"] for part in item.values()})
    return []


class CallCounter:
    """Records the DynamoDB operations the client is asked to perform, with the tables they name."""

    def __init__(self) -> None:
        self.operations: list[str] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.operations.append(f"{model.name}[{', '.join(tables_named(params.get('body', b'')))}]")

    def take(self) -> tuple[str, ...]:
        taken = tuple(self.operations)
        self.operations.clear()
        return taken


@contextmanager
def every_api_call() -> Iterator[list[str]]:
    """Every botocore API call made in this process, on any client of any session (service.operation)."""
    from botocore.client import BaseClient

    made: list[str] = []
    original = BaseClient._make_api_call

    def tallied(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        made.append(f"{client.meta.service_model.service_name}.{operation_name}")
        return original(client, operation_name, api_params)

    with mock.patch.object(BaseClient, "_make_api_call", tallied):
        yield made


@contextmanager
def moto_deps() -> Iterator[Any]:
    """moto's DynamoDB with every table of `infra/tables.py`, and the API's dependencies composed over it."""
    import boto3
    from moto import mock_aws

    from infra.keys import create_keys
    from infra.tables import create_tables

    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        create_keys(boto3.client("kms", region_name=REGION))
        yield compose()


def fourteen_year_old_birth_date() -> str:
    return f"{datetime.now(UTC).year - 14}-01-01"


def measure_round_trips() -> list[RoundTrips]:
    with moto_deps() as deps, quiet_stdout():
        counter = CallCounter()
        deps.dynamodb().meta.events.register("before-call.dynamodb", counter)
        with chalice_test_client(local_app(deps)) as chalice_client, every_api_call() as made:
            return _scenario(chalice_client.http, counter, made)


def _scenario(http: Any, counter: CallCounter, made: list[str]) -> list[RoundTrips]:
    birth_date = fourteen_year_old_birth_date()
    signup = {"account_id": OWNER, "birth_date": birth_date, "country": "GB"}
    keyed_signup = {"account_id": KEYED_OWNER, "birth_date": birth_date, "country": "GB"}
    settings = f"/v1/accounts/{OWNER}/settings"
    owner = auth_headers(OWNER)
    signup_headers = auth_headers(SIGNUP_SERVICE, SIGNUP_SERVICE)
    results: list[RoundTrips] = []

    def count(label: str, target: int | None, expected_status: int, call: Callable[[], Any]) -> Any:
        counter.take()
        made.clear()
        response = call()
        operations = counter.take()
        if response.status_code != expected_status:
            raise RuntimeError(f"{label}: expected HTTP {expected_status}, got {response.status_code}")
        dynamodb_calls = [call for call in made if call.startswith("dynamodb.")]
        if len(dynamodb_calls) != len(operations):
            raise RuntimeError(f"{label}: calls on a client the counter does not see: {made} vs {operations}")
        others = tuple(call for call in made if call.startswith("kms."))
        if len(dynamodb_calls) + len(others) != len(made):
            raise RuntimeError(f"{label}: calls to a service the benchmark does not report: {made}")
        results.append(RoundTrips(label, response.status_code, operations, target, others))
        return response

    def request(method: str, path: str, headers: dict[str, str], body: Any = None) -> Callable[[], Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        return lambda: http.request(method, path, headers=headers, body=payload)

    def keyed(key: str) -> dict[str, str]:
        return {**signup_headers, "Idempotency-Key": key}

    count("POST /v1/accounts (sign-up)", 2, 201, request("POST", "/v1/accounts", signup_headers, signup))
    count("POST /v1/accounts (repeated sign-up, 409)", 2, 409, request("POST", "/v1/accounts", signup_headers, signup))
    count(
        "POST /v1/accounts + Idempotency-Key (sign-up)",
        None,
        201,
        request("POST", "/v1/accounts", keyed("bench-signup-key-0001"), keyed_signup),
    )
    count(
        "POST /v1/accounts + same Idempotency-Key (replay)",
        None,
        201,
        request("POST", "/v1/accounts", keyed("bench-signup-key-0001"), keyed_signup),
    )
    count(
        "POST /v1/accounts + new Idempotency-Key (repeated sign-up, 409)",
        None,
        409,
        request("POST", "/v1/accounts", keyed("bench-signup-key-0002"), keyed_signup),
    )
    count("GET settings", 1, 200, request("GET", settings, owner))
    change = {"settings": {"comments": "no_one"}}
    count("PATCH settings (a change)", 2, 200, request("PATCH", settings, owner, change))
    count("PATCH settings (no change)", None, 200, request("PATCH", settings, owner, change))
    first = count("GET settings/history (first page)", 1, 200, request("GET", f"{settings}/history?limit=1", owner))
    cursor = json.loads(first.body)["next"]
    count(
        "GET settings/history (next page)", 1, 200, request("GET", f"{settings}/history?limit=1&next={cursor}", owner)
    )
    return results
