"""The one rule (issue 8): what an account's settings must become under a policy, a band and a restriction."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.settings import band_defaults, conform
from chalicelib.policy import Policy
from chalicelib.policy.loader import load_policy

POLICY: Policy = load_policy()
BANDS = sorted(next(iter(POLICY.settings.values())).bands)


@st.composite
def accounts(draw: Any) -> tuple[str, dict[str, Any]]:
    band = draw(st.sampled_from(BANDS))
    values = {
        name: draw(st.sampled_from([*rule.options, "not-an-option"]))
        for name, rule in POLICY.settings.items()
        if draw(st.booleans())
    }
    return band, values


@settings(max_examples=300, deadline=None)
@given(accounts(), st.booleans())
def test_no_value_is_ever_loosened_and_every_value_is_within_the_bands_own_limit(
    account: tuple[str, dict[str, Any]], restricted: bool
) -> None:
    band, values = account
    conformed, changes = conform(POLICY.global_rules, band, values, restricted=restricted)
    for name, rule in POLICY.settings.items():
        rank = rule.rank_of(conformed[name])
        assert rank <= rule.rank_of(rule.bands[band].self_max)
        was = rule.rank(values.get(name)) if name in values else None
        if was is not None:
            assert rank <= was
        if restricted:
            assert rank == 0
    # each change is listed once, from what was held to what is now held, and nothing else changed
    assert {c.setting: (c.from_value, c.to_value) for c in changes} == {
        name: (values.get(name), conformed[name])
        for name in POLICY.settings
        if name not in values or values[name] != conformed[name] or type(values[name]) is not type(conformed[name])
    }
    # applying the rule again changes nothing
    assert conform(POLICY.global_rules, band, conformed, restricted=restricted) == (conformed, ())


def test_a_new_account_gets_its_bands_defaults_each_listed_as_a_change() -> None:
    for band in BANDS:
        conformed, changes = conform(POLICY.global_rules, band, {})
        assert conformed == band_defaults(POLICY.global_rules, band)
        assert [(c.setting, c.from_value) for c in changes] == [(name, None) for name in POLICY.settings]


def test_a_guardian_approved_value_beyond_the_bands_own_limit_is_clamped_to_it() -> None:
    rule = POLICY.settings["daily_screen_time_minutes"]
    limits = rule.bands["13-15"]
    assert rule.rank_of(limits.guardian_max) > rule.rank_of(limits.self_max)
    conformed, changes = conform(POLICY.global_rules, "13-15", {"daily_screen_time_minutes": limits.guardian_max})
    assert conformed["daily_screen_time_minutes"] == limits.self_max
    (clamped,) = [c for c in changes if c.setting == "daily_screen_time_minutes"]
    assert (clamped.from_value, clamped.to_value) == (limits.guardian_max, limits.self_max)
