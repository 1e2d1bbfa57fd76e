"""The local stack that `make run` serves, started in-process on a free port for tests that go over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.local_stack import LocalStack, start_local_stack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # Module scope, not session: the stack sets process-wide environment and fills moto's in-process state, and
    # stopping it puts both back, so a worker that moves on to tests using moto's mock finds neither changed.
    local_stack = start_local_stack(port=0)
    yield local_stack
    local_stack.stop()  # also takes moto's patches out: later tests on this worker find moto as released
