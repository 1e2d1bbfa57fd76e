"""Changing settings on the fakes, where races are made on purpose: a change that loses one without If-Match is
re-read, re-checked against the policy and retried (at most three attempts); with If-Match it is refused at once."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from chalicelib.domain.errors import ChangeRefused, Conflict, PreconditionFailed
from chalicelib.domain.models import Account, Actor, AuditEvent, Change, EventKind
from chalicelib.identity import Caller
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.change_settings import MAX_ATTEMPTS, AccountRestricted, change_settings
from chalicelib.services.signup import SignUp, sign_up
from tests.services.conftest import SIGNUP, user
from tests.services.rivals import RacedSettingsStore

HOLDER = user("teen-1")


@pytest.fixture
def settings_store() -> RacedSettingsStore:
    return RacedSettingsStore()


def signed_up(accounts: AccountsDeps, born: date) -> Account:
    return sign_up(accounts, SignUp(HOLDER.sub, born, "GB"), SIGNUP, "signup").account


def change(accounts: AccountsDeps, settings: dict[str, Any], if_match: int | None = None, by: Caller = HOLDER) -> Any:
    return change_settings(accounts, HOLDER.sub, settings, by, if_match, f"req-{uuid.uuid4().hex[:6]}")


def rival(accounts: AccountsDeps, settings: dict[str, Any]) -> Any:
    """Another device of the holder's, changing settings through the same service."""
    return lambda: change_settings(accounts, HOLDER.sub, settings, HOLDER, None, "rival")


def stored_write(accounts: AccountsDeps, restricted: bool = False, **settings: Any) -> Any:
    """A write that reaches the store by another path (a guardian's approval, an age check)."""

    def write() -> None:
        account = accounts.store.get_account(HOLDER.sub)
        assert account is not None
        updated = replace(
            account, version=account.version + 1, settings={**account.settings, **settings}, restricted=restricted
        )
        event = AuditEvent(
            event_id=str(uuid.uuid4()),
            account_id=HOLDER.sub,
            version=updated.version,
            at=account.created_at,
            actor=Actor("guardian-1", "guardian"),
            kind=EventKind.SETTINGS_CHANGED,
            changes=(),
            age_band=account.age_band,
            policy_version=account.policy_version,
            request_id="elsewhere",
        )
        accounts.store.apply_change(updated, account.version, event)

    return write


def history(accounts: AccountsDeps) -> list[AuditEvent]:
    return list(accounts.store.list_events(HOLDER.sub, 100, None).events)


def test_a_change_that_loses_a_race_without_if_match_is_retried_from_the_rivals_values(
    accounts: AccountsDeps, settings_store: RacedSettingsStore
) -> None:
    # Given a 17-year-old (comments: friends) whose other device opens comments to everyone first
    signed_up(accounts, date(2009, 5, 10))
    settings_store.land_first(rival(accounts, {"comments": "everyone"}))
    # When they close comments without If-Match
    updated = change(accounts, {"comments": "no_one"})
    # Then the first write lost, the retry won at version 3, recorded from the value the rival left
    assert (settings_store.attempts, settings_store.conflicts) == (2, 1)
    assert (updated.version, updated.settings["comments"]) == (3, "no_one")
    newest, rivals, _ = history(accounts)
    assert rivals.request_id == "rival"
    assert newest.changes == (Change("comments", "everyone", "no_one"),)


def test_a_change_with_if_match_that_loses_a_race_is_refused_after_one_attempt(
    accounts: AccountsDeps, settings_store: RacedSettingsStore
) -> None:
    signed_up(accounts, date(2009, 5, 10))
    settings_store.land_first(rival(accounts, {"comments": "everyone"}))
    with pytest.raises(PreconditionFailed):
        change(accounts, {"downloads": True}, if_match=1)
    assert settings_store.attempts == 1
    stored = accounts.store.get_account(HOLDER.sub)
    assert stored is not None and (stored.version, stored.settings["downloads"]) == (2, False)


def test_a_change_that_loses_three_races_gives_up_with_a_conflict_and_writes_nothing_of_its_own(
    accounts: AccountsDeps, settings_store: RacedSettingsStore
) -> None:
    # Given a 17-year-old whose other device changes comments before each of our writes
    signed_up(accounts, date(2009, 5, 10))
    settings_store.land_first(*(rival(accounts, {"comments": value}) for value in ["everyone", "no_one"] * 5))
    # When they allow downloads without If-Match
    with pytest.raises(Conflict):
        change(accounts, {"downloads": True})
    # Then exactly three attempts were made, all lost, and only the three rival changes are stored
    assert (settings_store.attempts, settings_store.conflicts) == (MAX_ATTEMPTS, MAX_ATTEMPTS)
    assert [event.request_id for event in history(accounts)] == ["rival"] * MAX_ATTEMPTS + ["signup"]
    stored = accounts.store.get_account(HOLDER.sub)
    assert stored is not None and stored.settings["downloads"] is False


def test_a_retried_change_is_checked_again_against_the_values_it_re_read(
    accounts: AccountsDeps, settings_store: RacedSettingsStore
) -> None:
    # Given a 14-year-old whose guardian approved 120 minutes a day (above the band's own limit of 60)
    signed_up(accounts, date(2012, 5, 10))
    stored_write(accounts, daily_screen_time_minutes=120)()
    # And whose other device tightens it to 40 just before their own change lands
    settings_store.land_first(rival(accounts, {"daily_screen_time_minutes": 40}))
    # When they ask for 90 (allowed from 120: tighter than the current value)
    with pytest.raises(ChangeRefused) as refused:
        change(accounts, {"daily_screen_time_minutes": 90})
    # Then the retry found that from 40, 90 needs a guardian again: refused, and the rival's 40 stays
    assert refused.value.code == "guardian_approval_required"
    stored = accounts.store.get_account(HOLDER.sub)
    assert stored is not None and stored.settings["daily_screen_time_minutes"] == 40


def test_a_change_racing_a_restriction_is_refused_on_its_retry(
    accounts: AccountsDeps, settings_store: RacedSettingsStore
) -> None:
    # Given a 17-year-old whose account is restricted (pending an age check) just before their change lands
    signed_up(accounts, date(2009, 5, 10))
    settings_store.land_first(stored_write(accounts, restricted=True))
    # When they open comments without If-Match / Then the retry sees the restriction and writes nothing
    with pytest.raises(AccountRestricted):
        change(accounts, {"comments": "everyone"})
    stored = accounts.store.get_account(HOLDER.sub)
    assert stored is not None and stored.restricted and stored.settings["comments"] == "friends"


def test_a_restricted_accounts_settings_cannot_be_changed_even_to_stricter_values(accounts: AccountsDeps) -> None:
    signed_up(accounts, date(2009, 5, 10))
    stored_write(accounts, restricted=True)()
    with pytest.raises(AccountRestricted):
        change(accounts, {"comments": "no_one"})
    assert len(history(accounts)) == 2


def test_a_holders_change_does_not_restamp_the_accounts_policy_version(accounts: AccountsDeps) -> None:
    # Given an account brought into line with one policy, and a newer policy now in force
    signed_up(accounts, date(2011, 5, 10))
    newer = replace(accounts, policy=accounts.policy.model_copy(update={"version": "2099-01-01"}))
    # When the holder changes a setting under the newer policy
    updated = change(newer, {"comments": "no_one"})
    # Then the account still says which policy its settings were last brought into line with
    assert updated.policy_version == accounts.policy.version
    assert settings_store_account(accounts).policy_version == accounts.policy.version


def settings_store_account(accounts: AccountsDeps) -> Account:
    stored = accounts.store.get_account(HOLDER.sub)
    assert stored is not None
    return stored
