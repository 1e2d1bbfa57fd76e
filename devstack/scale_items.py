"""Items shaped like the service's, and a bulk writer: what the moto-patch scale tests and `bench/moto_patches.py`
fill their tables with (one definition, so the benchmark measures what the tests check)."""

from __future__ import annotations

from typing import Any


def write_all(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={table: requests})


def settings_item(account_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"account#{account_id}"}, "sk": {"S": "settings"}, "comments": {"S": "friends"}}


def queue_head(n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"TARGET#comment#open-{n}"},
        "sk": {"S": "OPEN"},
        "queue_pk": {"S": "OPEN"},
        "queue_sk": {"S": f"{n % 3}#2024-01-01T00:00:{n:02}+00:00#comment#open-{n}"},
    }


def report_item(reporter: str, n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"REPORT#{reporter}-{n}"},
        "sk": {"S": "REPORT"},
        "reporter_pk": {"S": f"REPORTER#{reporter}"},
        "reporter_sk": {"S": f"2024-01-01T00:00:00+00:00#{n:06}"},
    }
