"""Fixtures for the API tests (helpers live in tests/api/helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Api


@pytest.fixture
def dynamodb_calls(api: Api) -> Iterator[list[str]]:
    """The DynamoDB operations made from now on, in order."""
    from tests.conftest import service_dynamodb as dynamodb_client

    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", record)
    yield calls
    events.unregister("before-call.dynamodb", record)


@pytest.fixture
def captured_logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """Everything the service logs or prints while the test runs, as one text: the service logger's JSON lines
    (with their extra fields), every log record's attributes, and stdout/stderr (where EMF metrics go)."""
    import io
    import logging

    from chalicelib.observability import logger

    service_logger = logger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(service_logger.registered_formatter)
    service_logger.addHandler(handler)
    caplog.set_level(logging.INFO)

    def text() -> str:
        captured = capsys.readouterr()
        records = "\n".join(repr(vars(record)) + record.getMessage() for record in caplog.records)
        text.seen += "\n".join([stream.getvalue(), records, captured.out, captured.err])  # type: ignore[attr-defined]
        return str(text.seen)  # type: ignore[attr-defined]

    text.seen = ""  # type: ignore[attr-defined]
    yield text
    service_logger.removeHandler(handler)


@pytest.fixture
def service_lines(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every line the service's own logger writes from now on (its Powertools handler's stream, redirected)."""
    import io
    import logging

    from chalicelib.observability import logger

    buffer = io.StringIO()
    for handler in logging.getLogger(logger().name).handlers:
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", buffer)
    return buffer
