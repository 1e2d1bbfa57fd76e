"""Time moto's own calls against `devstack.moto_patches` on big tables: prints figures and ratios, asserts nothing.

In-process moto (no HTTP), with the service's table definitions:
1. a settings change (a transaction: update the settings item, put an audit event) on a table of one account and on
   one of `--items` accounts;
2. a history query (one account's events, newest first) on the same two tables;
3. the moderation queue and a reporter's reports (queries on the reports table's indexes) on a table of 100 items and
   on one of `--items`, then on the big one while reports keep arriving (a put before every read).
Each figure is the mean of `--rounds` calls, patched and as released, with the ratios big/small and moto/patched.
tests/devstack/test_moto_patches_scale.py asserts what this measures by counting moto's work instead of timing it.

Usage: .venv/bin/python bench/moto_patches.py [--items 20000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import environment

environment.prepare()

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from devstack import moto_patches  # noqa: E402
from devstack.scale_items import queue_head, report_item, settings_item, write_all  # noqa: E402
from infra.tables import REPORTS, SETTINGS  # noqa: E402

SMALL = "bench-small"
BIG = "bench-big"
SMALL_REPORTS = 100
QUEUE_LENGTH = 20
MY_REPORTS = 10

Client = Any  # boto3's DynamoDB client
Action = Callable[[int], object]


@contextmanager
def engine(patched: bool) -> Iterator[None]:
    if patched:
        moto_patches.install()
    else:
        moto_patches.uninstall()
    try:
        yield
    finally:
        moto_patches.uninstall()


def seconds_each(action: Action, rounds: int) -> float:
    started = time.perf_counter()
    for n in range(rounds):
        action(n)
    return (time.perf_counter() - started) / rounds


# --- the settings table ----------------------------------------------------------------------------------------------


def settings_tables(client: Client, size: int) -> None:
    for table in (SMALL, BIG):
        kwargs = SETTINGS.create_table_kwargs(table)
        kwargs.pop("SSESpecification")  # moto makes a KMS key for it: time this script does not measure
        client.create_table(**kwargs)
    client.put_item(TableName=SMALL, Item=settings_item("u-1"))
    write_all(client, BIG, [settings_item(f"u-{n}") for n in range(1, size + 1)])


def change_settings(client: Client, table: str, offset: int) -> Action:
    def change(n: int) -> object:
        settings_update = {
            "TableName": table,
            "Key": {"pk": {"S": "account#u-1"}, "sk": {"S": "settings"}},
            "UpdateExpression": "SET comments = :c",
            "ExpressionAttributeValues": {":c": {"S": f"value-{n}"}},
        }
        event = {"pk": {"S": "account#u-1"}, "sk": {"S": f"event#{offset + n:06}"}}
        return client.transact_write_items(
            TransactItems=[{"Update": settings_update}, {"Put": {"TableName": table, "Item": event}}]
        )

    return change


def read_history(client: Client, table: str) -> Action:
    def read(n: int) -> object:
        return client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :events)",
            ExpressionAttributeValues={":pk": {"S": "account#u-1"}, ":events": {"S": "event#"}},
            ScanIndexForward=False,
        )

    return read


def settings_figures(patched: bool, size: int, rounds: int) -> dict[str, tuple[float, float]]:
    """{figure: (seconds on the small table, seconds on the big one)}"""
    with engine(patched), mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        settings_tables(client, size)
        figures = {}
        figures["settings change (transaction)"] = (
            seconds_each(change_settings(client, SMALL, 0), rounds),
            seconds_each(change_settings(client, BIG, 0), rounds),
        )
        figures["history query"] = (
            seconds_each(read_history(client, SMALL), rounds),
            seconds_each(read_history(client, BIG), rounds),
        )
    return figures


# --- the reports table -----------------------------------------------------------------------------------------------


def reports_tables(client: Client, size: int) -> None:
    """The same queue and the same reporter's reports; everyone else's reports and items in no index, half and half."""
    for table, table_size in ((SMALL, SMALL_REPORTS), (BIG, size)):
        kwargs = REPORTS.create_table_kwargs(table)
        kwargs.pop("SSESpecification")
        client.create_table(**kwargs)
        items = [queue_head(n) for n in range(QUEUE_LENGTH)] + [report_item("u-1", n) for n in range(MY_REPORTS)]
        filler = table_size - len(items)
        items += [report_item(f"u-{n % 2000 + 2}", n) for n in range(filler // 2)]
        items += [
            {"pk": {"S": f"TARGET#comment#c-{n}"}, "sk": {"S": "ROUND#r#SHARD#0"}} for n in range(filler - filler // 2)
        ]
        write_all(client, table, items)


def read_queue(client: Client, table: str) -> Action:
    def read(n: int) -> object:
        return client.query(
            TableName=table,
            IndexName="moderation_queue",
            KeyConditionExpression="queue_pk = :open",
            ExpressionAttributeValues={":open": {"S": "OPEN"}},
            Limit=QUEUE_LENGTH,
        )

    return read


def read_my_reports(client: Client, table: str) -> Action:
    def read(n: int) -> object:
        return client.query(
            TableName=table,
            IndexName="by_reporter",
            KeyConditionExpression="reporter_pk = :reporter",
            ExpressionAttributeValues={":reporter": {"S": "REPORTER#u-1"}},
            ScanIndexForward=False,
            Limit=50,
        )

    return read


def reports_figures(patched: bool, size: int, rounds: int) -> dict[str, tuple[float, float]]:
    with engine(patched), mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        reports_tables(client, size)
        new_reports = itertools.count()
        figures = {}
        for name, read in (("moderation queue", read_queue), ("a reporter's reports", read_my_reports)):
            for table in (SMALL, BIG):
                read(client, table)(0)  # the first read builds the index map, when patched
            figures[f"{name} (index query)"] = (
                seconds_each(read(client, SMALL), rounds),
                seconds_each(read(client, BIG), rounds),
            )

            def read_after_a_write(n: int, read: Callable[[Client, str], Action] = read) -> object:
                client.put_item(TableName=BIG, Item=report_item("u-new", next(new_reports)))
                return read(client, BIG)(n)

            figures[f"{name}, a put before each read"] = (float("nan"), seconds_each(read_after_a_write, rounds))
    return figures


def ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1e3:.2f}"


def ratio(top: float, bottom: float) -> str:
    return "-" if top != top or bottom != bottom else f"x{top / bottom:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000, help="items in the big tables")
    parser.add_argument("--rounds", type=int, default=20, help="calls per figure (moto's own: a quarter, at least 3)")
    args = parser.parse_args()
    slow_rounds = max(3, args.rounds // 4)

    patched = {
        **settings_figures(True, args.items, args.rounds),
        **reports_figures(True, args.items, args.rounds),
    }
    released = {
        **settings_figures(False, args.items, slow_rounds),
        **reports_figures(False, args.items, slow_rounds),
    }

    print(
        f"| mean ms per call | patched: small | {args.items} items | big/small | moto: small | {args.items} items "
        "| big/small | moto/patched on big |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, (small, big) in patched.items():
        moto_small, moto_big = released[name]
        print(
            f"| {name} | {ms(small)} | {ms(big)} | {ratio(big, small)} | {ms(moto_small)} | {ms(moto_big)} "
            f"| {ratio(moto_big, moto_small)} | {ratio(moto_big, big)} |"
        )
    print("\nsmall: the settings table of one account, the reports table of 100 items")


if __name__ == "__main__":
    main()
