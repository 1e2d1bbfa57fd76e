"""Age on a UTC date, its band, the band's end, parental consent and the limits of a plausible birth date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain.age import assess_age
from chalicelib.domain.errors import BelowMinimumAge, ValidationFailed
from chalicelib.policy import Policy

ONE_DAY = timedelta(days=1)
BORN = date(2010, 6, 15)


def birthday(age: int, born: date = BORN) -> date:
    return born.replace(year=born.year + age)


@pytest.mark.parametrize(
    ("today", "band"),
    [
        (birthday(13), "13-15"),
        (birthday(13) + ONE_DAY, "13-15"),
        (birthday(16) - ONE_DAY, "13-15"),
        (birthday(16), "16-17"),
        (birthday(16) + ONE_DAY, "16-17"),
        (birthday(18) - ONE_DAY, "16-17"),
        (birthday(18), "18+"),
        (birthday(18) + ONE_DAY, "18+"),
    ],
    ids=lambda value: value.isoformat() if isinstance(value, date) else value,
)
def test_the_band_changes_on_the_birthday_itself(policy: Policy, today: date, band: str) -> None:
    # Given someone born on 2010-06-15 in GB
    # When their age is assessed on a day around their 13th, 16th or 18th birthday
    assessment = assess_age(policy, BORN, "GB", today)
    # Then the band is the one that starts on that birthday, not a day earlier or later
    assert assessment.band.name == band


def test_the_day_before_the_13th_birthday_is_below_the_minimum_age(policy: Policy) -> None:
    # Given someone born on 2010-06-15 in GB / When assessed the day before they turn 13
    # Then sign-up is refused as below the minimum age
    with pytest.raises(BelowMinimumAge):
        assess_age(policy, BORN, "GB", birthday(13) - ONE_DAY)


@pytest.mark.parametrize(
    ("today", "band"),
    [
        (date(2026, 2, 28), "16-17"),  # 2026 has no 29 February: still 17
        (date(2026, 3, 1), "18+"),  # the birthday counts from 1 March
    ],
)
def test_a_29_february_birthday_counts_from_1_march_in_other_years(policy: Policy, today: date, band: str) -> None:
    # Given someone born on 2008-02-29, who turns 18 in 2026, not a leap year
    # When assessed on 28 February and on 1 March
    assessment = assess_age(policy, date(2008, 2, 29), "GB", today)
    # Then they become an adult on 1 March
    assert assessment.band.name == band


def test_a_29_february_birthday_is_29_february_in_a_leap_year(policy: Policy) -> None:
    # Given someone born on 2012-02-29, who turns 16 in 2028, a leap year
    born = date(2012, 2, 29)
    # When assessed on 28 and 29 February 2028
    day_before = assess_age(policy, born, "GB", date(2028, 2, 28))
    on_the_day = assess_age(policy, born, "GB", date(2028, 2, 29))
    # Then the band changes on 29 February itself
    assert (day_before.band.name, on_the_day.band.name) == ("13-15", "16-17")


def test_a_29_february_child_reaches_the_minimum_age_on_1_march(policy: Policy) -> None:
    # Given someone born on 2012-02-29, who turns 13 in 2025, not a leap year
    born = date(2012, 2, 29)
    # When assessed on 28 February 2025 / Then they are still 12
    with pytest.raises(BelowMinimumAge):
        assess_age(policy, born, "GB", date(2025, 2, 28))
    # When assessed on 1 March 2025 / Then they are 13
    assert assess_age(policy, born, "GB", date(2025, 3, 1)).band.name == "13-15"


def test_a_15_year_old_in_australia_is_below_the_minimum_age(policy: Policy) -> None:
    # Given a 15-year-old in AU, where the minimum age is 16 / When assessed / Then refused
    with pytest.raises(BelowMinimumAge):
        assess_age(policy, BORN, "AU", birthday(16) - ONE_DAY)


def test_a_16_year_old_in_australia_is_accepted_into_the_16_to_17_band(policy: Policy) -> None:
    # Given someone turning 16 today in AU / When assessed / Then accepted, in the 16-17 band
    assert assess_age(policy, BORN, "AU", birthday(16)).band.name == "16-17"


def test_a_15_year_old_elsewhere_is_accepted(policy: Policy) -> None:
    # Given the same 15-year-old in GB / When assessed / Then accepted: the AU rule is AU's alone
    assert assess_age(policy, BORN, "GB", birthday(16) - ONE_DAY).band.name == "13-15"


@pytest.mark.parametrize(
    ("country", "age", "requires_consent"),
    [
        ("DE", 15, True),  # consent age 16
        ("DE", 16, False),
        ("GB", 13, False),  # consent age 13
        ("FR", 14, True),  # consent age 15
        ("FR", 15, False),
        ("AT", 13, True),  # consent age 14
        ("AT", 14, False),
        ("JP", 15, True),  # not listed: 16
        ("JP", 16, False),
        ("US", 17, False),
        ("DE", 30, False),
    ],
)
def test_parental_consent_is_required_under_the_country_consent_age(
    policy: Policy, country: str, age: int, requires_consent: bool
) -> None:
    # Given someone of `age` today in `country`
    # When assessed
    assessment = assess_age(policy, BORN, country, birthday(age))
    # Then parental consent is required exactly when they are under that country's consent age
    assert assessment.requires_parental_consent is requires_consent


@pytest.mark.parametrize(
    ("born", "today", "ends_on"),
    [
        (BORN, date(2024, 1, 1), date(2026, 6, 15)),  # 13-15 ends on the 16th birthday
        (BORN, date(2027, 1, 1), date(2028, 6, 15)),  # 16-17 ends on the 18th birthday
        (date(2012, 2, 29), date(2025, 3, 1), date(2028, 2, 29)),  # 16th birthday in a leap year
        (date(2008, 2, 29), date(2025, 1, 1), date(2026, 3, 1)),  # 18th birthday in another year: 1 March
    ],
)
def test_a_minor_band_ends_on_the_birthday_that_starts_the_next_band(
    policy: Policy, born: date, today: date, ends_on: date
) -> None:
    # Given a minor / When assessed / Then the band's end is the birthday on which the next band starts
    assert assess_age(policy, born, "GB", today).band_ends_on == ends_on


def test_the_adult_band_never_ends(policy: Policy) -> None:
    # Given an adult / When assessed / Then there is no band end
    assert assess_age(policy, BORN, "GB", birthday(30)).band_ends_on is None


def test_a_birth_date_in_the_future_is_refused(policy: Policy) -> None:
    # Given a birth date tomorrow / When assessed / Then it is a validation failure on birth_date
    today = date(2026, 11, 25)
    with pytest.raises(ValidationFailed) as refused:
        assess_age(policy, today + ONE_DAY, "GB", today)
    assert [problem.field for problem in refused.value.problems] == ["birth_date"]


def test_a_birth_date_exactly_120_years_ago_is_accepted(policy: Policy) -> None:
    # Given someone born exactly 120 years ago today / When assessed / Then accepted as an adult
    assert assess_age(policy, date(1906, 11, 25), "GB", date(2026, 11, 25)).band.name == "18+"


@pytest.mark.parametrize("born", [date(1906, 11, 24), date(1906, 1, 1), date(1905, 11, 25), date(1800, 1, 1)])
def test_a_birth_date_more_than_120_years_ago_is_refused(policy: Policy, born: date) -> None:
    # Given a birth date more than 120 years before today (2026-11-25)
    # When assessed / Then it is a validation failure on birth_date
    with pytest.raises(ValidationFailed) as refused:
        assess_age(policy, born, "GB", date(2026, 11, 25))
    assert [problem.field for problem in refused.value.problems] == ["birth_date"]
