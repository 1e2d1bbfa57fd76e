"""Fixtures for the export tests: the export queue and its dead-letter queue pumped into the workers, as Lambda
would, over the same moto as the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import AUDITOR, Api, auth, body


class Exports:
    def __init__(self, api: Api) -> None:
        import boto3

        from chalicelib.workers.exports import handle_dead_letters, handle_export_messages
        from devstack.queue_pump import QueuePump
        from infra.exports import EXPORT_DLQ, EXPORT_QUEUE

        self.api = api
        sqs = boto3.client("sqs", region_name="eu-west-1")
        self.sqs = sqs
        self.s3 = boto3.client("s3", region_name="eu-west-1")
        self.handler: Any = lambda event: handle_export_messages(event, self.api.deps.exports)
        self.work = QueuePump(sqs, EXPORT_QUEUE.default_name, lambda event: self.handler(event))
        self.dead = QueuePump(
            sqs, EXPORT_DLQ.default_name, lambda event: handle_dead_letters(event, self.api.deps.exports), 10
        )

    def start(self, history: bool = True, key: str = "export-key-1", **window: str) -> str:
        response = self.api.call(
            "POST",
            "/v1/exports",
            {"include_history": history, **window},
            {**auth(*AUDITOR), "Idempotency-Key": key},
        )
        assert response.status_code == 202, response.body
        return str(body(response)["export_id"])

    def run(self) -> None:
        """Every message delivered until both queues are empty (retries and dead letters included)."""
        while self.work.drain() + self.dead.drain():
            pass

    def get(self, export_id: str) -> dict[str, Any]:
        response = self.api.call("GET", f"/v1/exports/{export_id}", headers=auth(*AUDITOR))
        assert response.status_code == 200, response.body
        found: dict[str, Any] = body(response)
        return found

    def object(self, key: str) -> bytes:
        from infra.exports import EXPORT_BUCKET

        data: bytes = self.s3.get_object(Bucket=EXPORT_BUCKET.default_name, Key=key)["Body"].read()
        return data


@pytest.fixture
def exports(api: Api) -> Exports:
    return Exports(api)
