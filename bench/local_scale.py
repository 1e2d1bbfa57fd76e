"""Latency of the index-backed routes of `make run` on a reports table of ~20k items, before and after the index patch.

Starts the local stack in-process (as tests/local do), files a few hundred reports through the real API, then copies
the items those reports wrote into the reports table (batch_write_item straight to moto) under fresh reporter, target
and report ids until the table holds ~20k items. Copying what the service wrote keeps the store's own item layout
(reports with `reporter_pk/reporter_sk`, open targets with `queue_pk/queue_sk`, pointers, counter shards, reporter
state) without this script knowing it.

It then times, over HTTP, GET /v1/moderation/queue and GET /v1/reports with
- before: the previous patch, where a query on an index is moto's own (it reads and sorts the whole table);
- after:  `devstack.moto_patches` as installed by `make run`, which reads only the index partition asked for.
Figures are medians; nothing is asserted.

Usage: .venv/bin/python bench/local_scale.py [--items 20000] [--reporters 40] [--reports-each 8] [--targets 30]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import statistics
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
import jwt
import requests
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from devstack import moto_patches
from devstack.local_stack import LocalStack, start_local_stack
from devstack.token import make_token

TIMEOUT = 60
MODERATOR = ("bench-moderator", ["moderator"])
SIGNUP_SERVICE = ("signup-service", ["signup-service"])
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BENCH_ID = re.compile(r"bench-[rc]-\d+")


def _previous_query(
    self: Table,
    hash_key: DynamoType | None,
    range_comparison: str | None,
    range_objs: list[DynamoType],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    *args: Any,
    **kwargs: Any,
) -> tuple[list[Item], int, dict[str, Any] | None]:
    """The query patch as it was before: one partition on the table's own key, moto's full scan on an index."""
    table: Any = self if index_name or hash_key is None else moto_patches._PartitionView(self, hash_key)
    result: tuple[list[Item], int, dict[str, Any] | None] = moto_patches.ORIGINAL_QUERY(
        table,
        hash_key,
        range_comparison,
        range_objs,
        limit,
        exclusive_start_key,
        scan_index_forward,
        projection_expressions,
        index_name,
        *args,
        **kwargs,
    )
    return result


@contextmanager
def query_code(query: Callable[..., Any]) -> Iterator[None]:
    Table.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = moto_patches._query  # type: ignore[method-assign]


def bearer(sub: str, groups: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(sub, groups or [])}"}


# --- seeding -------------------------------------------------------------------------------------------------------


def file_reports(stack: LocalStack, reporters: int, reports_each: int, targets: int) -> int:
    """Sign up reporters and file reports through the API, several at once; the number filed."""

    def sign_up(n: int) -> None:
        response = requests.post(
            f"{stack.url}/v1/accounts",
            json={"account_id": f"bench-r-{n}", "birth_date": "2011-05-06", "country": "GB"},
            headers=bearer(*SIGNUP_SERVICE),
            timeout=TIMEOUT,
        )
        assert response.status_code == 201, response.text

    def report(n: int) -> int:
        reporter, k = divmod(n, reports_each)
        response = requests.post(
            f"{stack.url}/v1/reports",
            json={
                "target": {"type": "comment", "id": f"bench-c-{(reporter * 7 + k) % targets}"},
                "reason": ["bullying", "spam", "hate", "self_harm"][n % 4],
                "good_faith": True,
            },
            headers={**bearer(f"bench-r-{reporter}"), "Idempotency-Key": f"bench-{n}"},
            timeout=TIMEOUT,
        )
        assert response.status_code in (200, 201), response.text
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(sign_up, range(reporters)))
        statuses = list(pool.map(report, range(reporters * reports_each)))
    return statuses.count(201)


def every_item(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: dict[str, Any] = {"LastEvaluatedKey": None}
    while "LastEvaluatedKey" in page:
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]} if page["LastEvaluatedKey"] else {}
        page = client.scan(TableName=table, **start)
        items += page["Items"]
    return items


def count(client: Any, table: str) -> int:
    total = 0
    page: dict[str, Any] = {"LastEvaluatedKey": None}
    while "LastEvaluatedKey" in page:
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]} if page["LastEvaluatedKey"] else {}
        page = client.scan(TableName=table, Select="COUNT", **start)
        total += page["Count"]
    return total


def copies(items: list[dict[str, Any]], copy: int) -> list[dict[str, Any]]:
    """The items under new ids: each bench reporter and target gets a suffix, each report id a new uuid."""
    fresh: dict[str, str] = {}
    text = json.dumps(items)
    text = _BENCH_ID.sub(lambda found: f"{found.group(0)}-x{copy}", text)
    text = _UUID.sub(lambda found: fresh.setdefault(found.group(0), str(uuid.uuid4())), text)
    copied: list[dict[str, Any]] = json.loads(text)
    return copied


def write_all(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    batches = [items[start : start + 25] for start in range(0, len(items), 25)]

    def write(batch: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in batch]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, batches))


def grow(stack: LocalStack, table: str, target_items: int) -> tuple[int, int]:
    """Copy the reports table's items under new ids until it holds about `target_items`; (items, open targets)."""
    client = boto3.client("dynamodb", endpoint_url=stack.moto_url, region_name="eu-west-1")
    seed = every_item(client, table)
    copy = 0
    while (copy + 1) * len(seed) < target_items:
        copy += 1
        write_all(client, table, copies(seed, copy))
    total = count(client, table)
    open_targets = sum(1 for item in seed if "queue_pk" in item) * (copy + 1)
    return total, open_targets


# --- timing --------------------------------------------------------------------------------------------------------


def timed_get(url: str, headers: dict[str, str], runs: int) -> tuple[float, int]:
    """Median milliseconds of `runs` GETs, and how many items the last answer listed."""
    seconds = []
    listed = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = requests.get(url, headers=headers, timeout=TIMEOUT)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        body = response.json()
        listed = len(body.get("items", body.get("reports", [])))
    return statistics.median(seconds) * 1e3, listed


def routes(stack: LocalStack) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "GET /v1/moderation/queue?limit=50": (f"{stack.url}/v1/moderation/queue?limit=50", bearer(*MODERATOR)),
        "GET /v1/reports (API reporter)": (f"{stack.url}/v1/reports?limit=50", bearer("bench-r-1")),
        "GET /v1/reports (copied reporter)": (f"{stack.url}/v1/reports?limit=50", bearer("bench-r-2-x3")),
    }


def measure(stack: LocalStack, runs: int, names: list[str]) -> dict[str, tuple[float, int]]:
    return {name: timed_get(url, headers, runs) for name, (url, headers) in routes(stack).items() if name in names}


Figures = dict[str, tuple[float, int]]


def run(
    stack: LocalStack, args: argparse.Namespace, say: Callable[[str], None]
) -> tuple[int, int, Figures, Figures, Figures]:
    """Seed through the API, time; grow the table, time after and before. (filed, items, seeded, before, after)"""
    table = os.environ["REPORTS_TABLE"]
    started = time.perf_counter()
    filed = file_reports(stack, args.reporters, args.reports_each, args.targets)
    say(f"filed {filed} reports on {args.targets} targets through the API in {time.perf_counter() - started:.1f} s")
    seeded = measure(stack, args.runs, list(routes(stack))[:2])

    started = time.perf_counter()
    total, open_targets = grow(stack, table, args.items)
    say(f"copied them to {total} items ({open_targets} open targets) in {time.perf_counter() - started:.1f} s")

    first, _ = timed_get(*routes(stack)["GET /v1/moderation/queue?limit=50"], runs=1)
    say(f"first queue read after the copy (the index map takes in every new item): {first:.0f} ms")
    after = measure(stack, args.runs, list(routes(stack)))
    with query_code(_previous_query):
        before = measure(stack, max(3, args.runs // 3), list(routes(stack)))
    return filed, total, seeded, before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000, help="items in the reports table, about")
    parser.add_argument("--reporters", type=int, default=40)
    parser.add_argument("--reports-each", type=int, default=8)
    parser.add_argument("--targets", type=int, default=30)
    parser.add_argument("--runs", type=int, default=15, help="requests per figure (before: a third as many)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)

    def say(line: str) -> None:
        print(line, file=sys.__stdout__, flush=True)

    stack = start_local_stack(port=0)
    logging.disable(logging.INFO)  # the app's request log
    try:
        # The app's metrics (EMF) go to stdout and the servers' access log to stderr: both set aside.
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            filed, total, seeded, before, after = run(stack, args, say)
    finally:
        stack.stop()

    print()
    print(f"| route (median ms, items listed) | {filed} reports via API: after | {total} items: before | after |")
    print("|---|---|---|---|")
    for name in routes(stack):
        small = f"{seeded[name][0]:.1f} ({seeded[name][1]})" if name in seeded else "-"
        was, now = before[name], after[name]
        print(f"| {name} | {small} | {was[0]:.1f} ({was[1]}) | {now[0]:.1f} ({now[1]}) |")


if __name__ == "__main__":
    main()
