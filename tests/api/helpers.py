"""Helpers for the API tests: problem assertions, reading every stored item, paging history, checking history
against state, and DynamoDB failures injected through botocore's events.

The `api` fixture (tests/conftest.py) runs the app through chalice's test client on a moto DynamoDB.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from tests.conftest import AUDITOR, Api, auth, body

PROBLEM_JSON = "application/problem+json"
OWNER = "u-1"
STRANGER = "u-2"

# Born 2012-05-10: 14 on 2026-11-25 (13-15). Born 2009-05-10: 17 (16-17). Born 1990-05-10: adult.
BORN_13_15 = "2012-05-10"
BORN_16_17 = "2009-05-10"
BORN_ADULT = "1990-05-10"


def header(response: Any, name: str) -> str | None:
    for key, value in response.headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with the given status (and code); returns its body."""
    assert response.status_code == status, (response.status_code, response.body[:500])
    assert header(response, "Content-Type") == PROBLEM_JSON, response.headers
    problem: dict[str, Any] = body(response)
    assert {"type", "title", "status", "detail", "code"} <= set(problem), problem
    assert problem["status"] == status
    assert all(isinstance(problem[key], str) and problem[key] for key in ("type", "title", "detail", "code"))
    if code is not None:
        assert problem["code"] == code, problem
    return problem


def problem_items(problem: dict[str, Any]) -> dict[str, str]:
    """`errors` as {field or setting: code}."""
    return {item.get("setting") or item.get("field"): item["code"] for item in problem.get("errors", [])}


def settings_document(document: dict[str, Any]) -> dict[str, Any]:
    """A sign-up response without its sign-up-only field: the settings document GET and PATCH return."""
    return {key: value for key, value in document.items() if key != "requires_parental_consent"}


def values_of(document: dict[str, Any]) -> dict[str, Any]:
    return {name: setting["value"] for name, setting in document["settings"].items()}


def scan_all_tables() -> list[dict[str, Any]]:
    """Every item of every table, as stored (DynamoDB attribute values)."""
    from tests.conftest import service_dynamodb as dynamodb_client

    client = dynamodb_client()
    items: list[dict[str, Any]] = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            items.extend(page["Items"])
    return items


def stored_items_mentioning(text: str) -> list[dict[str, Any]]:
    return [item for item in scan_all_tables() if text in json.dumps(item)]


def sign_up(api: Api, account_id: str = OWNER, birth_date: str = BORN_13_15, country: str = "GB") -> dict[str, Any]:
    response = api.sign_up(account_id, birth_date, country)
    assert response.status_code == 201, response.body
    document: dict[str, Any] = body(response)
    return document


def get_settings(api: Api, account_id: str = OWNER, as_: tuple[str, ...] | None = None) -> Any:
    return api.call("GET", f"/v1/accounts/{account_id}/settings", headers=auth(*(as_ or (account_id,))))


def patch_settings(
    api: Api,
    settings: dict[str, Any],
    account_id: str = OWNER,
    if_match: str | None = None,
    as_: tuple[str, ...] | None = None,
) -> Any:
    headers = auth(*(as_ or (account_id,)))
    if if_match is not None:
        headers["If-Match"] = if_match
    return api.call("PATCH", f"/v1/accounts/{account_id}/settings", {"settings": settings}, headers)


def history_page(api: Api, account_id: str = OWNER, query: str = "", as_: tuple[str, ...] = AUDITOR) -> Any:
    return api.call("GET", f"/v1/accounts/{account_id}/settings/history{query}", headers=auth(*as_))


def all_events(api: Api, account_id: str = OWNER, limit: int = 100) -> list[dict[str, Any]]:
    """Every event of an account, newest first, following `next` to the end."""
    events: list[dict[str, Any]] = []
    query = f"?limit={limit}"
    for _ in range(1000):
        response = history_page(api, account_id, query)
        assert response.status_code == 200, response.body
        page = body(response)
        events.extend(page["events"])
        if page["next"] is None:
            return events
        query = f"?limit={limit}&next={page['next']}"
    raise AssertionError("history never ended")


def assert_history_matches_state(api: Api, account_id: str = OWNER) -> list[dict[str, Any]]:
    """Replaying the history oldest first gives exactly the stored settings, one event per version."""
    events = all_events(api, account_id)
    replayed: dict[str, Any] = {}
    for event in reversed(events):
        for change in event["changes"]:
            if event["kind"] == "defaults_applied":
                assert change["from"] is None
            else:
                assert change["from"] == replayed[change["setting"]], (event, replayed)
            replayed[change["setting"]] = change["to"]
    response = get_settings(api, account_id, as_=AUDITOR)
    document = body(response)
    assert replayed == values_of(document)
    assert len(events) == document["version"]
    return events


def change_as_owner(api: Api, settings: dict[str, Any], account_id: str = OWNER) -> dict[str, Any]:
    response = patch_settings(api, settings, account_id)
    assert response.status_code == 200, response.body
    document: dict[str, Any] = body(response)
    return document


def throttle(operation: str, code: str = "ProvisionedThroughputExceededException") -> Callable[[], None]:
    """Makes every call of one DynamoDB operation fail as throttled, before it reaches the table; returns the undo."""
    from tests.conftest import service_dynamodb as dynamodb_client

    def refuse(**_: Any) -> tuple[Any, dict[str, Any]]:
        error = {"Error": {"Code": code, "Message": "Rate of requests exceeds the allowed throughput."}}
        return SimpleNamespace(status_code=400), {**error, "ResponseMetadata": {"HTTPStatusCode": 400}}

    event = f"before-call.dynamodb.{operation}"
    events = dynamodb_client().meta.events
    events.register_first(event, refuse)
    return lambda: events.unregister(event, refuse)


def cancel_transactions_as_throttled() -> Callable[[], None]:
    """Makes every transaction come back cancelled because of throttling, as DynamoDB reports it."""
    from tests.conftest import service_dynamodb as dynamodb_client

    def refuse(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        items = json.loads(params["body"])["TransactItems"]
        reasons = [{"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity"}] + [
            {"Code": "None"} for _ in items[1:]
        ]
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return SimpleNamespace(status_code=400), {
            "Error": error,
            "CancellationReasons": reasons,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    event = "before-call.dynamodb.TransactWriteItems"
    events = dynamodb_client().meta.events
    events.register_first(event, refuse)
    return lambda: events.unregister(event, refuse)
