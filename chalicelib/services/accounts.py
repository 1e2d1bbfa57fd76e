"""What the account use cases (sign-up, the settings screen, changes, history) need, passed in by a composition."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.policy import Policy
from chalicelib.services.ports import BandEndSealer, Clock, SettingsStore


@dataclass(frozen=True)
class AccountsDeps:
    store: SettingsStore
    policy: Policy
    clock: Clock
    band_ends: BandEndSealer  # seals the days bands end; cannot open them
