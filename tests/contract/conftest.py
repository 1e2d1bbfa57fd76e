"""One store per port, built twice: the in-memory fake, and the DynamoDB adapter on moto with the real tables.

Every contract test takes one of these fixtures and so runs once on each backend; it asserts only what the port
promises. The fixtures' annotations are also the type check that each fake and adapter implements its Protocol.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from chalicelib.services.ports import Idempotency, ReportsStore, SettingsStore
from chalicelib.store.cursors import CursorSealer
from tests.fakes import FakeIdempotency, FakeReportsStore, FakeSettingsStore

BACKENDS = ["fake", "dynamodb"]
CURSOR_KEY = b"contract-suite-cursor-key-32-bytes-long"
T = TypeVar("T")


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


def _on_each_backend(request: pytest.FixtureRequest, fake: Callable[[], T], adapter: Callable[[Any], T]) -> Iterator[T]:
    """The fake, or the adapter over a fresh moto DynamoDB client, as the test's parameter says."""
    if request.param == "fake":
        yield fake()
        return
    with dynamodb() as client:
        yield adapter(client)


@pytest.fixture(params=BACKENDS)
def settings_store(request: pytest.FixtureRequest, sealer: CursorSealer) -> Iterator[SettingsStore]:
    from chalicelib.store.settings_store import SettingsStore as DynamoSettingsStore
    from infra.tables import SETTINGS

    stores: Iterator[SettingsStore] = _on_each_backend(
        request,
        lambda: FakeSettingsStore(sealer),
        lambda client: DynamoSettingsStore(SETTINGS.default_name, lambda: client, sealer),
    )
    yield from stores


@pytest.fixture(params=BACKENDS)
def reports_store(request: pytest.FixtureRequest, sealer: CursorSealer) -> Iterator[ReportsStore]:
    from chalicelib.store.reports_store import ReportsStore as DynamoReportsStore
    from infra.tables import REPORTS

    stores: Iterator[ReportsStore] = _on_each_backend(
        request,
        lambda: FakeReportsStore(sealer),
        lambda client: DynamoReportsStore(REPORTS.default_name, lambda: client, sealer),
    )
    yield from stores


@pytest.fixture(params=BACKENDS)
def idempotency(request: pytest.FixtureRequest) -> Iterator[Idempotency]:
    from chalicelib.store.idempotency import PowertoolsIdempotency
    from infra.tables import IDEMPOTENCY

    stores: Iterator[Idempotency] = _on_each_backend(
        request, FakeIdempotency, lambda client: PowertoolsIdempotency(IDEMPOTENCY.default_name, lambda: client)
    )
    yield from stores
