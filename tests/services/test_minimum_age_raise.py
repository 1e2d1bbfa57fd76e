"""A minimum age raised for accounts that exist (issue 9, Australia's 16): a migration gives each account below it
notice (visible on the record, in its event), the daily job deactivates it when the notice ends, and the birthday that
brings it to the minimum lifts that; where the stored band cannot tell, the account is treated as below."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.domain.models import DeactivationState, EventKind
from chalicelib.policy import Policy, load_policy
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.migration import MigrationDeps, run_migration
from chalicelib.services.signup import SignUp, sign_up
from chalicelib.services.transitions import TransitionsDeps, band_change, deactivate_due
from tests.conftest import PROJECT_DIR
from tests.fakes import FakeBandEndSealer, FakeSettingsStore
from tests.services.conftest import SIGNUP

NEWEST = load_policy()
NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
TODAY = NOW.date()


def version_file(version: str) -> dict[str, Any]:
    text = (PROJECT_DIR / "chalicelib" / "policy" / "versions" / f"{version}.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


def without_australias_minimum() -> Policy:
    """The previous version as if Australia had no minimum age of its own (13 there, as everywhere)."""
    raw = copy.deepcopy(version_file("2026-11-25"))
    raw["version"] = "2026-11-01"
    raw["age"]["minimum_age"]["by_country"] = {}
    return Policy.model_validate(raw, strict=False)


def minimum_raised_to(age: int) -> Policy:
    raw = copy.deepcopy(version_file(NEWEST.version))
    raw["version"] = "2026-12-24"
    for overlay in raw["overlays"]:
        if overlay["jurisdiction"] == "AU":
            overlay["minimum_age"] = age
    return Policy.model_validate(raw, strict=False)


def seeded(store: FakeSettingsStore, old: Policy, accounts: dict[str, date]) -> None:
    deps = AccountsDeps(store=store, policy=old, clock=lambda: NOW - timedelta(days=30), band_ends=FakeBandEndSealer())
    for account_id, born in accounts.items():
        sign_up(deps, SignUp(account_id, born, "AU"), SIGNUP, "seed")


def migrate(store: FakeSettingsStore, old: Policy, target: Policy, now: datetime = NOW) -> Any:
    deps = MigrationDeps(store=store, policy=target, policies=lambda version: old, clock=lambda: now)
    return run_migration(deps, [old.version])


def test_an_australian_15_year_old_gets_notice_then_is_deactivated_and_their_16th_birthday_lifts_it() -> None:
    # Given a 15-year-old and a 17-year-old in Australia, signed up when it had no minimum age of 16
    store, old = FakeSettingsStore(), without_australias_minimum()
    seeded(store, old, {"au-15": date(2011, 6, 1), "au-17": date(2009, 6, 1)})
    # When the version with Australia's minimum age (from 10 December 2025) is migrated to
    impact = migrate(store, old, NEWEST)
    # Then the 15-year-old is under 14 days' notice, saying why, and the 17-year-old is not
    kid, older = store.get_account("au-15"), store.get_account("au-17")
    assert kid is not None and older is not None and older.deactivation is None
    assert kid.deactivation is not None and not kid.restricted
    assert (kid.deactivation.state, kid.deactivation.notice_until) == (DeactivationState.PENDING, TODAY + timedelta(14))
    assert (kid.deactivation.minimum_age, kid.deactivation.jurisdiction) == (16, "AU")
    assert kid.deactivation.basis == "band_below_minimum"
    migrated = store.list_events("au-15", 10, None).events[0]
    assert migrated.kind is EventKind.POLICY_MIGRATED and migrated.deactivation == kid.deactivation
    assert impact.notices == 1
    # When the daily job runs before the notice ends, nothing happens; on its last day, the account is deactivated
    deps = TransitionsDeps(store=store, policy=NEWEST, band_ends=FakeBandEndSealer(), clock=lambda: NOW)
    assert deactivate_due(deps, TODAY + timedelta(13)) == 0
    assert deactivate_due(deps, TODAY + timedelta(14)) == 1
    assert deactivate_due(deps, TODAY + timedelta(15)) == 0  # a repeat finds nothing
    kid = store.get_account("au-15")
    assert kid is not None and kid.restricted and kid.deactivation is not None
    assert kid.deactivation.state is DeactivationState.DEACTIVATED
    deactivated = store.list_events("au-15", 10, None).events[0]
    assert deactivated.kind is EventKind.DEACTIVATED
    assert all(kid.settings[name] == rule.options[0] for name, rule in NEWEST.settings.items())
    # When their 16th birthday moves them into 16-17, the deactivation is lifted; no value is loosened
    strict = dict(kid.settings)
    lifted, event = band_change(deps, kid, (date(2027, 6, 1),), (date(2029, 6, 1),), "birthday")
    assert not lifted.restricted and lifted.deactivation is None
    assert event.deactivation is not None and event.deactivation.state is DeactivationState.LIFTED
    assert all(lifted.settings[name] == strict[name] for name in strict)


def test_where_the_band_cannot_tell_the_account_is_treated_as_below_and_the_event_says_so() -> None:
    # Given a 13-15-year-old in Australia signed up when its minimum was 13, and a version raising it to 15
    store, old = FakeSettingsStore(), without_australias_minimum()
    seeded(store, old, {"au-14": date(2012, 6, 1)})
    target = minimum_raised_to(15)
    assert target.minimum_age_in("AU", None, TODAY) == 15
    # When migrated, the band 13-15 reaches below 15: it cannot be told whether the holder is 15, so notice is given
    migrate(store, old, target)
    account = store.get_account("au-14")
    assert account is not None and account.deactivation is not None
    assert account.deactivation.basis == "band_reaches_below_minimum"


def test_a_second_migration_gives_no_second_notice() -> None:
    store, old = FakeSettingsStore(), without_australias_minimum()
    seeded(store, old, {"au-15": date(2011, 6, 1)})
    migrate(store, old, NEWEST)
    first = store.get_account("au-15")
    raised = minimum_raised_to(16)
    again = migrate(store, NEWEST, raised, NOW + timedelta(days=3))
    assert again.notices == 0
    assert store.get_account("au-15").deactivation == first.deactivation  # type: ignore[union-attr]
