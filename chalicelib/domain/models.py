"""Plain domain models: an account's settings record, the actor of a change, and immutable audit events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from chalicelib.policy import SettingValue


class AgeAssurance(StrEnum):
    SELF_DECLARED = "self_declared"
    ESTIMATED = "estimated"
    VERIFIED = "verified"


class EventKind(StrEnum):
    DEFAULTS_APPLIED = "defaults_applied"
    SETTINGS_CHANGED = "settings_changed"


@dataclass(frozen=True)
class Actor:
    id: str
    role: str


@dataclass(frozen=True)
class Change:
    setting: str
    from_value: SettingValue
    to_value: SettingValue


@dataclass(frozen=True)
class Account:
    """An account's settings record. `band_ends_on` never leaves the service."""

    account_id: str
    age_band: str
    age_assurance: AgeAssurance
    policy_version: str
    version: int
    settings: dict[str, SettingValue]
    created_at: datetime
    band_ends_on: date | None = None
    restricted: bool = False
    # A keyed mark of the Idempotency-Key request that created the account (never shown): a retry whose answer was
    # lost is recognised by it, so it gets its sign-up back rather than 409.
    signup_request: str = ""


@dataclass(frozen=True)
class AuditEvent:
    """One entry of an account's history; `version` is the account version the event produced."""

    event_id: str
    account_id: str
    version: int
    at: datetime
    actor: Actor
    kind: EventKind
    changes: tuple[Change, ...]
    age_band: str
    policy_version: str
    request_id: str


@dataclass(frozen=True)
class EventPage:
    events: tuple[AuditEvent, ...]
    next_cursor: str | None = field(default=None)  # opaque: pass back to continue after the last event
