"""The compliance export's workers: `export_worker` on the export queue (one message: one segment, or the
finaliser), and `export_dead_letters` on its dead-letter queue (a message that kept failing fails its export).

Both go through Powertools' batch utility, which reports partial batch failures (`batchItemFailures`); the local stack
delivers the queues' messages to `handle_export_messages` and `handle_dead_letters` with the same events.
"""

from __future__ import annotations

import functools
import json
import os  # os.urandom only
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Chalice

if TYPE_CHECKING:
    from chalicelib.services.exports import ExportsDeps
    from chalicelib.services.ports import Clock

DEFAULT_QUEUE = "safety-settings-exports"
DEFAULT_DEAD_LETTERS = "safety-settings-exports-dead"


def compose_export_worker(env: Mapping[str, str], clock: Clock | None = None) -> ExportsDeps:
    """The settings table (read), the reports table (statements, read), the exports table, bucket and queue."""
    from chalicelib.config import load_export_worker_config, policy_in_force
    from chalicelib.services.exports import ExportsDeps
    from chalicelib.store.cursors import CursorSealer
    from chalicelib.store.dynamo import make_dynamodb_client
    from chalicelib.store.exports_store import ExportsStore
    from chalicelib.store.objects import S3Objects, SqsQueue, make_s3_client, make_sqs_client
    from chalicelib.store.reports_store import ReportsStore
    from chalicelib.store.settings_store import SettingsStore
    from chalicelib.workers.transitions import utc_now

    config = load_export_worker_config(env)
    client = functools.cache(lambda: make_dynamodb_client(config.region))
    sealer = CursorSealer(os.urandom(32))  # positions never leave the process
    return ExportsDeps(
        exports=ExportsStore(config.exports_table, client, sealer),
        queue=SqsQueue(config.export_queue, functools.cache(lambda: make_sqs_client(config.region))),
        objects=S3Objects(config.export_bucket, functools.cache(lambda: make_s3_client(config.region))),
        accounts=SettingsStore(config.settings_table, client, sealer),
        policy=policy_in_force(config.policy_version),
        clock=clock or utc_now,
        statements=ReportsStore(config.reports_table, client, sealer).statements,
    )


def _process(event: Mapping[str, Any], handle: Callable[[dict[str, Any], int | None], None]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        receives = record.attributes.approximate_receive_count
        handle(json.loads(record.body), int(receives) if receives else None)

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    response: dict[str, Any] = dict(process_partial_response(dict(event), record_handler, processor))
    return response


def handle_export_messages(event: Mapping[str, Any], deps: ExportsDeps) -> dict[str, Any]:
    """Runs each message (a segment, or the finaliser); a failure is noted on its export and reported for retry."""
    from chalicelib.observability import logger
    from chalicelib.services.exports import finalise, note_error, run_segment

    def handle(message: dict[str, Any], receives: int | None) -> None:
        try:
            if message.get("finalise"):
                outcome = finalise(deps, str(message["export_id"]))
            else:
                outcome = run_segment(deps, str(message["export_id"]), int(message["segment"]))
        except Exception as error:
            note_error(deps, message, error)
            logger().warning("export part failed", extra={"export": message, "error": type(error).__name__})
            raise
        logger().info("export part", extra={"export": message, "outcome": outcome, "receives": receives})

    return _process(event, handle)


def handle_dead_letters(event: Mapping[str, Any], deps: ExportsDeps) -> dict[str, Any]:
    from chalicelib.observability import logger
    from chalicelib.services.exports import fail_export

    def handle(message: dict[str, Any], receives: int | None) -> None:
        failed = fail_export(deps, message)
        del receives
        logger().error("export part gave up", extra={"export": message, "export_failed": failed})

    return _process(event, handle)


def register_exports(app: Chalice, compose: Callable[[], ExportsDeps], queue: str | None, dead: str | None) -> None:
    composed = functools.cache(compose)

    @app.on_sqs_message(queue=queue or DEFAULT_QUEUE, batch_size=1, name="export_worker")
    def export_worker(event: Any) -> dict[str, Any]:
        return handle_export_messages(event.to_dict(), composed())

    @app.on_sqs_message(queue=dead or DEFAULT_DEAD_LETTERS, batch_size=10, name="export_dead_letters")
    def export_dead_letters(event: Any) -> dict[str, Any]:
        return handle_dead_letters(event.to_dict(), composed())
