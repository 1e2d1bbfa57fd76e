"""The services over the in-memory fakes, with the policy in force and the fixed, settable clock (`clock[0]`).

No moto and no HTTP: each test composes the deps dataclasses a composition would, from fakes.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.identity import MODERATOR, SIGNUP_SERVICE, Caller
from chalicelib.policy import Policy, load_policy
from chalicelib.services.accounts import AccountsDeps
from tests.fakes import FakeBandEndSealer, FakeSettingsStore

SIGNUP = Caller(sub="signup-service", groups=frozenset({SIGNUP_SERVICE}))
MODERATOR_CALLER = Caller(sub="mod-1", groups=frozenset({MODERATOR}))


def user(sub: str) -> Caller:
    return Caller(sub=sub, groups=frozenset())


@pytest.fixture(autouse=True)
def no_pause_between_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The jittered pause before an optimistic retry is the services' only wall-clock wait; it is skipped here."""
    for module in ("chalicelib.services.reports", "chalicelib.services.moderation"):
        monkeypatch.setattr(f"{module}.pause_before_retry", lambda attempt: None)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def settings_store() -> FakeSettingsStore:
    return FakeSettingsStore()


@pytest.fixture
def band_ends() -> FakeBandEndSealer:
    return FakeBandEndSealer()


@pytest.fixture
def accounts(
    settings_store: FakeSettingsStore, policy: Policy, clock: list[datetime], band_ends: FakeBandEndSealer
) -> AccountsDeps:
    return AccountsDeps(store=settings_store, policy=policy, clock=lambda: clock[0], band_ends=band_ends)
