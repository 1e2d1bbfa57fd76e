"""One store per port, built twice: the in-memory fake, and the DynamoDB adapter on moto with the real tables.

Every contract test takes one of these fixtures and so runs once on each backend; it asserts only what the port
promises. The annotations below are also the type check that each fake and adapter implements its Protocol.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from chalicelib.services.ports import Idempotency, ReportsStore, SettingsStore
from chalicelib.store.cursors import CursorSealer
from tests.fakes import FakeIdempotency, FakeReportsStore, FakeSettingsStore

BACKENDS = ["fake", "dynamodb"]
CURSOR_KEY = b"contract-suite-cursor-key-32-bytes-long"


@functools.cache
def _client() -> Any:
    # One client for the whole run: building one costs more than a test. moto intercepts its calls whenever a
    # mock is active, and it is only used inside one.
    import boto3

    return boto3.client("dynamodb", region_name="eu-west-1")


@contextmanager
def dynamodb() -> Iterator[Any]:
    """A fresh moto DynamoDB holding the service's tables (`infra.tables`), under their default names."""
    from moto import mock_aws

    from infra.tables import create_tables

    with mock_aws():
        client = _client()
        create_tables(client, env={})
        yield client


@pytest.fixture
def sealer() -> CursorSealer:
    """The key both backends seal their cursors with (a test may seal forgeries with it)."""
    return CursorSealer(CURSOR_KEY)


@pytest.fixture(params=BACKENDS)
def settings_store(request: pytest.FixtureRequest, sealer: CursorSealer) -> Iterator[SettingsStore]:
    if request.param == "fake":
        fake: SettingsStore = FakeSettingsStore(sealer)
        yield fake
        return
    from chalicelib.store.settings_store import SettingsStore as DynamoSettingsStore
    from infra.tables import SETTINGS

    with dynamodb() as client:
        adapter: SettingsStore = DynamoSettingsStore(SETTINGS.default_name, lambda: client, sealer)
        yield adapter


@pytest.fixture(params=BACKENDS)
def reports_store(request: pytest.FixtureRequest, sealer: CursorSealer) -> Iterator[ReportsStore]:
    if request.param == "fake":
        fake: ReportsStore = FakeReportsStore(sealer)
        yield fake
        return
    from chalicelib.store.reports_store import ReportsStore as DynamoReportsStore
    from infra.tables import REPORTS

    with dynamodb() as client:
        adapter: ReportsStore = DynamoReportsStore(REPORTS.default_name, lambda: client, sealer)
        yield adapter


@pytest.fixture(params=BACKENDS)
def idempotency(request: pytest.FixtureRequest) -> Iterator[Idempotency]:
    if request.param == "fake":
        fake: Idempotency = FakeIdempotency()
        yield fake
        return
    from chalicelib.store.idempotency import PowertoolsIdempotency
    from infra.tables import IDEMPOTENCY

    with dynamodb() as client:
        adapter: Idempotency = PowertoolsIdempotency(IDEMPOTENCY.default_name, lambda: client)
        yield adapter
