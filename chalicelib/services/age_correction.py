"""Age corrections and age signals: a birth date or an age range, with how sure it is and where it came from.

Who may do what (the safer choice wherever the two could differ):
- The account holder (source `self`, or an app-store signal the app relays, which the service cannot verify) may only
  make the account younger or keep it where it is. Anything that would place it in an older band, or bring its next
  birthday move sooner inside its band, is 403 `assurance_required`: a teen cannot become an adult by re-typing a date.
  Inside a band the service cannot compare days (it can seal a band end, never read one): a new end in a later month
  replaces the old, an earlier month is refused, and the same month seals the old value inside the new, so that the
  transition job, which can read both, moves the account on the later of the two days.
- An `age-verifier` (an age-assurance provider's server) may set any age, with `estimated` or `verified` assurance.
- An age range counts as its youngest age. Without a birth date the band end is unknown (no birthday moves the account),
  unless the range confirms the band the account is in, whose known end then stands.

Moving to a younger band clamps every value looser than the band allows (the one rule, `conform`); moving to an older
band only unlocks options. Below the country's minimum age the account is restricted: every setting at its strictest,
changes refused; only an age-verifier's correction lifts it. Every change is one atomic write with one `age_changed`
event; a request that changes nothing writes nothing. The date or range itself is used here and dropped.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from chalicelib.domain.age import AgePlacement, place_by_birth_date, place_by_range
from chalicelib.domain.deactivation import reconsidered
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from chalicelib.domain.models import Account, Actor, AgeAssurance, AgeFacts, AgeSource, AuditEvent, EventKind
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.identity import AGE_VERIFIER, AUDITOR, Caller
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.ports import VersionConflict

MAX_ATTEMPTS = 3
# How many earlier band ends a holder's corrections inside one band may seal inside each other; then only an age
# check can change the account's age again (each correction could only have delayed the move anyway).
MAX_BAND_END_FLOORS = 4

HOLDER_SOURCES = frozenset({AgeSource.SELF, AgeSource.APPLE_DECLARED_AGE_RANGE, AgeSource.GOOGLE_PLAY_AGE_SIGNALS})
HOLDER_ASSURANCES = frozenset({AgeAssurance.SELF_DECLARED, AgeAssurance.GUARDIAN_DECLARED})
VERIFIER_ASSURANCES = frozenset({AgeAssurance.ESTIMATED, AgeAssurance.VERIFIED})


class AssuranceRequired(Forbidden):
    code = "assurance_required"


@dataclass(frozen=True)
class AgeCorrection:
    """Exactly one of `birth_date` and `range_lower` (the youngest age of the range) is set."""

    assurance: AgeAssurance
    source: AgeSource
    birth_date: date | None = None
    range_lower: int | None = None


@dataclass(frozen=True)
class _Target:
    """What the account's age becomes: placement plus the band end to store."""

    placement: AgePlacement
    band_end_known: bool
    band_end_month: str
    band_end_sealed: str
    band_end_floors: int


def correct_age(
    deps: AccountsDeps, account_id: str, correction: AgeCorrection, caller: Caller, request_id: str
) -> Account:
    """Applies the correction if `caller` may make it; the account as it now stands."""
    verifier = _check_caller(account_id, correction, caller)
    store = deps.store
    for _ in range(MAX_ATTEMPTS):
        account = store.get_account(account_id)
        if account is None:
            raise NotFound("no such account")
        updated, event = _corrected(deps, account, correction, caller, verifier, request_id)
        if event is None:
            return account
        try:
            store.apply_change(updated, account.version, event)
        except VersionConflict:
            continue
        return updated
    raise Conflict("the account kept changing while its age was corrected; try again")


def _check_caller(account_id: str, correction: AgeCorrection, caller: Caller) -> bool:
    """True for an age-verifier; raises for anyone who may not correct this age, or a source or assurance the caller
    cannot give. The access table already let in only the holder, age-verifiers and auditors."""
    if AGE_VERIFIER in caller.groups:
        if correction.source != AgeSource.AGE_VERIFIER:
            raise _invalid("source", "an age-verifier reports source age_verifier")
        if correction.assurance not in VERIFIER_ASSURANCES:
            raise _invalid("assurance", "an age-verifier reports estimated or verified")
        return True
    if caller.is_account_holder(account_id):
        if correction.source not in HOLDER_SOURCES:
            raise _invalid("source", "the account holder reports self or an app store's age signal")
        if correction.assurance not in HOLDER_ASSURANCES:
            raise _invalid("assurance", "only an age-verifier reports estimated or verified")
        return False
    if AUDITOR in caller.groups:
        raise Forbidden("auditors can read an account's age, not correct it")
    raise NotFound("no such account")  # unreachable through the access table; deny all the same


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field} is not valid for this caller", (Problem(field=field, code="invalid_value", message=message),)
    )


def _corrected(
    deps: AccountsDeps,
    account: Account,
    correction: AgeCorrection,
    caller: Caller,
    verifier: bool,
    request_id: str,
) -> tuple[Account, AuditEvent | None]:
    policy = deps.policy
    now = deps.clock()
    target = _target(deps, account, correction, now.date(), verifier)
    band = target.placement.band.name
    restricted = target.placement.restricted
    # Values the account shows stay what they are unless the new band or the restriction forbids them.
    rules = account_rules(policy, account, now.date())
    shown = {**band_defaults(rules, account.age_band), **account.settings}
    candidate = replace(
        account,
        age_band=band,
        age_assurance=correction.assurance,
        age_source=correction.source,
        restricted=restricted,
        band_end_known=target.band_end_known,
        band_end_month=target.band_end_month,
        band_end_sealed=target.band_end_sealed,
        band_end_floors=target.band_end_floors,
    )
    # A new age may bring the account under, or lift it from, a raised minimum age's notice or deactivation.
    candidate, deactivation = reconsidered(rules, candidate, now.date())
    settings, changes = conform(rules, band, shown, restricted=candidate.restricted)
    updated = replace(candidate, settings=settings)
    if updated == account:
        return account, None
    updated = replace(updated, version=account.version + 1, policy_version=policy.version)
    event = AuditEvent(
        event_id=str(uuid.uuid4()),
        account_id=account.account_id,
        version=updated.version,
        at=now,
        actor=Actor(id=caller.sub, role=caller.role if verifier else "self"),
        kind=EventKind.AGE_CHANGED,
        changes=changes,
        age_band=band,
        policy_version=policy.version,
        request_id=request_id,
        age=AgeFacts(correction.assurance, correction.source, updated.restricted, target.band_end_known),
        deactivation=deactivation,
    )
    return updated, event


def _target(deps: AccountsDeps, account: Account, correction: AgeCorrection, today: date, verifier: bool) -> _Target:
    policy = deps.policy
    where = account.subdivision or None
    if correction.birth_date is not None:
        placement = place_by_birth_date(policy, correction.birth_date, account.country, today, where)
    else:
        placement = place_by_range(policy, correction.range_lower or 0, account.country, today, where)
    bands = [band.name for band in policy.age.bands]
    current = bands.index(account.age_band)
    if not verifier:
        if account.restricted and not placement.restricted:
            raise AssuranceRequired("only an age check can lift this account's restriction")
        if placement.band_index > current:
            raise AssuranceRequired("an older age needs an age check (estimated or verified)")
    if placement.band_ends is None:  # a range
        if placement.band_index == current and account.band_end_known:
            return _kept(account, placement)  # it confirms the band; its known end stands
        return _Target(placement, False, "", "", 0)
    ends = placement.band_ends
    month = ends[0].isoformat()[:7] if ends else ""
    if verifier or placement.band_index < current or not ends:
        return _sealed(deps, account, placement, ends, month)
    return _holder_within_band(deps, account, placement, ends, month)


def _holder_within_band(
    deps: AccountsDeps, account: Account, placement: AgePlacement, ends: tuple[date, ...], month: str
) -> _Target:
    """A holder's birth date in the band the account is in: it may delay the next move, never bring it forward."""
    if not account.band_end_known or not account.band_end_sealed:
        # Only a range placed the account: nothing says when its band ends, and a date could only bring it sooner.
        raise AssuranceRequired("dating this account's band end needs an age check (estimated or verified)")
    if month < account.band_end_month:
        raise AssuranceRequired("an older age needs an age check (estimated or verified)")
    if month > account.band_end_month:
        return _sealed(deps, account, placement, ends, month)
    if account.band_end_floors >= MAX_BAND_END_FLOORS:
        raise AssuranceRequired("this account's age can now only be corrected by an age check")
    sealed = deps.band_ends.seal(account.account_id, ends, floor=account.band_end_sealed)
    return _Target(placement, True, month, sealed, account.band_end_floors + 1)


def _sealed(
    deps: AccountsDeps, account: Account, placement: AgePlacement, ends: tuple[date, ...], month: str
) -> _Target:
    sealed = deps.band_ends.seal(account.account_id, ends) if ends else ""
    return _Target(placement, True, month, sealed, 0)


def _kept(account: Account, placement: AgePlacement) -> _Target:
    return _Target(placement, True, account.band_end_month, account.band_end_sealed, account.band_end_floors)
