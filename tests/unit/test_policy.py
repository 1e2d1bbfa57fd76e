"""The policy file says what issue 2 says: the settings table, the consent and minimum ages, and its own coherence.

The expected values below are copied from the issue's table by hand, not read from policy.json, so a typo in the
policy file fails here.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.policy import Policy, SettingValue

BANDS = ("13-15", "16-17", "18+")
MINOR_BANDS = ("13-15", "16-17")

# setting: (options strictest first, {band: (default, self_max, guardian_max)}, 18+ default)
ISSUE_TABLE: dict[str, tuple[tuple[SettingValue, ...], dict[str, tuple[SettingValue, ...]], SettingValue]] = {
    "account_visibility": (
        ("private", "public"),
        {"13-15": ("private", "private", "public"), "16-17": ("private", "public", "public")},
        "public",
    ),
    "comments": (
        ("no_one", "friends", "everyone"),
        {"13-15": ("friends", "friends", "friends"), "16-17": ("friends", "everyone", "everyone")},
        "everyone",
    ),
    "direct_messages": (
        ("no_one", "friends", "everyone"),
        {"13-15": ("no_one", "no_one", "no_one"), "16-17": ("no_one", "friends", "friends")},
        "friends",
    ),
    "duet_stitch": (
        ("no_one", "friends", "everyone"),
        {"13-15": ("no_one", "no_one", "no_one"), "16-17": ("friends", "everyone", "everyone")},
        "everyone",
    ),
    "mentions": (
        ("no_one", "friends", "everyone"),
        {"13-15": ("friends", "friends", "everyone"), "16-17": ("friends", "everyone", "everyone")},
        "everyone",
    ),
    "downloads": ((False, True), {"13-15": (False, False, False), "16-17": (False, True, True)}, True),
    "suggest_account": ((False, True), {"13-15": (False, False, True), "16-17": (False, True, True)}, True),
    "live_hosting": ((False, True), {"13-15": (False, False, False), "16-17": (False, False, False)}, True),
    "gifts": ((False, True), {"13-15": (False, False, False), "16-17": (False, False, False)}, True),
    "personalized_ads": ((False, True), {"13-15": (False, False, False), "16-17": (False, False, False)}, True),
    "location_sharing": ((False, True), {"13-15": (False, False, False), "16-17": (False, True, True)}, False),
    "comment_filter": (
        ("strict", "standard", "off"),
        {"13-15": ("strict", "strict", "standard"), "16-17": ("standard", "off", "off")},
        "standard",
    ),
    "kindness_prompt": ((True, False), {"13-15": (True, True, True), "16-17": (True, False, False)}, True),
    "daily_screen_time_minutes": (
        (40, 60, 90, 120, None),
        {"13-15": (60, 60, None), "16-17": (60, None, None)},
        None,
    ),
    "quiet_hours": (
        ("21:00-08:00", "22:00-08:00", None),
        {
            "13-15": ("21:00-08:00", "21:00-08:00", "21:00-08:00"),
            "16-17": ("22:00-08:00", "22:00-08:00", "22:00-08:00"),
        },
        None,
    ),
    # Issue 9's new settings: autoplay off by default for every minor; the others as the policy's notes cite.
    "autoplay": ((False, True), {"13-15": (False, False, True), "16-17": (False, True, True)}, True),
    "feed_personalization": (
        ("following_chronological", "personalized"),
        {
            "13-15": ("following_chronological", "following_chronological", "personalized"),
            "16-17": ("following_chronological", "personalized", "personalized"),
        },
        "personalized",
    ),
    "group_invites": (
        ("no_one", "friends", "everyone"),
        {"13-15": ("friends", "friends", "friends"), "16-17": ("friends", "everyone", "everyone")},
        "everyone",
    ),
    "sensitive_content": (
        ("limited", "standard", "more"),
        {"13-15": ("limited", "limited", "standard"), "16-17": ("standard", "standard", "standard")},
        "standard",
    ),
}

# GDPR Art. 8 ages from the issue, plus GB and US.
ISSUE_CONSENT_AGES = {
    **dict.fromkeys(["BE", "DK", "EE", "FI", "LV", "MT", "PT", "SE"], 13),
    **dict.fromkeys(["AT", "BG", "CY", "IT", "LT", "ES"], 14),
    **dict.fromkeys(["CZ", "FR", "GR"], 15),
    **dict.fromkeys(["DE", "HR", "HU", "IE", "LU", "NL", "PL", "RO", "SK"], 16),
    "GB": 13,
    "US": 13,
}


def same_json(a: Any, b: Any) -> bool:
    """JSON equality, where `true` is not `1`."""
    return type(a) is type(b) and a == b


def test_the_catalogue_has_exactly_the_settings_of_the_issue_table(policy: Policy) -> None:
    # Given the issue's table / When the policy is loaded / Then it names the same settings, no more and no fewer
    assert set(policy.settings) == set(ISSUE_TABLE)


@pytest.mark.parametrize("name", ISSUE_TABLE)
def test_each_setting_lists_the_issue_options_strictest_first(policy: Policy, name: str) -> None:
    # Given a setting of the table
    expected_options = ISSUE_TABLE[name][0]
    # When the policy lists its options
    options = policy.settings[name].options
    # Then they are the issue's, in the same order and of the same JSON types
    assert len(options) == len(expected_options)
    assert all(same_json(got, want) for got, want in zip(options, expected_options, strict=True)), options


@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize("name", ISSUE_TABLE)
def test_each_setting_default_per_band_is_the_issue_table_value(policy: Policy, name: str, band: str) -> None:
    # Given the issue's default for this setting and band
    _, minors, adult_default = ISSUE_TABLE[name]
    expected = adult_default if band == "18+" else minors[band][0]
    # When the policy is asked for it
    default = policy.settings[name].bands[band].default
    # Then it is that value, with the same JSON type
    assert same_json(default, expected), (name, band, default, expected)


@pytest.mark.parametrize("band", MINOR_BANDS)
@pytest.mark.parametrize("name", ISSUE_TABLE)
def test_each_minor_band_self_max_and_guardian_max_are_the_issue_table_values(
    policy: Policy, name: str, band: str
) -> None:
    # Given the issue's limits for a minor band
    _, self_max, guardian_max = ISSUE_TABLE[name][1][band]
    # When the policy is asked for them
    limits = policy.settings[name].bands[band]
    # Then they match
    assert same_json(limits.self_max, self_max), (name, band, "self_max", limits.self_max)
    assert same_json(limits.guardian_max, guardian_max), (name, band, "guardian_max", limits.guardian_max)


@pytest.mark.parametrize("band", BANDS)
@pytest.mark.parametrize("name", ISSUE_TABLE)
def test_no_default_is_looser_than_its_self_max(policy: Policy, name: str, band: str) -> None:
    # Given a setting's limits for a band
    rule = policy.settings[name]
    limits = rule.bands[band]
    # When their positions in the strictest-first option list are compared
    # Then the default is at or before self_max, and self_max at or before guardian_max
    assert rule.rank_of(limits.default) <= rule.rank_of(limits.self_max) <= rule.rank_of(limits.guardian_max)


@pytest.mark.parametrize("name", ISSUE_TABLE)
def test_an_adult_may_choose_the_loosest_option_of_every_setting(policy: Policy, name: str) -> None:
    # Given the 18+ limits of a setting (the issue's table gives no 18+ limit, so the loosest option applies)
    rule = policy.settings[name]
    limits = rule.bands["18+"]
    # When compared with the loosest option / Then self_max and guardian_max are that option
    assert same_json(limits.self_max, rule.options[-1])
    assert same_json(limits.guardian_max, rule.options[-1])


def test_the_bands_are_13_to_15_16_to_17_and_18_plus(policy: Policy) -> None:
    # Given the policy / When its bands are listed / Then they are the issue's, contiguous and open-ended at the top
    assert [(band.name, band.min_age, band.max_age) for band in policy.age.bands] == [
        ("13-15", 13, 15),
        ("16-17", 16, 17),
        ("18+", 18, None),
    ]


@pytest.mark.parametrize(("country", "minimum_age"), [("AU", 16), ("GB", 13), ("US", 13), ("DE", 13), ("JP", 13)])
def test_the_minimum_age_is_13_except_16_in_australia(policy: Policy, country: str, minimum_age: int) -> None:
    # Given a country / When the policy's minimum age for it is read / Then it is 16 for AU and 13 elsewhere
    assert policy.minimum_age_in(country, None, date(2026, 12, 3)) == minimum_age


@pytest.mark.parametrize(("country", "consent_age"), sorted(ISSUE_CONSENT_AGES.items()))
def test_each_listed_country_has_the_issue_consent_age(policy: Policy, country: str, consent_age: int) -> None:
    # Given a country the issue lists / When its digital age of consent is read / Then it is the issue's
    assert policy.age.consent_age.for_country(country) == consent_age


@pytest.mark.parametrize("country", ["JP", "BR", "CA", "AU"])
def test_a_country_without_a_listed_consent_age_uses_16(policy: Policy, country: str) -> None:
    # Given a country missing from the consent table / When its consent age is read / Then the strictest, 16, applies
    assert policy.age.consent_age.for_country(country) == 16


def test_the_policy_has_a_dated_version(policy: Policy) -> None:
    # Given the policy / When its version is read / Then it is a date-shaped string such as 2026-11-25
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.\d+)?", policy.version)


def test_the_unmodified_policy_file_is_valid(raw_policy: dict[str, Any]) -> None:
    # Given the policy file as JSON / When validated / Then it loads (so the failures below are due to the breakage)
    Policy.model_validate(raw_policy, strict=False)


def _default_looser_than_self_max(raw: dict[str, Any]) -> None:
    raw["settings"]["direct_messages"]["bands"]["13-15"]["default"] = "everyone"


def _self_max_looser_than_guardian_max(raw: dict[str, Any]) -> None:
    raw["settings"]["account_visibility"]["bands"]["13-15"].update(self_max="public", guardian_max="private")


def _missing_band(raw: dict[str, Any]) -> None:
    del raw["settings"]["comments"]["bands"]["16-17"]


def _extra_band(raw: dict[str, Any]) -> None:
    bands = raw["settings"]["comments"]["bands"]
    bands["12-"] = copy.deepcopy(bands["13-15"])


def _default_not_an_option(raw: dict[str, Any]) -> None:
    raw["settings"]["daily_screen_time_minutes"]["bands"]["13-15"]["default"] = 45


def _default_of_the_wrong_json_type(raw: dict[str, Any]) -> None:
    raw["settings"]["daily_screen_time_minutes"]["bands"]["13-15"]["default"] = "60"


def _gap_between_bands(raw: dict[str, Any]) -> None:
    raw["age"]["bands"][1]["min_age"] = 17


def _minimum_age_below_youngest_band(raw: dict[str, Any]) -> None:
    raw["age"]["minimum_age"]["by_country"]["GB"] = 12


def _consent_age_for_an_unknown_country(raw: dict[str, Any]) -> None:
    raw["age"]["consent_age"]["by_country"]["XX"] = 14


def _repeated_option(raw: dict[str, Any]) -> None:
    raw["settings"]["comments"]["options"] = ["no_one", "friends", "friends", "everyone"]


def _missing_version(raw: dict[str, Any]) -> None:
    del raw["version"]


@pytest.mark.parametrize(
    "breakage",
    [
        _default_looser_than_self_max,
        _self_max_looser_than_guardian_max,
        _missing_band,
        _extra_band,
        _default_not_an_option,
        _default_of_the_wrong_json_type,
        _gap_between_bands,
        _minimum_age_below_youngest_band,
        _consent_age_for_an_unknown_country,
        _repeated_option,
        _missing_version,
    ],
    ids=lambda breakage: breakage.__name__.strip("_"),
)
def test_the_loader_rejects_a_broken_policy(raw_policy: dict[str, Any], breakage: Any) -> None:
    # Given a copy of the policy file with one mistake in it
    breakage(raw_policy)
    # When it is validated / Then loading fails instead of serving a wrong rule
    with pytest.raises(ValidationError):
        Policy.model_validate(raw_policy, strict=False)
