"""The reports table's stream consumer: aggregation of new reports into cases, and the close-out of decisions.

In AWS it is a Lambda on the table's DynamoDB stream (`@app.on_dynamodb_record`, batches of up to 100, partial
batch responses); locally the stack's stream pump calls `handle_reports_stream` with the same events. Lambda retries
from the lowest failed record, so everything after it comes again: both steps are idempotent.
"""

from __future__ import annotations

import functools
import os  # os.urandom only
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice

if TYPE_CHECKING:  # the API function imports this module too (app.py): it pays for the consumer only when it runs
    from chalicelib.domain.reports import Report
    from chalicelib.policy import Policy
    from chalicelib.services.ports import Clock, ReportsStore

# The CDK stack (issue 11) gives the function the table's real stream ARN; packaging without one still builds.
REPORTS_STREAM_ARN_PLACEHOLDER = "arn:aws:dynamodb:eu-west-1:000000000000:table/safety-reports/stream/placeholder"


@dataclass(frozen=True)
class StreamDeps:
    reports: ReportsStore
    policy: Policy
    clock: Clock


def handle_reports_stream(event: Mapping[str, Any], deps: StreamDeps) -> dict[str, Any]:
    """Processes one batch; answers the sequence numbers that failed (Lambda's `batchItemFailures`)."""
    from chalicelib.store.reports_store import decision_id_from_stream_image, report_from_stream_image

    reports: list[tuple[str, Report]] = []
    decisions: list[tuple[str, str]] = []
    for record in event.get("Records", []):
        if record.get("eventName") != "INSERT":
            continue
        change = record.get("dynamodb", {})
        image, sequence = change.get("NewImage") or {}, str(change.get("SequenceNumber"))
        report = report_from_stream_image(image)
        if report is not None:
            reports.append((sequence, report))
        decision_id = decision_id_from_stream_image(image)
        if decision_id is not None:
            decisions.append((sequence, decision_id))
    failed = _aggregate(deps, reports) + _close_out(deps, decisions)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sorted(set(failed), key=_order)]}


def _order(sequence: str) -> tuple[int, str]:
    return (int(sequence), sequence) if sequence.isdigit() else (0, sequence)


def _aggregate(deps: StreamDeps, records: list[tuple[str, Report]]) -> list[str]:
    from chalicelib.domain.errors import DomainError
    from chalicelib.observability import logger
    from chalicelib.services.aggregation import AggregationDeps, aggregate, reports_by_target

    sequences: dict[str, list[str]] = {}
    for sequence, report in records:
        sequences.setdefault(report.report_id, []).append(sequence)
    failed: list[str] = []
    aggregation = AggregationDeps(reports=deps.reports, clock=deps.clock)
    for target, reports in reports_by_target(report for _, report in records).items():
        try:
            aggregate(aggregation, target, reports)
        except DomainError as error:  # throttled, or contention that outlasted the retries: delivered again
            logger().warning("reports not yet in a case", extra={"error": error.code, "reports": len(reports)})
            failed += [sequence for report in reports for sequence in sequences[report.report_id]]
    return failed


def _close_out(deps: StreamDeps, decisions: list[tuple[str, str]]) -> list[str]:
    from chalicelib.domain.errors import DomainError
    from chalicelib.observability import logger
    from chalicelib.services.closeout import CloseOutDeps, close_out

    failed: list[str] = []
    for sequence, decision_id in decisions:
        try:
            close_out(CloseOutDeps(reports=deps.reports, policy=deps.policy), decision_id)
        except DomainError as error:
            logger().warning("decision not yet closed out", extra={"error": error.code, "decision_id": decision_id})
            failed.append(sequence)
    return failed


def utc_now() -> datetime:
    return datetime.now(UTC)


def compose_stream_worker(env: Mapping[str, str], clock: Clock | None = None) -> StreamDeps:
    """What the consumer uses, and only that: the reports table, the policy, the clock (no secrets: it never pages
    for a client, so its cursor key is random and unused)."""
    from chalicelib.config import load_worker_config, policy_in_force
    from chalicelib.store.cursors import CursorSealer
    from chalicelib.store.dynamo import make_dynamodb_client
    from chalicelib.store.reports_store import ReportsStore as DynamoReportsStore

    config = load_worker_config(env)
    client = functools.cache(lambda: make_dynamodb_client(config.region))
    store = DynamoReportsStore(config.reports_table, client, CursorSealer(os.urandom(32)))
    return StreamDeps(reports=store, policy=policy_in_force(config.policy_version), clock=clock or utc_now)


def register_reports_stream(app: Chalice, compose: Callable[[], StreamDeps], stream_arn: str | None) -> None:
    composed = functools.cache(compose)

    @app.on_dynamodb_record(
        stream_arn=stream_arn or REPORTS_STREAM_ARN_PLACEHOLDER,
        batch_size=100,
        starting_position="TRIM_HORIZON",
        name="reports_stream",
    )
    def reports_stream(event: Any) -> dict[str, Any]:
        return handle_reports_stream(event.to_dict(), composed())
