"""Sign-up on the fakes: what is stored (the band's defaults, when the band ends, one first event), and that a
refused or repeated sign-up stores nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.errors import BelowMinimumAge, SignUpConflict
from chalicelib.domain.models import AgeAssurance, Change, EventKind
from chalicelib.domain.settings import band_defaults
from chalicelib.policy import Policy
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.signup import SignUp, sign_up
from tests.fakes import FakeBandEndSealer, FakeSettingsStore
from tests.services.conftest import SIGNUP


def test_sign_up_stores_the_bands_defaults_with_one_defaults_applied_event(
    accounts: AccountsDeps, settings_store: FakeSettingsStore, policy: Policy, band_ends: FakeBandEndSealer
) -> None:
    # Given a 14-year-old in Great Britain (born 2012-05-10, today 2026-11-25)
    # When the sign-up service signs them up
    result = sign_up(accounts, SignUp("kid-1", date(2012, 5, 10), "GB"), SIGNUP, "req-1")
    # Then the account holds the 13-15 defaults at version 1; its bands end on the 16th and 18th birthdays, kept
    # only sealed, with the month in the clear
    stored = settings_store.get_account("kid-1")
    assert stored is not None and stored == result.account
    assert (stored.age_band, stored.version, stored.age_assurance) == ("13-15", 1, AgeAssurance.SELF_DECLARED)
    assert stored.settings == band_defaults(policy.global_rules, "13-15")
    assert band_ends.open("kid-1", stored.band_end_sealed) == (date(2028, 5, 10), date(2030, 5, 10))
    assert stored.band_end_month == "2028-05"
    # And its one event records every default, set by the sign-up service under this request
    (event,) = settings_store.list_events("kid-1", 10, None).events
    assert (event.kind, event.version, event.actor.role, event.request_id) == (
        EventKind.DEFAULTS_APPLIED,
        1,
        "signup-service",
        "req-1",
    )
    assert set(event.changes) == {Change(name, None, value) for name, value in stored.settings.items()}


def test_a_leap_day_childs_band_ends_on_1_march_in_a_common_year(
    accounts: AccountsDeps, settings_store: FakeSettingsStore, clock: list[datetime], band_ends: FakeBandEndSealer
) -> None:
    # Given a 16-year-old born on 29 February 2008, signing up on 1 January 2025
    clock[0] = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
    # When they sign up
    sign_up(accounts, SignUp("leap-1", date(2008, 2, 29), "GB"), SIGNUP, "req-leap")
    # Then their 16-17 band ends when they turn 18: on 1 March 2026, 2026 having no 29 February
    stored = settings_store.get_account("leap-1")
    assert stored is not None
    assert stored.age_band == "16-17"
    assert band_ends.open("leap-1", stored.band_end_sealed) == (date(2026, 3, 1),)


def test_a_second_sign_up_for_a_taken_id_is_refused_and_keeps_the_first_account(
    accounts: AccountsDeps, settings_store: FakeSettingsStore
) -> None:
    # Given an adult's account
    first = sign_up(accounts, SignUp("taken", date(1990, 5, 10), "GB"), SIGNUP, "req-1").account
    # When someone signs up the same id as a 14-year-old
    with pytest.raises(SignUpConflict):
        sign_up(accounts, SignUp("taken", date(2012, 5, 10), "FR"), SIGNUP, "req-2")
    # Then the adult's account and its single event are untouched
    assert settings_store.get_account("taken") == first
    assert [e.request_id for e in settings_store.list_events("taken", 10, None).events] == ["req-1"]


def test_a_child_below_the_countrys_minimum_age_is_refused_and_nothing_is_stored(
    accounts: AccountsDeps, settings_store: FakeSettingsStore
) -> None:
    # Given a 14-year-old in Australia, where the minimum age is 16
    with pytest.raises(BelowMinimumAge):
        sign_up(accounts, SignUp("too-young", date(2012, 5, 10), "AU"), SIGNUP, "req-au")
    # Then no record and no event exist for the id
    assert settings_store.get_account("too-young") is None
    assert settings_store.list_events("too-young", 10, None).events == ()
