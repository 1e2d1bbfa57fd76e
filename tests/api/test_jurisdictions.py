"""Jurisdictions (issue 9): sign-up stores a country and an ISO 3166-2 subdivision, and each overlay of the policy in
force applies to exactly the accounts it covers, with a lock reason naming it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from chalicelib.policy import load_policy
from tests.api.helpers import BORN_13_15, BORN_16_17, BORN_ADULT, assert_problem, get_settings, problem_items
from tests.conftest import Api, auth, body

POLICY = load_policy()


def option(document: dict[str, Any], setting: str, value: object) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in document["settings"][setting]["options"] if o["value"] == value)
    return found


def source_of(jurisdiction: str) -> str:
    return next(o.source for o in POLICY.overlays if o.jurisdiction == jurisdiction)


def test_sign_up_stores_country_and_subdivision_and_the_document_shows_them(api: Api) -> None:
    created = api.sign_up("ny", BORN_16_17, "US", "US-NY")
    assert created.status_code == 201, created.body
    assert body(created)["jurisdiction"] == {"country": "US", "subdivision": "US-NY"}
    assert body(get_settings(api, "ny"))["jurisdiction"] == {"country": "US", "subdivision": "US-NY"}
    assert api.sign_up("gb", BORN_16_17, "GB").status_code == 201
    assert body(get_settings(api, "gb"))["jurisdiction"] == {"country": "GB", "subdivision": None}


@pytest.mark.parametrize(
    ("country", "subdivision"),
    [("US", "GB-ABC"), ("US", "US-XX"), ("GB", "US-NY"), ("US", "NY"), ("US", "us-ny"), ("US", ""), ("US", 7)],
)
def test_a_subdivision_that_is_not_an_iso_3166_2_code_of_the_country_is_422(
    api: Api, country: str, subdivision: object
) -> None:
    response = api.call(
        "POST",
        "/v1/accounts",
        {"account_id": "x", "birth_date": BORN_16_17, "country": country, "subdivision": subdivision},
        auth("signup", "signup-service"),
    )
    problem = assert_problem(response, 422)
    assert "subdivision" in problem_items(problem), problem
    assert get_settings(api, "x").status_code == 404  # nothing stored


def test_a_gb_17_year_old_cannot_be_suggested_but_a_us_17_year_old_may_choose_to(api: Api) -> None:
    assert api.sign_up("gb", BORN_16_17, "GB").status_code == 201
    assert api.sign_up("us", BORN_16_17, "US").status_code == 201
    gb, us = body(get_settings(api, "gb")), body(get_settings(api, "us"))
    assert option(gb, "suggest_account", True) == {
        "value": True,
        "status": "locked",
        "reason": {"kind": "jurisdiction", "jurisdiction": "GB", "source": source_of("GB")},
    }
    assert option(us, "suggest_account", True) == {"value": True, "status": "allowed", "reason": None}
    # The US teen may turn it on; the GB teen may not, and is told it is locked
    assert (
        api.call("PATCH", "/v1/accounts/us/settings", {"settings": {"suggest_account": True}}, auth("us")).status_code
        == 200
    )
    refused = api.call("PATCH", "/v1/accounts/gb/settings", {"settings": {"suggest_account": True}}, auth("gb"))
    assert problem_items(assert_problem(refused, 403)) == {"suggest_account": "locked"}
    # Location is never shown in the UK; elsewhere a 17-year-old may share it
    assert option(gb, "location_sharing", True)["reason"]["jurisdiction"] == "GB"
    assert option(us, "location_sharing", True)["status"] == "allowed"


def test_an_eu_minors_downloads_and_suggestions_are_locked_by_the_eu_group(api: Api) -> None:
    assert api.sign_up("fr", BORN_16_17, "FR").status_code == 201
    fr = body(get_settings(api, "fr"))
    for setting in ("downloads", "suggest_account"):
        assert option(fr, setting, True)["reason"] == {
            "kind": "jurisdiction",
            "jurisdiction": "EU",
            "source": source_of("EU"),
        }
    assert option(fr, "group_invites", "everyone")["reason"]["jurisdiction"] == "EU"
    # A GB teen may still allow downloads (the EU rule is not the UK's)
    assert api.sign_up("gb", BORN_16_17, "GB").status_code == 201
    assert option(body(get_settings(api, "gb")), "downloads", True)["status"] == "allowed"


def test_a_14_year_olds_age_locks_stay_age_locks_where_an_overlay_repeats_them(api: Api) -> None:
    # downloads are locked off for 13-15 everywhere: the EU rule adds nothing, so the reason stays the age
    assert api.sign_up("de", BORN_13_15, "DE").status_code == 201
    de = body(get_settings(api, "de"))
    assert option(de, "downloads", True)["reason"] == {"kind": "age", "jurisdiction": None, "source": None}
    # suggest_account needed a guardian at 13-15; in the EU it is locked, and the reason says why
    assert option(de, "suggest_account", True)["status"] == "locked"
    assert option(de, "suggest_account", True)["reason"]["kind"] == "jurisdiction"


def test_a_pending_overlay_is_published_but_applies_to_no_one(api: Api) -> None:
    published = body(api.call("GET", "/v1/policy"))
    ny = next(o for o in published["overlays"] if o["jurisdiction"] == "US-NY")
    assert ny["pending"] is True and "quiet_hours" in ny["settings"]
    assert api.sign_up("ny", BORN_16_17, "US", "US-NY").status_code == 201
    assert api.sign_up("us", BORN_16_17, "US").status_code == 201
    assert body(get_settings(api, "ny"))["settings"] == body(get_settings(api, "us"))["settings"]


def test_an_adults_settings_are_the_same_everywhere(api: Api) -> None:
    for account, country in (("a-gb", "GB"), ("a-fr", "FR"), ("a-us", "US")):
        assert api.sign_up(account, BORN_ADULT, country).status_code == 201
    screens = [body(get_settings(api, account))["settings"] for account in ("a-gb", "a-fr", "a-us")]
    assert screens[0] == screens[1] == screens[2]


def test_australias_minimum_age_of_16_refuses_a_15_year_old_at_sign_up(api: Api) -> None:
    assert_problem(api.sign_up("au", BORN_13_15, "AU"), 422, "below_minimum_age")
    assert api.sign_up("au", BORN_16_17, "AU").status_code == 201


def move(api: Api, account: str, payload: dict[str, Any], *groups: str) -> Any:
    return api.call(
        "PUT", f"/v1/accounts/{account}/jurisdiction", payload, auth("platform", *(groups or ("signup-service",)))
    )


def test_a_move_to_gb_clamps_what_the_uk_forbids_with_one_jurisdiction_changed_event(api: Api) -> None:
    # Given a US 17-year-old who chose to be suggested and to share their location
    assert api.sign_up("teen", BORN_16_17, "US", "US-CA").status_code == 201
    chosen = {"suggest_account": True, "location_sharing": True, "downloads": True}
    assert api.call("PATCH", "/v1/accounts/teen/settings", {"settings": chosen}, auth("teen")).status_code == 200
    # When the platform reports a move to the UK
    moved = move(api, "teen", {"country": "GB"})
    # Then the UK's rules apply at once: suggestions and location off, downloads (no UK rule) kept
    assert moved.status_code == 200, moved.body
    document = body(moved)
    assert document["jurisdiction"] == {"country": "GB", "subdivision": None}
    values = {name: view["value"] for name, view in document["settings"].items()}
    assert (values["suggest_account"], values["location_sharing"], values["downloads"]) == (False, False, True)
    history = body(api.call("GET", "/v1/accounts/teen/settings/history", headers=auth("teen")))["events"]
    event = history[0]
    assert event["kind"] == "jurisdiction_changed" and event["actor"] == {"id": "platform", "role": "signup-service"}
    assert event["move"] == {
        "before": {"country": "US", "subdivision": "US-CA"},
        "after": {"country": "GB", "subdivision": None},
    }
    assert {(c["setting"], c["from"], c["to"]) for c in event["changes"]} == {
        ("suggest_account", True, False),
        ("location_sharing", True, False),
    }
    # And a move back unlocks the options but loosens no value
    back = body(move(api, "teen", {"country": "US"}))
    assert back["settings"]["suggest_account"]["value"] is False
    assert option(back, "suggest_account", True)["status"] == "allowed"


def test_reporting_the_same_place_writes_nothing(api: Api) -> None:
    assert api.sign_up("teen", BORN_16_17, "US", "US-NY").status_code == 201
    before = body(get_settings(api, "teen"))["version"]
    assert body(move(api, "teen", {"country": "US", "subdivision": "US-NY"}))["version"] == before
    events = body(api.call("GET", "/v1/accounts/teen/settings/history", headers=auth("teen")))["events"]
    assert [e["kind"] for e in events] == ["defaults_applied"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"country": "XX"}, {"country": "gb"}, {"country": "US", "subdivision": "GB-ABC"},
     {"country": "US", "extra": 1}, {"country": 44}, {"subdivision": "US-NY"}],
)  # fmt: skip
def test_a_bad_jurisdiction_is_422_and_changes_nothing(api: Api, payload: dict[str, Any]) -> None:
    assert api.sign_up("teen", BORN_16_17, "US").status_code == 201
    assert_problem(move(api, "teen", payload), 422)
    assert body(get_settings(api, "teen"))["version"] == 1


def test_only_the_signup_service_may_report_a_move_and_nobody_learns_which_accounts_exist(api: Api) -> None:
    assert api.sign_up("teen", BORN_16_17, "US").status_code == 201
    # The holder cannot move themselves somewhere looser, nor can a moderator or an auditor
    holder = api.call("PUT", "/v1/accounts/teen/jurisdiction", {"country": "GB"}, auth("teen"))
    assert_problem(holder, 404)
    for group in ("moderator", "auditor", "age-verifier"):
        assert_problem(move(api, "teen", {"country": "GB"}, group), 404)
    # The signup-service gets the same 404 for an account that does not exist
    assert_problem(move(api, "nobody", {"country": "GB"}), 404, "not_found")
    assert body(get_settings(api, "teen"))["jurisdiction"]["country"] == "US"


def test_a_15_year_old_moving_to_australia_gets_notice_of_deactivation_in_the_document_and_the_event(
    api: Api,
) -> None:
    assert api.sign_up("teen", BORN_13_15, "GB").status_code == 201
    document = body(move(api, "teen", {"country": "AU"}))
    assert document["deactivation"] == {
        "state": "pending",
        "notice_until": "2026-12-09",  # 14 days' notice from 2026-11-25
        "minimum_age": 16,
        "jurisdiction": "AU",
        "basis": "band_below_minimum",
    }
    event = body(api.call("GET", "/v1/accounts/teen/settings/history", headers=auth("teen")))["events"][0]
    assert event["kind"] == "jurisdiction_changed" and event["deactivation"] == document["deactivation"]
    # A 17-year-old moving there is above the minimum: no notice
    assert api.sign_up("older", BORN_16_17, "GB").status_code == 201
    assert body(move(api, "older", {"country": "AU"}))["deactivation"] is None


def deactivate_on(api: Api, day: date) -> int:
    from chalicelib.services.transitions import TransitionsDeps, deactivate_due
    from tests.fakes import FakeBandEndSealer

    store = api.deps.accounts.store
    deps = TransitionsDeps(store=store, policy=POLICY, band_ends=FakeBandEndSealer(), clock=api.deps.accounts.clock)
    return deactivate_due(deps, day)


def verify_age(api: Api, account: str, born: str) -> Any:
    correction = {"birth_date": born, "assurance": "verified", "source": "age_verifier"}
    return api.call("PUT", f"/v1/accounts/{account}/age", correction, auth("v", "age-verifier"))


def test_moving_away_and_back_never_escapes_a_deactivation(api: Api) -> None:
    # Given a 14-year-old moved to Australia and deactivated when the notice ended
    assert api.sign_up("w", BORN_13_15, "GB").status_code == 201
    move(api, "w", {"country": "AU"})
    assert deactivate_on(api, date(2026, 12, 9)) == 1
    assert body(get_settings(api, "w"))["deactivation"]["state"] == "deactivated"
    # When they move back to the UK, the deactivation is lifted there (13 is the minimum)
    back = body(move(api, "w", {"country": "GB"}))
    assert back["deactivation"] is None and back["age"]["restricted"] is False
    assert verify_age(api, "w", BORN_13_15).status_code == 200
    # And when they move to Australia again, they are under notice again, and deactivated when it ends
    again = body(move(api, "w", {"country": "AU"}))
    assert again["deactivation"]["state"] == "pending"
    assert deactivate_on(api, date(2026, 12, 9)) == 1
    refused = api.call("PATCH", "/v1/accounts/w/settings", {"settings": {"mentions": "no_one"}}, auth("w"))
    assert "minimum age in AU is 16" in assert_problem(refused, 403, "account_restricted")["detail"]
    # And every option says it is locked by Australia's minimum age, citing the law
    reasons = {
        json.dumps(o["reason"], sort_keys=True)
        for view in body(get_settings(api, "w"))["settings"].values()
        for o in view["options"]
    }
    assert reasons == {
        json.dumps({"kind": "restricted", "jurisdiction": "AU", "source": source_of("AU")}, sort_keys=True)
    }


def test_a_deactivated_account_moving_back_is_restricted_again_at_once(api: Api) -> None:
    assert api.sign_up("w", BORN_13_15, "GB").status_code == 201
    move(api, "w", {"country": "AU"})
    deactivate_on(api, date(2026, 12, 9))
    # The record says deactivated while the account is in Australia; an age check there keeps it restricted
    assert body(verify_age(api, "w", BORN_13_15))["age"]["restricted"] is True
    assert body(get_settings(api, "w"))["deactivation"]["state"] == "deactivated"


def test_a_notice_is_lifted_when_the_age_check_says_16_or_the_account_moves_away(api: Api) -> None:
    for account in ("checked", "moved"):
        assert api.sign_up(account, BORN_13_15, "GB").status_code == 201
        assert body(move(api, account, {"country": "AU"}))["deactivation"]["state"] == "pending"
    assert body(verify_age(api, "checked", BORN_16_17))["deactivation"] is None
    assert body(move(api, "moved", {"country": "US"}))["deactivation"] is None
    assert deactivate_on(api, date(2026, 12, 9)) == 0
    lifted = body(api.call("GET", "/v1/accounts/moved/settings/history", headers=auth("moved")))["events"][0]
    assert lifted["deactivation"]["state"] == "lifted"


def test_an_overlay_reaches_existing_accounts_on_the_day_it_takes_effect(api: Api, clock: list[Any]) -> None:
    from chalicelib.services.migration import MigrationDeps, apply_overlays_taking_effect

    # Given a Vermont 17-year-old and a New Yorker who share their location (allowed until 2027-01-01)
    for account, where in (("vt", "US-VT"), ("ny", "US-NY")):
        assert api.sign_up(account, BORN_16_17, "US", where).status_code == 201
        on = api.call(
            "PATCH", f"/v1/accounts/{account}/settings", {"settings": {"location_sharing": True}}, auth(account)
        )
        assert on.status_code == 200
    store = api.deps.accounts.store
    deps = MigrationDeps(store=store, policy=POLICY, policies=load_policy, clock=lambda: clock[0])
    # When the daily step runs the day before, nothing takes effect; on 2027-01-01 Vermont's overlay does
    assert apply_overlays_taking_effect(deps, date(2026, 12, 31)).seen == 0
    clock[0] = clock[0].replace(year=2027, month=1, day=1)
    applied = apply_overlays_taking_effect(deps, date(2027, 1, 1))
    # Then the Vermont teen's location is off, with an overlay_applied event; the New Yorker's is untouched
    assert (applied.seen, applied.changed) == (1, 1)
    vt = body(get_settings(api, "vt"))
    assert vt["settings"]["location_sharing"]["value"] is False
    assert option(vt, "location_sharing", True)["reason"]["jurisdiction"] == "US-VT"
    assert body(get_settings(api, "ny"))["settings"]["location_sharing"]["value"] is True
    event = body(api.call("GET", "/v1/accounts/vt/settings/history", headers=auth("vt")))["events"][0]
    assert event["kind"] == "overlay_applied"
    assert event["changes"] == [{"setting": "location_sharing", "from": True, "to": False}]
    # And running the day again does nothing
    assert apply_overlays_taking_effect(deps, date(2027, 1, 1)).seen == 0
