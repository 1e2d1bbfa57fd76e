"""Plain domain models: an account's settings record, the actor of a change, and immutable audit events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from chalicelib.policy import SettingValue


class AgeAssurance(StrEnum):
    SELF_DECLARED = "self_declared"
    GUARDIAN_DECLARED = "guardian_declared"
    ESTIMATED = "estimated"
    VERIFIED = "verified"


class AgeSource(StrEnum):
    """Where the age the account holds came from. The app relays the two app-store signals; only an age-assurance
    provider (`age_verifier`) calls the service itself."""

    SELF = "self"
    APPLE_DECLARED_AGE_RANGE = "apple_declared_age_range"
    GOOGLE_PLAY_AGE_SIGNALS = "google_play_age_signals"
    AGE_VERIFIER = "age_verifier"


class DeactivationState(StrEnum):
    PENDING = "pending"  # notified; deactivated on `notice_until` unless a birthday brings it to the minimum first
    DEACTIVATED = "deactivated"  # restricted (every setting strictest, locked) until that birthday
    LIFTED = "lifted"  # on an event only: the birthday that ended it


@dataclass(frozen=True)
class Deactivation:
    """A raised minimum age's effect on an account (or, on an event, what happened to it)."""

    state: DeactivationState
    notice_until: date
    minimum_age: int
    jurisdiction: str
    basis: str  # chalicelib.domain.deactivation.Basis


class EventKind(StrEnum):
    DEFAULTS_APPLIED = "defaults_applied"
    SETTINGS_CHANGED = "settings_changed"
    BAND_CHANGED = "band_changed"
    AGE_CHANGED = "age_changed"
    JURISDICTION_CHANGED = "jurisdiction_changed"
    POLICY_MIGRATED = "policy_migrated"
    DEACTIVATED = "deactivated"
    OVERLAY_APPLIED = "overlay_applied"  # a jurisdiction's overlay took effect (its effective_from arrived)
    GUARDIAN_LINKED = "guardian_linked"  # a pairing code was redeemed: on the teen's history and the guardian's
    GUARDIAN_UNLINKED = "guardian_unlinked"  # either side ended the link (or the teen turned 18): on both


@dataclass(frozen=True)
class GuardianLink:
    """A guardian of a teen's account, and since when: the teen sees every one in the settings document."""

    account_id: str
    since: datetime


class LinkReason(StrEnum):
    PAIRING_CODE = "pairing_code"  # linked: the code's creator and its redeemer, one of them the teen
    UNLINKED = "unlinked"  # ended by the teen or the guardian (the actor says which)
    TURNED_18 = "turned_18"


@dataclass(frozen=True)
class GuardianFacts:
    """What a link event records: the two accounts and why. Shown to the teen, the guardian and auditors only."""

    teen_id: str
    guardian_id: str
    reason: LinkReason


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
    """An account's settings record.

    `policy_version` is the policy its settings were last brought into line with (at sign-up, an age change or a
    policy migration), not the policy in force at its latest change. `country` and `subdivision` decide which
    overlays of the policy apply and the minimum age.
    `band_end_known` is False while only an age range, no birth date, says how old the holder is: no birthday moves
    such an account on. `band_end_month` (YYYY-MM) is when its band ends; the day itself is only in
    `band_end_sealed`, which only the transition function can open (chalicelib.store.band_ends)."""

    account_id: str
    age_band: str
    age_assurance: AgeAssurance
    policy_version: str
    version: int
    settings: dict[str, SettingValue]
    created_at: datetime
    band_end_month: str = ""
    band_end_sealed: str = ""
    restricted: bool = False
    country: str = ""
    subdivision: str = ""  # ISO 3166-2 (US-NY), or empty
    deactivation: Deactivation | None = None  # under notice or deactivated by a raised minimum age
    age_source: AgeSource = AgeSource.SELF
    band_end_known: bool = True
    # How many earlier sealed values `band_end_sealed` holds inside it (holder corrections within a band, each of
    # which may only delay the move): a count, never a day. Bounded by chalicelib.services.age_correction.
    band_end_floors: int = 0
    # When its latest event (the latest change its history records) happened; a re-stamp (no event) keeps it.
    updated_at: datetime | None = None
    # A keyed mark of the Idempotency-Key request that created the account (never shown): a retry whose answer was
    # lost is recognised by it, so it gets its sign-up back rather than 409.
    signup_request: str = ""
    # A teen's guardians (at most the policy's limit), oldest first; a guardian holds `teens` links (a count: the
    # links themselves are items of their own, listed by GET /v1/guardians/me/teens).
    guardians: tuple[GuardianLink, ...] = ()
    teens: int = 0


@dataclass(frozen=True)
class AgeFacts:
    """What an `age_changed` event records of the age: how it is known and its effect, never a date or a range."""

    assurance: AgeAssurance
    source: AgeSource
    restricted: bool
    band_end_known: bool


@dataclass(frozen=True)
class Place:
    """Where an account lives: an ISO 3166-1 country and, optionally, an ISO 3166-2 subdivision of it."""

    country: str
    subdivision: str = ""


@dataclass(frozen=True)
class Move:
    """What a `jurisdiction_changed` event records: where the account lived and where it lives now."""

    before: Place
    after: Place


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
    age: AgeFacts | None = None  # on `age_changed` events
    move: Move | None = None  # on `jurisdiction_changed` events
    from_policy_version: str | None = None  # on `policy_migrated` events (`policy_version` is the new one)
    deactivation: Deactivation | None = None  # when the event gave notice, deactivated, or lifted a deactivation
    guardian: GuardianFacts | None = None  # on `guardian_linked` and `guardian_unlinked` events


@dataclass(frozen=True)
class EventPage:
    events: tuple[AuditEvent, ...]
    next_cursor: str | None = field(default=None)  # opaque: pass back to continue after the last event
