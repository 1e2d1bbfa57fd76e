"""Which changes are accepted, needing a guardian or locked; what the settings screen shows. Pure, no AWS."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import ChangeRefused, InvalidChange
from chalicelib.domain.models import Change
from chalicelib.domain.settings import OptionStatus, band_defaults, decide_changes, option_status, settings_screen
from chalicelib.policy import Policy


def problems_of(error: ChangeRefused | InvalidChange) -> dict[str | None, str]:
    return {problem.setting: problem.code for problem in error.problems}


# -- accepted ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("band", "setting", "stricter"),
    [
        ("13-15", "comments", "no_one"),
        ("13-15", "mentions", "no_one"),
        ("13-15", "daily_screen_time_minutes", 40),
        ("16-17", "comment_filter", "strict"),
        ("18+", "account_visibility", "private"),
        ("18+", "direct_messages", "no_one"),
        ("18+", "daily_screen_time_minutes", 40),
        ("18+", "quiet_hours", "21:00-08:00"),
    ],
)
def test_a_stricter_value_than_the_default_is_accepted(policy: Policy, band: str, setting: str, stricter: Any) -> None:
    # Given an account with its band's defaults
    current = band_defaults(policy.global_rules, band)
    # When it asks for a stricter value
    changes = decide_changes(policy.global_rules, band, current, {setting: stricter})
    # Then that one change is accepted, from the default
    assert changes == (Change(setting, current[setting], stricter),)


def test_a_stricter_value_is_accepted_even_when_it_is_still_beyond_self_max(policy: Policy) -> None:
    # Given a 13-15 account whose screen-time limit was lifted (null) with a guardian's approval; self_max is 60
    current = {**band_defaults(policy.global_rules, "13-15"), "daily_screen_time_minutes": None}
    # When the account holder tightens it to 120, stricter than now but still looser than self_max
    changes = decide_changes(policy.global_rules, "13-15", current, {"daily_screen_time_minutes": 120})
    # Then it is accepted: tightening is always allowed
    assert changes == (Change("daily_screen_time_minutes", None, 120),)


def test_loosening_again_beyond_self_max_needs_a_guardian(policy: Policy) -> None:
    # Given that 13-15 account now at 120 minutes
    current = {**band_defaults(policy.global_rules, "13-15"), "daily_screen_time_minutes": 120}
    # When it asks for no limit again
    with pytest.raises(ChangeRefused) as refused:
        decide_changes(policy.global_rules, "13-15", current, {"daily_screen_time_minutes": None})
    # Then it needs a guardian (null is within guardian_max)
    assert problems_of(refused.value) == {"daily_screen_time_minutes": "guardian_approval_required"}


@pytest.mark.parametrize(
    ("band", "setting", "looser"),
    [
        ("16-17", "account_visibility", "public"),
        ("16-17", "comments", "everyone"),
        ("16-17", "direct_messages", "friends"),
        ("16-17", "downloads", True),
        ("16-17", "daily_screen_time_minutes", None),
        ("16-17", "daily_screen_time_minutes", 90),
        ("16-17", "kindness_prompt", False),
        ("18+", "direct_messages", "everyone"),
        ("18+", "location_sharing", True),
        ("18+", "comment_filter", "off"),
    ],
)
def test_a_looser_value_up_to_self_max_is_accepted(policy: Policy, band: str, setting: str, looser: Any) -> None:
    # Given an account with its band's defaults
    current = band_defaults(policy.global_rules, band)
    # When it asks for a looser value that is within self_max
    changes = decide_changes(policy.global_rules, band, current, {setting: looser})
    # Then it is accepted
    assert changes == (Change(setting, current[setting], looser),)


# -- refused -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("band", "setting", "value"),
    [
        ("13-15", "account_visibility", "public"),
        ("13-15", "mentions", "everyone"),
        ("13-15", "suggest_account", True),
        ("13-15", "comment_filter", "standard"),
        ("13-15", "daily_screen_time_minutes", 90),
        ("13-15", "daily_screen_time_minutes", None),
    ],
)
def test_a_value_beyond_self_max_but_within_guardian_max_needs_a_guardian(
    policy: Policy, band: str, setting: str, value: Any
) -> None:
    # Given an account with its band's defaults
    current = band_defaults(policy.global_rules, band)
    # When it asks for a value beyond self_max but within guardian_max
    with pytest.raises(ChangeRefused) as refused:
        decide_changes(policy.global_rules, band, current, {setting: value})
    # Then it is refused as needing a guardian's approval
    assert refused.value.code == "guardian_approval_required"
    assert problems_of(refused.value) == {setting: "guardian_approval_required"}


@pytest.mark.parametrize(
    ("band", "setting", "value"),
    [
        ("13-15", "direct_messages", "friends"),
        ("13-15", "direct_messages", "everyone"),
        ("13-15", "comments", "everyone"),
        ("13-15", "duet_stitch", "friends"),
        ("13-15", "live_hosting", True),
        ("13-15", "comment_filter", "off"),
        ("13-15", "quiet_hours", None),
        ("16-17", "direct_messages", "everyone"),
        ("16-17", "gifts", True),
        ("16-17", "personalized_ads", True),
        ("16-17", "quiet_hours", None),
    ],
)
def test_a_value_beyond_guardian_max_is_locked(policy: Policy, band: str, setting: str, value: Any) -> None:
    # Given an account with its band's defaults
    current = band_defaults(policy.global_rules, band)
    # When it asks for a value beyond guardian_max
    with pytest.raises(ChangeRefused) as refused:
        decide_changes(policy.global_rules, band, current, {setting: value})
    # Then it is locked
    assert refused.value.code == "locked"
    assert problems_of(refused.value) == {setting: "locked"}


def test_one_refused_setting_refuses_the_whole_request(policy: Policy) -> None:
    # Given a 13-15 account with its defaults
    current = band_defaults(policy.global_rules, "13-15")
    # When it asks for one allowed change and one locked change together
    with pytest.raises(ChangeRefused) as refused:
        decide_changes(policy.global_rules, "13-15", current, {"comments": "no_one", "direct_messages": "everyone"})
    # Then nothing is returned to apply, and only the refused setting is named
    assert problems_of(refused.value) == {"direct_messages": "locked"}


def test_every_refused_setting_is_named_with_its_own_code(policy: Policy) -> None:
    # Given a 13-15 account with its defaults
    current = band_defaults(policy.global_rules, "13-15")
    # When it asks for a change needing a guardian and a locked change
    with pytest.raises(ChangeRefused) as refused:
        decide_changes(policy.global_rules, "13-15", current, {"account_visibility": "public", "live_hosting": True})
    # Then each setting is listed with its own reason
    assert problems_of(refused.value) == {
        "account_visibility": "guardian_approval_required",
        "live_hosting": "locked",
    }


def test_setting_the_current_value_is_no_change(policy: Policy) -> None:
    # Given an account with its band's defaults
    current = band_defaults(policy.global_rules, "13-15")
    # When it asks for the values it already has, including one whose looser options are locked
    changes = decide_changes(
        policy.global_rules, "13-15", current, {"direct_messages": "no_one", "quiet_hours": "21:00-08:00"}
    )
    # Then there is nothing to change
    assert changes == ()


def test_only_the_values_that_differ_become_changes(policy: Policy) -> None:
    # Given a 16-17 account with its defaults
    current = band_defaults(policy.global_rules, "16-17")
    # When it sends one current value and one new one
    changes = decide_changes(policy.global_rules, "16-17", current, {"comments": "friends", "downloads": True})
    # Then only the new one is a change
    assert changes == (Change("downloads", False, True),)


# -- invalid -----------------------------------------------------------------------------------------------------
def test_an_unknown_setting_is_invalid(policy: Policy) -> None:
    # Given an account / When it asks to change a setting the catalogue does not have
    with pytest.raises(InvalidChange) as invalid:
        decide_changes(
            policy.global_rules, "18+", band_defaults(policy.global_rules, "18+"), {"profile_colour": "blue"}
        )
    # Then the request is invalid with unknown_setting
    assert invalid.value.code == "unknown_setting"
    assert problems_of(invalid.value) == {"profile_colour": "unknown_setting"}


@pytest.mark.parametrize(
    ("band", "setting", "value"),
    [
        ("16-17", "downloads", 1),  # true is an option; 1 is not
        ("16-17", "downloads", "true"),
        ("16-17", "kindness_prompt", 0),  # false is an option; 0 is not
        ("18+", "daily_screen_time_minutes", "60"),  # 60 is an option; "60" is not
        ("18+", "daily_screen_time_minutes", 60.0),
        ("18+", "daily_screen_time_minutes", True),
        ("18+", "daily_screen_time_minutes", 45),
        ("18+", "quiet_hours", "23:00-07:00"),
        ("18+", "comments", "Everyone"),
        ("18+", "comments", ["everyone"]),
        ("18+", "comments", {"value": "everyone"}),
    ],
)
def test_a_value_that_is_not_an_option_is_invalid(policy: Policy, band: str, setting: str, value: Any) -> None:
    # Given an account / When it sends a value that is not one of the setting's options (JSON types count)
    with pytest.raises(InvalidChange) as invalid:
        decide_changes(policy.global_rules, band, band_defaults(policy.global_rules, band), {setting: value})
    # Then the request is invalid with invalid_value for that setting
    assert invalid.value.code == "invalid_value"
    assert problems_of(invalid.value) == {setting: "invalid_value"}


def test_an_invalid_value_is_reported_before_a_refusal(policy: Policy) -> None:
    # Given a 13-15 account / When it sends a locked value and a value that is not an option
    with pytest.raises(InvalidChange) as invalid:
        decide_changes(
            policy.global_rules,
            "13-15",
            band_defaults(policy.global_rules, "13-15"),
            {"live_hosting": True, "gifts": "yes"},
        )
    # Then the request is invalid (422) rather than refused (403)
    assert problems_of(invalid.value) == {"gifts": "invalid_value"}


# -- option status and the screen ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("band", "setting", "statuses"),
    [
        ("13-15", "direct_messages", ["allowed", "locked", "locked"]),
        ("13-15", "account_visibility", ["allowed", "guardian_approval"]),
        ("13-15", "mentions", ["allowed", "allowed", "guardian_approval"]),
        ("13-15", "daily_screen_time_minutes", ["allowed", "allowed", *["guardian_approval"] * 3]),
        ("16-17", "direct_messages", ["allowed", "allowed", "locked"]),
        ("16-17", "gifts", ["allowed", "locked"]),
        ("18+", "direct_messages", ["allowed", "allowed", "allowed"]),
    ],
)
def test_each_option_has_the_status_of_the_band_limits(
    policy: Policy, band: str, setting: str, statuses: list[str]
) -> None:
    # Given an account at its band's default for a setting
    rule = policy.settings[setting]
    current = rule.bands[band].default
    # When each option's status is asked
    got = [option_status(rule, rule.bands[band], current, option).value for option in rule.options]
    # Then options up to self_max are allowed, up to guardian_max need a guardian, and the rest are locked
    assert got == statuses


def test_options_up_to_a_current_value_beyond_self_max_show_as_allowed(policy: Policy) -> None:
    # Given a 13-15 account whose screen time is at 120 (beyond self_max 60, reached with a guardian)
    rule = policy.settings["daily_screen_time_minutes"]
    # When the statuses are asked
    got = [option_status(rule, rule.bands["13-15"], 120, option) for option in rule.options]
    # Then everything up to 120 is allowed (it is no looser than now), and only null needs a guardian
    assert got == [OptionStatus.ALLOWED] * 4 + [OptionStatus.GUARDIAN_APPROVAL]


def test_the_screen_shows_every_catalogue_setting_with_its_value_and_default(policy: Policy) -> None:
    # Given a 16-17 account that has changed comments only
    values = {**band_defaults(policy.global_rules, "16-17"), "comments": "everyone"}
    # When its screen is built
    screen = settings_screen(policy.global_rules, "16-17", values)
    # Then every setting appears, with its value, its band default and one status per option
    assert set(screen) == set(policy.settings)
    assert (screen["comments"].value, screen["comments"].default) == ("everyone", "friends")
    assert all(len(view.options) == len(policy.settings[name].options) for name, view in screen.items())


def test_the_screen_falls_back_to_the_band_default_for_a_setting_the_record_lacks(policy: Policy) -> None:
    # Given a record that predates a setting (no value stored for it)
    values = {name: value for name, value in band_defaults(policy.global_rules, "13-15").items() if name != "gifts"}
    # When the screen is built / Then that setting shows its band default
    assert settings_screen(policy.global_rules, "13-15", values)["gifts"].value is False
