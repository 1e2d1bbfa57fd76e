"""Age on a given day, the band it falls in, and when that band ends. Counted on the UTC date passed in."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from chalicelib.domain.errors import BelowMinimumAge, Problem, ValidationFailed
from chalicelib.policy import AgeBand, Policy


def birthday_in(year: int, birth_date: date) -> date:
    """The day a birthday is counted in `year`: 29 February counts from 1 March in other years."""
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, birth_date.month, birth_date.day)


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years if today >= birthday_in(today.year, birth_date) else years - 1


def date_of_age(birth_date: date, age: int) -> date:
    """The day on which a person born on `birth_date` reaches `age`."""
    return birthday_in(birth_date.year + age, birth_date)


@dataclass(frozen=True)
class AgeAssessment:
    """What the service keeps from a birth date: never the date itself."""

    band: AgeBand
    band_ends: tuple[date, ...]  # the day each later band starts, soonest first (none for the last band)
    requires_parental_consent: bool

    @property
    def band_ends_on(self) -> date | None:
        return self.band_ends[0] if self.band_ends else None


def check_birth_date(policy: Policy, birth_date: date, today: date) -> None:
    """Refuses a birth date in the future or more than the policy's `max_age_years` ago (422)."""
    if birth_date > today:
        raise ValidationFailed(
            "birth_date is in the future",
            (Problem(field="birth_date", code="invalid_value", message="must not be in the future"),),
        )
    if birth_date < birthday_in(today.year - policy.age.max_age_years, today):
        raise ValidationFailed(
            "birth_date is too far in the past",
            (
                Problem(
                    field="birth_date",
                    code="invalid_value",
                    message=f"must be less than {policy.age.max_age_years} years ago",
                ),
            ),
        )


def assess_age(
    policy: Policy, birth_date: date, country: str, today: date, subdivision: str | None = None
) -> AgeAssessment:
    """The band for a sign-up, or an error for an impossible date or an age below the minimum where it lives."""
    check_birth_date(policy, birth_date, today)
    age = age_on(birth_date, today)
    if age < policy.minimum_age_in(country, subdivision, today):
        raise BelowMinimumAge("this person is below the minimum age for an account in this country")
    band = next(
        band for band in policy.age.bands if band.min_age <= age and (band.max_age is None or age <= band.max_age)
    )
    band_ends = tuple(date_of_age(birth_date, later.min_age) for later in policy.age.bands if later.min_age > age)
    consent_age = policy.age.consent_age.for_country(country)
    return AgeAssessment(band=band, band_ends=band_ends, requires_parental_consent=age < consent_age)


@dataclass(frozen=True)
class AgePlacement:
    """Where an age correction puts an account: its band, whether it is below the country's minimum age, and the
    days its later bands start (None when only a range is known: no birthday moves it on)."""

    band_index: int
    band: AgeBand
    restricted: bool
    band_ends: tuple[date, ...] | None


def _band_at(policy: Policy, age: int) -> tuple[int, AgeBand]:
    """The band of `age`; an age below the youngest band counts in the youngest (it is restricted anyway)."""
    bands = policy.age.bands
    age = max(age, bands[0].min_age)
    return next(
        (index, band)
        for index, band in enumerate(bands)
        if band.min_age <= age and (band.max_age is None or age <= band.max_age)
    )


def place_by_birth_date(
    policy: Policy, birth_date: date, country: str, today: date, subdivision: str | None = None
) -> AgePlacement:
    check_birth_date(policy, birth_date, today)
    age = age_on(birth_date, today)
    index, band = _band_at(policy, age)
    ends = tuple(date_of_age(birth_date, later.min_age) for later in policy.age.bands[index + 1 :])
    restricted = age < policy.minimum_age_in(country, subdivision, today)
    return AgePlacement(index, band, restricted, ends)


def place_by_range(
    policy: Policy, lower: int, country: str, today: date, subdivision: str | None = None
) -> AgePlacement:
    """An age range (an app store's signal) counts as its youngest age: the strictest band it overlaps, and
    restricted when its youngest age is below the country's minimum."""
    index, band = _band_at(policy, lower)
    return AgePlacement(index, band, lower < policy.minimum_age_in(country, subdivision, today), None)
