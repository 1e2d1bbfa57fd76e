"""Property (issue 8): over random accounts, bands and sequences of requests, no birthday move and no age correction
ever loosens a value; the holder never makes the account older or lifts a restriction; every value stays within what
the account's band (or restriction) allows; and each step that changes the account writes exactly one event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import DomainError
from chalicelib.domain.models import Account, AgeAssurance, AgeSource
from chalicelib.identity import AGE_VERIFIER, Caller
from chalicelib.policy import Policy, load_policy
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.age_correction import AgeCorrection, correct_age
from chalicelib.services.change_settings import change_settings
from chalicelib.services.signup import SignUp, sign_up
from chalicelib.services.transitions import TransitionsDeps, move_if_due
from tests.fakes import FakeBandEndSealer, FakeSettingsStore

POLICY: Policy = load_policy()
BANDS = [band.name for band in POLICY.age.bands]
START = datetime(2026, 11, 25, 12, tzinfo=UTC)
SIGNUP = Caller("signup-service", frozenset({"signup-service"}))
VERIFIER = Caller("verifier-1", frozenset({AGE_VERIFIER}))
HOLDER_SOURCES = [AgeSource.SELF, AgeSource.APPLE_DECLARED_AGE_RANGE, AgeSource.GOOGLE_PLAY_AGE_SIGNALS]

birth_dates = st.dates(min_value=date(1960, 1, 1), max_value=date(2016, 12, 31))
waits = st.tuples(st.just("wait"), st.integers(min_value=1, max_value=1200))
steps = st.one_of(
    waits,
    waits,
    st.tuples(st.just("patch"), st.sampled_from(sorted(POLICY.settings)), st.integers(min_value=0, max_value=4)),
    st.tuples(st.just("holder_date"), birth_dates, st.sampled_from(HOLDER_SOURCES)),
    st.tuples(st.just("holder_range"), st.integers(min_value=8, max_value=30), st.sampled_from(HOLDER_SOURCES)),
    st.tuples(st.just("verifier_date"), birth_dates),
    st.tuples(st.just("verifier_range"), st.integers(min_value=8, max_value=30)),
)


def ranks(account: Account) -> dict[str, int]:
    return {name: rule.rank_of(account.settings[name]) for name, rule in POLICY.settings.items()}


def check_within_limits(account: Account) -> None:
    for name, rule in POLICY.settings.items():
        rank = rule.rank_of(account.settings[name])
        if account.restricted:
            assert rank == 0, (name, account.settings[name])
        else:
            assert rank <= rule.rank_of(rule.bands[account.age_band].self_max), (name, account.age_band)


class World:
    def __init__(self, born: date, country: str) -> None:
        self.now = START
        self.store = FakeSettingsStore()
        self.band_ends = FakeBandEndSealer()
        self.accounts = AccountsDeps(self.store, POLICY, lambda: self.now, self.band_ends)
        self.transitions = TransitionsDeps(self.store, POLICY, self.band_ends, lambda: self.now)
        sign_up(self.accounts, SignUp("kid", born, country), SIGNUP, "signup")

    def account(self) -> Account:
        account = self.store.get_account("kid")
        assert account is not None
        return account

    def events(self) -> int:
        return len(self.store.list_events("kid", 100, None).events)

    def step(self, step: tuple[Any, ...]) -> str:
        kind = step[0]
        if kind == "wait":
            self.now += timedelta(days=step[1])
            return move_if_due(self.transitions, self.account(), self.now.date())
        if kind == "patch":
            rule = POLICY.settings[step[1]]
            value = rule.options[step[2] % len(rule.options)]
            change_settings(self.accounts, "kid", {step[1]: value}, Caller("kid", frozenset()), None, "patch")
            return "patch"
        if kind == "holder_date":
            correction = AgeCorrection(AgeAssurance.SELF_DECLARED, step[2], birth_date=step[1])
        elif kind == "holder_range":
            correction = AgeCorrection(AgeAssurance.GUARDIAN_DECLARED, step[2], range_lower=step[1])
        elif kind == "verifier_date":
            correction = AgeCorrection(AgeAssurance.VERIFIED, AgeSource.AGE_VERIFIER, birth_date=step[1])
        else:
            correction = AgeCorrection(AgeAssurance.ESTIMATED, AgeSource.AGE_VERIFIER, range_lower=step[1])
        caller = VERIFIER if kind.startswith("verifier") else Caller("kid", frozenset())
        correct_age(self.accounts, "kid", correction, caller, kind)
        return kind


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    born=st.one_of(
        st.dates(min_value=date(2008, 11, 26), max_value=date(2013, 11, 25)),  # minors, mostly
        st.dates(min_value=date(1980, 1, 1), max_value=date(2008, 11, 25)),
    ),
    country=st.sampled_from(["GB", "AU", "US", "DE"]),
    sequence=st.lists(steps, min_size=1, max_size=12),
)
def test_no_move_or_correction_loosens_a_value_and_the_holder_never_gets_older(
    born: date, country: str, sequence: list[tuple[Any, ...]]
) -> None:
    try:
        world = World(born, country)
    except DomainError:
        return  # below the country's minimum age: no account
    for step in sequence:
        before, events = world.account(), world.events()
        try:
            kind = world.step(step)
        except DomainError:
            after = world.account()
            assert after == before  # a refusal changes nothing
            assert world.events() == events
            continue
        after = world.account()
        check_within_limits(after)
        if after == before:
            assert world.events() == events, step  # a no-op writes nothing
            continue
        assert world.events() == events + 1, step  # one event per change
        assert after.version == before.version + 1
        if kind == "patch":
            continue
        # no birthday move and no correction loosens any value
        loosened = {name for name, rank in ranks(after).items() if rank > ranks(before)[name]}
        assert not loosened, (step, loosened)
        if kind.startswith("holder"):
            # the holder never makes the account older, never lifts a restriction
            assert BANDS.index(after.age_band) <= BANDS.index(before.age_band), step
            assert after.restricted or not before.restricted, step
        if kind == "wait":
            assert BANDS.index(after.age_band) > BANDS.index(before.age_band)  # a move goes up
            assert after.restricted == before.restricted
