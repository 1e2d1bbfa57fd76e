"""What the account use cases (sign-up, the settings screen, changes, history) need, passed in by a composition."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.policy import Policy
from chalicelib.services.ports import Clock, SettingsStore


@dataclass(frozen=True)
class AccountsDeps:
    store: SettingsStore
    policy: Policy
    clock: Clock
