"""Sign-up: the band's defaults applied to a new account, with the first audit event, in one atomic write."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import date

from chalicelib import bootstrap
from chalicelib.config import get_config
from chalicelib.domain.age import assess_age
from chalicelib.domain.errors import AccountExists, Conflict, Problem, ValidationFailed
from chalicelib.domain.models import Account, Actor, AgeAssurance, AuditEvent, Change, EventKind
from chalicelib.domain.settings import band_defaults
from chalicelib.identity import Caller
from chalicelib.store.settings_store import AccountAlreadyExists


@dataclass(frozen=True)
class SignUp:
    account_id: str
    birth_date: date
    country: str


@dataclass(frozen=True)
class SignUpResult:
    account: Account
    created: bool
    requires_parental_consent: bool


def signup_fingerprint(birth_date: date, country: str) -> str:
    """A keyed hash that recognises a repeated sign-up without keeping the birth date."""
    message = f"{birth_date.isoformat()}|{country}".encode()
    return hmac.new(get_config().fingerprint_key, message, hashlib.sha256).hexdigest()


def sign_up(request: SignUp, caller: Caller, request_id: str) -> SignUpResult:
    policy = bootstrap.policy()
    now = bootstrap.clock()()
    if request.country not in policy.countries:
        raise ValidationFailed(
            "country is not an ISO 3166-1 alpha-2 code",
            (Problem(field="country", code="invalid_value", message="must be an ISO 3166-1 alpha-2 code"),),
        )
    # Below the minimum age this raises before anything is stored.
    assessment = assess_age(policy, request.birth_date, request.country, now.date())
    defaults = band_defaults(policy, assessment.band.name)
    account = Account(
        account_id=request.account_id,
        age_band=assessment.band.name,
        age_assurance=AgeAssurance.SELF_DECLARED,
        policy_version=policy.version,
        version=1,
        settings=defaults,
        created_at=now,
        band_ends_on=assessment.band_ends_on,
        signup_fingerprint=signup_fingerprint(request.birth_date, request.country),
    )
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=1,
        at=now,
        actor=Actor(id=caller.sub, role=caller.role),
        kind=EventKind.DEFAULTS_APPLIED,
        changes=tuple(Change(setting=name, from_value=None, to_value=value) for name, value in defaults.items()),
        age_band=account.age_band,
        policy_version=policy.version,
        request_id=request_id,
    )
    store = bootstrap.settings_store()
    try:
        store.create_account(account, event)
    except AccountAlreadyExists:
        existing = store.get_account(account.account_id)
        if existing is None:  # created and removed between our two calls: let the client retry
            raise Conflict("the account changed while it was being created; retry") from None
        if not hmac.compare_digest(existing.signup_fingerprint, account.signup_fingerprint):
            raise AccountExists("an account with this account_id already exists with other details") from None
        return SignUpResult(existing, created=False, requires_parental_consent=assessment.requires_parental_consent)
    return SignUpResult(account, created=True, requires_parental_consent=assessment.requires_parental_consent)
