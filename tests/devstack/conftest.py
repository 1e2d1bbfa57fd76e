"""moto as released or as the local stack patches it, fixed for the whole of each test that asks for one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from devstack import moto_patches

# The same examples on every run, so that a run cannot pass by luck; HYPOTHESIS_PROFILE=deep searches afresh.
settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("deep", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def stock_moto() -> Iterator[None]:
    """moto as released, before, during and after the test."""
    moto_patches.uninstall()
    yield
    moto_patches.uninstall()


@pytest.fixture
def patched_moto() -> Iterator[None]:
    """moto with the patches the local stack installs, taken out again after the test."""
    moto_patches.install()
    yield
    moto_patches.uninstall()
