"""Plays Lambda's part for an SQS queue where there is no Lambda: receives messages and calls a handler with the event
an event source mapping with ReportBatchItemFailures would send, deleting what succeeded.

A message the handler reports failed (or every message of a batch whose handler raised) is made visible again at
once, where Lambda would wait out the visibility timeout; the queue's redrive policy (moto applies it on receive)
moves it to the dead-letter queue after its maximum receives, as in AWS.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], "dict[str, Any] | None"]
logger = logging.getLogger(__name__)


class QueuePump:
    def __init__(self, sqs: Any, queue_name: str, handler: Handler, batch_size: int = 1) -> None:
        self._sqs = sqs
        self._name = queue_name
        self._handler = handler
        self._batch_size = batch_size
        self._url: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"])
        return self._url

    def pump_once(self) -> int:
        """One receive and one delivery; how many messages it delivered."""
        received = self._sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=self._batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [_record(message, self.url) for message in received]}
        try:
            response = self._handler(event) or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception:
            logger.exception("queue handler raised")
            failed = {message["MessageId"] for message in received}
        for message in received:
            if message["MessageId"] in failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self._sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return len(received)

    def drain(self, max_rounds: int = 10_000) -> int:
        """Delivers until the queue is empty; how many deliveries of messages it made."""
        delivered = 0
        for _ in range(max_rounds):
            count = self.pump_once()
            if count == 0:
                return delivered
            delivered += count
        return delivered

    def start(self, interval: float = 0.2) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    busy = self.pump_once()
                except Exception:
                    logger.exception("queue pump failed")
                    busy = 0
                if not busy:
                    self._stop.wait(interval)

        self._thread = threading.Thread(target=run, name=f"queue-pump-{self._name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def _record(message: dict[str, Any], queue_url: str) -> dict[str, Any]:
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{name}",
        "awsRegion": "eu-west-1",
    }
