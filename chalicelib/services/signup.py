"""Sign-up: the band's defaults applied to a new account, with the first audit event, in one atomic write.

A sign-up for an account that exists gets one answer, whatever birth date or country it names, so sign-up can never
be used to test guesses about an account's details. Retries are recognised by their Idempotency-Key (see the route).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.age import assess_age
from chalicelib.domain.errors import Problem, SignUpConflict, ValidationFailed
from chalicelib.domain.models import (
    Account,
    Actor,
    AgeAssurance,
    AgeFacts,
    AgeSource,
    AuditEvent,
    EventKind,
    Move,
    Place,
)
from chalicelib.domain.settings import conform
from chalicelib.identity import Caller
from chalicelib.policy import Policy, is_subdivision_of
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.ports import AlreadyExists


def check_jurisdiction(policy: Policy, country: str, subdivision: str | None) -> None:
    """422 unless `country` is an ISO 3166-1 code and `subdivision`, if any, an ISO 3166-2 code of that country."""
    if country not in policy.countries:
        raise ValidationFailed(
            "country is not an ISO 3166-1 alpha-2 code",
            (Problem(field="country", code="invalid_value", message="must be an ISO 3166-1 alpha-2 code"),),
        )
    if subdivision is not None and not is_subdivision_of(country, subdivision):
        raise ValidationFailed(
            "subdivision is not an ISO 3166-2 code of the country",
            (
                Problem(
                    field="subdivision",
                    code="invalid_value",
                    message=f"must be an ISO 3166-2 subdivision code of {country} (such as US-NY for US)",
                ),
            ),
        )


@dataclass(frozen=True)
class SignUp:
    account_id: str
    birth_date: date
    country: str
    subdivision: str | None = None


@dataclass(frozen=True)
class SignUpResult:
    account: Account
    requires_parental_consent: bool


def sign_up(
    deps: AccountsDeps, request: SignUp, caller: Caller, request_id: str, request_mark: str = ""
) -> SignUpResult:
    """Creates the account. `request_mark` (a keyed mark of an Idempotency-Key request) is stored with it, so that
    a retry of that very request, whose first answer was lost after the account was stored, gets the account back."""
    policy = deps.policy
    now = deps.clock()
    check_jurisdiction(policy, request.country, request.subdivision)
    # Below the minimum age this raises before anything is stored.
    assessment = assess_age(policy, request.birth_date, request.country, now.date(), request.subdivision)
    rules = policy.rules_in(request.country, request.subdivision, now.date())
    defaults, applied = conform(rules, assessment.band.name, {})
    ends = assessment.band_ends
    sealed = deps.band_ends.seal(request.account_id, ends) if ends else ""
    account = Account(
        account_id=request.account_id,
        age_band=assessment.band.name,
        age_assurance=AgeAssurance.SELF_DECLARED,
        policy_version=policy.version,
        version=1,
        settings=defaults,
        created_at=now,
        updated_at=now,
        band_end_month=ends[0].isoformat()[:7] if ends else "",
        band_end_sealed=sealed,
        country=request.country,
        subdivision=request.subdivision or "",
        age_source=AgeSource.SELF,
        signup_request=request_mark,
    )
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=1,
        at=now,
        actor=Actor(id=caller.sub, role=caller.role),
        kind=EventKind.DEFAULTS_APPLIED,
        changes=applied,
        age_band=account.age_band,
        policy_version=policy.version,
        request_id=request_id,
        # Where and how old the account starts (an arrival from nowhere; how its age is known, never the date): the
        # first event holds every fact the account's record starts with, so its history replays to its record.
        age=AgeFacts(account.age_assurance, account.age_source, account.restricted, account.band_end_known),
        move=Move(Place(""), Place(account.country, account.subdivision)),
    )
    try:
        deps.store.create_account(account, event)
    except AlreadyExists:
        existing = deps.store.get_account(account.account_id) if request_mark else None
        if existing is None or not hmac.compare_digest(existing.signup_request, request_mark):
            raise SignUpConflict("an account with this account_id already exists") from None
        account = existing  # this very request created it; its answer was lost
    return SignUpResult(account, requires_parental_consent=assessment.requires_parental_consent)
