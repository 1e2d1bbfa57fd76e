"""Jurisdiction overlays (issue 9): the loader refuses any overlay that loosens a rule, and an account's rules are the
global ones with every overlay in force where it lives applied (country, subdivision, group; never a pending one).
How accounts get them: tests/api/test_jurisdictions.py."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.policy import Policy
from tests.conftest import PROJECT_DIR

BASE: dict[str, Any] = json.loads(
    (PROJECT_DIR / "chalicelib" / "policy" / "versions" / "2026-11-25.json").read_text(encoding="utf-8")
)
DAY = date(2026, 12, 1)
UK_CODES = "Ofcom Protection of Children Codes (2025)"


def policy_with(*overlays: dict[str, Any], groups: dict[str, list[str]] | None = None) -> Policy:
    raw = copy.deepcopy(BASE)
    raw["overlays"] = list(overlays)
    raw["jurisdiction_groups"] = groups or {}
    return Policy.model_validate(raw, strict=False)


def overlay(jurisdiction: str, settings: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base = {"jurisdiction": jurisdiction, "source": UK_CODES, "effective_from": "2025-07-25"}
    return {**base, "settings": settings or {}, **fields}


SUGGEST_OFF_16_17 = {"suggest_account": {"16-17": {"self_max": False, "guardian_max": False}}}


def test_the_policy_in_force_loads_with_no_overlays() -> None:
    assert policy_with().overlays == ()


@pytest.mark.parametrize(
    ("settings", "fields", "message"),
    [
        ({"comments": {"13-15": {"self_max": "everyone"}}}, {}, "loosen"),  # friends -> everyone
        ({"comments": {"13-15": {"default": "everyone"}}}, {}, "loosen"),
        ({"direct_messages": {"16-17": {"guardian_max": "everyone"}}}, {}, "loosen"),
        ({"comments": {"13-15": {"self_max": "shouting"}}}, {}, "not an option"),
        ({"no_such_setting": {"13-15": {"default": "x"}}}, {}, "unknown setting"),
        ({"comments": {"12-14": {"default": "no_one"}}}, {}, "no band"),
        ({"comments": {"16-17": {}}}, {}, "lowers nothing"),
        ({"comments": {"16-17": {"self_max": "no_one"}}}, {}, "out of order"),  # default friends > self_max no_one
        ({}, {"minimum_age": 12}, "raised"),
        ({}, {"effective_from": None}, "effective_from"),
    ],
)
def test_the_loader_refuses_an_overlay_that_loosens_or_is_wrong(
    settings: dict[str, Any], fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        policy_with(overlay("GB", settings, **fields))


@pytest.mark.parametrize("jurisdiction", ["XX", "GB-", "gb", "EU", "US-NEWYORK"])
def test_an_overlay_must_name_a_known_jurisdiction(jurisdiction: str) -> None:
    with pytest.raises(ValidationError, match="not a known"):
        policy_with(overlay(jurisdiction, SUGGEST_OFF_16_17))


@pytest.mark.parametrize("jurisdiction", ["US-XX", "GB-NY", "US-1"])
def test_an_overlay_for_a_subdivision_needs_an_iso_3166_2_code_of_that_country(jurisdiction: str) -> None:
    with pytest.raises(ValidationError, match="not an ISO 3166-2 subdivision"):
        policy_with(overlay(jurisdiction, SUGGEST_OFF_16_17))


def test_every_kept_version_loads_and_the_newest_has_overlays_with_short_sources() -> None:
    from chalicelib.policy import kept_versions, load_policy

    assert len(kept_versions()) >= 2
    for version in kept_versions():
        assert load_policy(version).version == version
    newest = load_policy()
    assert {o.jurisdiction for o in newest.overlays} >= {"GB", "EU", "AU", "US-NY"}
    assert all(0 < len(o.source) <= 120 and o.summary for o in newest.overlays)


def test_a_group_must_be_new_and_made_of_known_countries() -> None:
    with pytest.raises(ValidationError, match="group"):
        policy_with(groups={"GB": ["IE"]})
    with pytest.raises(ValidationError, match="group"):
        policy_with(groups={"EU": ["IE", "XX"]})


def test_a_country_overlay_applies_there_and_nowhere_else() -> None:
    policy = policy_with(overlay("GB", SUGGEST_OFF_16_17))
    gb = policy.limits_in("GB", None, DAY)["suggest_account"]["16-17"]
    us = policy.limits_in("US", None, DAY)["suggest_account"]["16-17"]
    assert (gb.self_max, gb.guardian_max) == (False, False)  # a GB 17-year-old cannot choose to be suggested
    assert (us.self_max, us.guardian_max) == (True, True)  # a US one still may


def test_a_subdivision_inherits_its_countrys_overlays_and_adds_its_own() -> None:
    quiet = {
        "quiet_hours": {"16-17": {"default": "21:00-08:00", "self_max": "21:00-08:00", "guardian_max": "21:00-08:00"}}
    }
    policy = policy_with(overlay("US", SUGGEST_OFF_16_17), overlay("US-NY", quiet))
    ny = policy.limits_in("US", "US-NY", DAY)
    assert ny["suggest_account"]["16-17"].self_max is False
    assert ny["quiet_hours"]["16-17"].guardian_max == "21:00-08:00"
    assert policy.limits_in("US", "US-CA", DAY)["quiet_hours"]["16-17"].guardian_max == "22:00-08:00"


def test_a_group_overlay_applies_to_its_members() -> None:
    downloads = {"downloads": {"16-17": {"self_max": False, "guardian_max": False}}}
    policy = policy_with(overlay("EU", downloads), groups={"EU": ["IE", "DE", "FR"]})
    assert policy.limits_in("IE", None, DAY)["downloads"]["16-17"].self_max is False
    assert policy.limits_in("GB", None, DAY)["downloads"]["16-17"].self_max is True


def test_pending_and_future_overlays_are_shown_but_not_applied() -> None:
    policy = policy_with(
        overlay("GB", SUGGEST_OFF_16_17, effective_from=None, pending=True),
        overlay("US", SUGGEST_OFF_16_17, effective_from="2027-01-01"),
    )
    assert len(policy.overlays) == 2
    assert policy.limits_in("GB", None, DAY)["suggest_account"]["16-17"].self_max is True
    assert policy.limits_in("US", None, DAY)["suggest_account"]["16-17"].self_max is True
    assert policy.limits_in("US", None, date(2027, 1, 1))["suggest_account"]["16-17"].self_max is False


def test_a_minimum_age_raise_applies_from_its_day() -> None:
    policy = policy_with(overlay("AU", minimum_age=16, effective_from="2025-12-10"))
    assert policy.minimum_age_in("AU", None, date(2025, 12, 9)) == 16  # already 16 in the global rules there
    raised = policy_with(overlay("GB", minimum_age=15, effective_from="2027-01-01"))
    assert raised.minimum_age_in("GB", None, DAY) == 13
    assert raised.minimum_age_in("GB", None, date(2027, 1, 1)) == 15


def test_where_overlays_overlap_the_strictest_wins() -> None:
    policy = policy_with(
        overlay("GB", {"comments": {"16-17": {"self_max": "friends"}}}),
        overlay("EUR", {"comments": {"16-17": {"self_max": "no_one", "default": "no_one"}}}),
        groups={"EUR": ["GB", "IE"]},
    )
    limits = policy.limits_in("GB", None, DAY)["comments"]["16-17"]
    assert (limits.default, limits.self_max, limits.guardian_max) == ("no_one", "no_one", "everyone")
