"""Minimum ages raised for accounts that exist (Australia's 16): notice, then deactivation, lifted by the birthday that
brings the account to the minimum.

The service stores an age band, never a birth date, so it can tell only that a band lies wholly below a minimum, or
reaches below it. An account whose band reaches below the minimum is treated as below it (the safer reading), and its
event says which of the two it was.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from enum import StrEnum

from chalicelib.domain.models import Account, Deactivation, DeactivationState
from chalicelib.policy import Policy, Rules


class Basis(StrEnum):
    BAND_BELOW = "band_below_minimum"  # every age in the band is below the minimum
    BAND_REACHES_BELOW = "band_reaches_below_minimum"  # the stored facts cannot tell: treated as below


def below_minimum(policy: Policy, band: str, minimum: int) -> Basis | None:
    found = policy.band(band)
    if found.max_age is not None and found.max_age < minimum:
        return Basis.BAND_BELOW
    if found.min_age < minimum:
        return Basis.BAND_REACHES_BELOW
    return None


def notice(rules: Rules, account: Account, basis: Basis, today: date) -> Deactivation:
    """Notice of deactivation, from `today`, under the minimum age in force where the account lives."""
    source = rules.minimum_age_source
    return Deactivation(
        state=DeactivationState.PENDING,
        notice_until=today + timedelta(days=rules.policy.age.deactivation.notice_days),
        minimum_age=rules.minimum_age,
        jurisdiction=source.jurisdiction if source is not None else account.country,
        basis=basis.value,
    )


def reconsidered(rules: Rules, account: Account, today: date) -> tuple[Account, Deactivation | None]:
    """The account's deactivation once its age or place changed (`account` already has its new band and place), and
    what an event records of it (None when it did not change).

    Below the minimum where it now lives: a new notice, or a deactivation kept (and the account restricted again, so
    moving away and back never escapes it). Not below it any more (older, or living elsewhere): the notice or
    deactivation is lifted, and the restriction it imposed with it.
    """
    basis = below_minimum(rules.policy, account.age_band, rules.minimum_age)
    current = account.deactivation
    if basis is not None:
        if current is None:
            given = notice(rules, account, basis, today)
            return replace(account, deactivation=given), given
        if current.state is DeactivationState.DEACTIVATED and not account.restricted:
            return replace(account, restricted=True), current
        return account, None
    if current is None:
        return account, None
    restricted = account.restricted and current.state is not DeactivationState.DEACTIVATED
    lifted = replace(current, state=DeactivationState.LIFTED)
    return replace(account, deactivation=None, restricted=restricted), lifted


def lifted_by(policy: Policy, account: Account, band: str) -> bool:
    """Whether reaching `band` brings a deactivated (or noticed) account to the minimum that deactivated it."""
    return account.deactivation is not None and policy.band(band).min_age >= account.deactivation.minimum_age
