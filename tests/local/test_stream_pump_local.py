"""On the local stack, a write to the reports table reaches a stream handler the way Lambda would deliver it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from devstack.local_stack import LocalStack, start_local_stack
from infra.tables import REPORTS


@pytest.fixture
def own_stack() -> Iterator[LocalStack]:
    """A stack of this test's own: stopping it is part of what is tested."""
    local_stack = start_local_stack(port=0)
    yield local_stack
    local_stack.stop()


class Inbox:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.arrived = threading.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.records.extend(event["Records"])
        self.arrived.set()


def test_a_put_to_the_stacks_moto_reaches_the_stream_handler_within_five_seconds(own_stack: LocalStack) -> None:
    # Given a stream pump on the reports table
    inbox = Inbox()
    own_stack.start_stream_pump(inbox)

    # When an item is put through boto3 to the stack's moto
    dynamodb = boto3.client("dynamodb", endpoint_url=own_stack.moto_url, region_name=os.environ["AWS_DEFAULT_REGION"])
    table = REPORTS.name_in(os.environ)
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "REPORT#r-1"}, "sk": {"S": "REPORT"}})

    # Then the handler gets its INSERT, from the table's stream, within five seconds
    assert inbox.arrived.wait(timeout=5)
    [record] = inbox.records
    assert record["eventName"] == "INSERT"
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "REPORT#r-1"}, "sk": {"S": "REPORT"}}
    assert record["eventSourceARN"] == dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def test_stopping_the_stack_stops_its_stream_pumps_first(own_stack: LocalStack) -> None:
    # Given a running stream pump
    pump = own_stack.start_stream_pump(Inbox(), interval=0.01)
    assert pump.running

    # When the stack stops
    own_stack.stop()

    # Then the pump has stopped too
    assert not pump.running
