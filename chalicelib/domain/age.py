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
    band_ends_on: date | None
    requires_parental_consent: bool


def assess_age(policy: Policy, birth_date: date, country: str, today: date) -> AgeAssessment:
    """The band for a sign-up, or an error for an impossible date or an age below the country's minimum."""
    if birth_date > today:
        raise ValidationFailed(
            "birth_date is in the future",
            (Problem(field="birth_date", code="invalid_value", message="must not be in the future"),),
        )
    age = age_on(birth_date, today)
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
    if age < policy.age.minimum_age.for_country(country):
        raise BelowMinimumAge("this person is below the minimum age for an account in this country")
    band = next(
        band for band in policy.age.bands if band.min_age <= age and (band.max_age is None or age <= band.max_age)
    )
    band_ends_on = None if band.max_age is None else date_of_age(birth_date, band.max_age + 1)
    consent_age = policy.age.consent_age.for_country(country)
    return AgeAssessment(band=band, band_ends_on=band_ends_on, requires_parental_consent=age < consent_age)
