"""PATCH /v1/accounts/{id}/settings: changes within the band's limits, all or nothing, with an audit event."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.policy import newest_version
from tests.api.helpers import (
    BORN_13_15,
    BORN_16_17,
    BORN_ADULT,
    OWNER,
    all_events,
    assert_history_matches_state,
    assert_problem,
    get_settings,
    header,
    patch_settings,
    problem_items,
    scan_all_tables,
    settings_document,
    sign_up,
    values_of,
)
from tests.conftest import Api, auth, body


# -- accepted --------------------------------------------------------------------------------------------------------
def test_a_17_year_old_may_open_comments_to_everyone(api: Api) -> None:
    # Given a 17-year-old with the 16-17 defaults (comments: friends; self_max: everyone)
    sign_up(api, birth_date=BORN_16_17)
    # When they open comments to everyone
    response = patch_settings(api, {"comments": "everyone"})
    # Then it is 200 with the new document at version 2 and its ETag
    assert response.status_code == 200
    document = body(response)
    assert document["settings"]["comments"]["value"] == "everyone"
    assert document["version"] == 2
    assert header(response, "ETag") == '"2"'
    # And the stored settings are the ones returned
    assert body(get_settings(api)) == document


def test_a_change_writes_one_settings_changed_event_by_the_holder(api: Api) -> None:
    # Given a 17-year-old's account
    sign_up(api, birth_date=BORN_16_17)
    # When they change two settings at once
    response = patch_settings(api, {"comments": "everyone", "downloads": True})
    # Then one settings_changed event records both, by the holder as `self`, with this request's id
    newest, oldest = all_events(api)
    assert oldest["kind"] == "defaults_applied"
    assert newest["kind"] == "settings_changed"
    assert newest["actor"] == {"id": OWNER, "role": "self"}
    assert sorted(newest["changes"], key=lambda change: change["setting"]) == [
        {"setting": "comments", "from": "friends", "to": "everyone"},
        {"setting": "downloads", "from": False, "to": True},
    ]
    assert newest["request_id"] == header(response, "X-Request-Id")
    assert (newest["age_band"], newest["policy_version"]) == ("16-17", newest_version())


@pytest.mark.parametrize(
    ("birth_date", "settings"),
    [
        (BORN_13_15, {"comments": "no_one"}),
        (BORN_13_15, {"daily_screen_time_minutes": 40}),
        (BORN_13_15, {"mentions": "no_one", "comment_filter": "strict", "direct_messages": "no_one"}),
        (BORN_ADULT, {"account_visibility": "private", "quiet_hours": "21:00-08:00"}),
    ],
)
def test_a_stricter_value_is_always_accepted(api: Api, birth_date: str, settings: dict[str, Any]) -> None:
    # Given an account with its band's defaults / When its holder tightens settings
    sign_up(api, birth_date=birth_date)
    response = patch_settings(api, settings)
    # Then the change is applied
    assert response.status_code == 200
    assert {name: values_of(body(response))[name] for name in settings} == settings


def test_a_minor_may_loosen_a_setting_they_tightened_back_to_self_max(api: Api) -> None:
    # Given a 14-year-old who closed comments to no one
    sign_up(api)
    patch_settings(api, {"comments": "no_one"})
    # When they reopen them to friends (their self_max)
    response = patch_settings(api, {"comments": "friends"})
    # Then it is accepted
    assert response.status_code == 200
    assert values_of(body(response))["comments"] == "friends"


# -- refused ---------------------------------------------------------------------------------------------------------
def test_a_14_year_old_opening_dms_is_refused_as_locked_and_nothing_changes(api: Api) -> None:
    # Given a 14-year-old's account
    sign_up(api)
    items_before = scan_all_tables()
    # When they try to open DMs to friends
    response = patch_settings(api, {"direct_messages": "friends"})
    # Then it is 403 locked for that setting
    problem = assert_problem(response, 403, "locked")
    assert problem_items(problem) == {"direct_messages": "locked"}
    # And nothing changed: same stored items, still version 1 with one event
    assert scan_all_tables() == items_before
    assert body(get_settings(api))["version"] == 1


def test_a_14_year_old_making_the_account_public_needs_a_guardian(api: Api) -> None:
    # Given a 14-year-old's account / When they make the account public
    sign_up(api)
    response = patch_settings(api, {"account_visibility": "public"})
    # Then it is 403 guardian_approval_required for that setting, and the account stays private
    problem = assert_problem(response, 403, "guardian_approval_required")
    assert problem_items(problem) == {"account_visibility": "guardian_approval_required"}
    assert values_of(body(get_settings(api)))["account_visibility"] == "private"


def test_one_refused_setting_refuses_the_whole_request(api: Api) -> None:
    # Given a 14-year-old's account
    sign_up(api)
    items_before = scan_all_tables()
    # When they send an allowed change together with a locked one
    response = patch_settings(api, {"comments": "no_one", "live_hosting": True})
    # Then it is 403, naming only the refused setting
    problem = assert_problem(response, 403, "locked")
    assert problem_items(problem) == {"live_hosting": "locked"}
    # And the allowed change was not applied either
    assert scan_all_tables() == items_before
    assert values_of(body(get_settings(api)))["comments"] == "friends"


def test_a_request_needing_a_guardian_and_hitting_a_lock_lists_each_reason(api: Api) -> None:
    # Given a 14-year-old's account / When one change needs a guardian and another is locked
    sign_up(api)
    response = patch_settings(api, {"account_visibility": "public", "gifts": True})
    # Then it is 403 and each setting carries its own code
    problem = assert_problem(response, 403)
    assert problem_items(problem) == {"account_visibility": "guardian_approval_required", "gifts": "locked"}


# -- no-op -----------------------------------------------------------------------------------------------------------
def test_setting_the_values_an_account_already_has_changes_nothing(api: Api) -> None:
    # Given a 14-year-old's account
    signed_up = sign_up(api)
    items_before = scan_all_tables()
    # When they send their current values
    response = patch_settings(api, {"comments": "friends", "direct_messages": "no_one"})
    # Then it is 200 with the unchanged document at version 1, and no event or write happened
    assert response.status_code == 200
    assert body(response) == settings_document(signed_up)
    assert header(response, "ETag") == '"1"'
    assert scan_all_tables() == items_before
    assert len(all_events(api)) == 1


# -- invalid ---------------------------------------------------------------------------------------------------------
def test_an_unknown_setting_is_422_unknown_setting(api: Api) -> None:
    # Given an account / When it asks to change a setting the catalogue does not have
    sign_up(api, birth_date=BORN_ADULT)
    problem = assert_problem(patch_settings(api, {"profile_colour": "blue"}), 422, "unknown_setting")
    # Then the problem names that setting
    assert problem_items(problem) == {"profile_colour": "unknown_setting"}


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("downloads", 1),
        ("downloads", "true"),
        ("kindness_prompt", 0),
        ("daily_screen_time_minutes", "60"),
        ("daily_screen_time_minutes", 60.0),
        ("daily_screen_time_minutes", 45),
        ("daily_screen_time_minutes", True),
        ("comments", "Everyone"),
        ("comments", None),
        ("comments", ["everyone"]),
        ("comments", {"value": "everyone"}),
    ],
)
def test_a_value_that_is_not_an_option_is_422_invalid_value(api: Api, setting: str, value: Any) -> None:
    # Given an adult's account (every option is allowed to them)
    sign_up(api, birth_date=BORN_ADULT)
    items_before = scan_all_tables()
    # When they send a value that is not one of the options (true is not 1, 60 is not "60" nor 60.0)
    problem = assert_problem(patch_settings(api, {setting: value}), 422, "invalid_value")
    # Then the problem names the setting, and nothing changed
    assert problem_items(problem) == {setting: "invalid_value"}
    assert scan_all_tables() == items_before


@pytest.mark.parametrize(
    "raw", [b'{"settings": {"daily_screen_time_minutes": NaN}}', b'{"settings": {"comments": Infinity}}']
)
def test_nan_or_infinity_as_a_value_is_a_4xx_problem(api: Api, raw: bytes) -> None:
    # Given an adult's account / When a value is NaN or Infinity (not JSON, but accepted by some parsers)
    sign_up(api, birth_date=BORN_ADULT)
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", raw=raw, headers=auth(OWNER))
    # Then it is a client error as problem+json, never a 500
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


def test_an_invalid_value_wins_over_a_refusal(api: Api) -> None:
    # Given a 14-year-old / When one value is locked and another is not an option
    sign_up(api)
    problem = assert_problem(patch_settings(api, {"live_hosting": True, "gifts": "yes"}), 422)
    # Then the request is 422 (fix the request first), naming the invalid value
    assert problem_items(problem) == {"gifts": "invalid_value"}


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"settings": {}}, "settings", "invalid_value"),
        ({"settings": []}, "settings", "invalid_value"),
        ({"settings": "comments=no_one"}, "settings", "invalid_value"),
        ({}, "settings", "missing"),
        ({"settings": {"comments": "no_one"}, "version": 9}, "version", "unknown_field"),
        ({"settings": {"comments": "no_one"}, "age_band": "18+"}, "age_band", "unknown_field"),
    ],
    ids=["empty settings", "list", "string", "missing settings", "client-set version", "client-set band"],
)
def test_a_body_of_the_wrong_shape_is_422_validation_failed(
    api: Api, payload: dict[str, Any], field: str, code: str
) -> None:
    # Given an account / When the body does not have the shape {"settings": {...}}
    sign_up(api)
    response = api.call("PATCH", f"/v1/accounts/{OWNER}/settings", payload, auth(OWNER))
    # Then it is 422 validation_failed naming the field
    problem = assert_problem(response, 422, "validation_failed")
    assert problem_items(problem).get(field) == code


def test_changing_a_missing_account_is_404(api: Api) -> None:
    # Given no account u-404 / When a token for u-404 changes its settings / Then 404 not_found
    assert_problem(patch_settings(api, {"comments": "no_one"}, account_id="u-404"), 404, "not_found")


# -- If-Match --------------------------------------------------------------------------------------------------------
def test_a_change_with_the_current_if_match_is_applied(api: Api) -> None:
    # Given an account at version 1 / When changed with If-Match "1"
    sign_up(api, birth_date=BORN_16_17)
    response = patch_settings(api, {"comments": "everyone"}, if_match='"1"')
    # Then it is applied, at version 2
    assert response.status_code == 200
    assert header(response, "ETag") == '"2"'


def test_a_change_with_a_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    # Given an account changed since the client read version 1
    sign_up(api, birth_date=BORN_16_17)
    patch_settings(api, {"comments": "everyone"})
    items_before = scan_all_tables()
    # When the client sends a change with If-Match "1"
    response = patch_settings(api, {"downloads": True}, if_match='"1"')
    # Then it is 412 precondition_failed, and nothing changed
    assert_problem(response, 412, "precondition_failed")
    assert scan_all_tables() == items_before


@pytest.mark.parametrize("if_match", ["abc", '"abc"', "", '"-1"', '"99999999999999999999"'])
def test_a_malformed_if_match_is_412(api: Api, if_match: str) -> None:
    # Given an account at version 1 / When a change carries an If-Match that names no version this service gave
    sign_up(api, birth_date=BORN_16_17)
    response = patch_settings(api, {"comments": "everyone"}, if_match=if_match)
    # Then it is 412 precondition_failed, and nothing changed
    assert_problem(response, 412, "precondition_failed")
    assert body(get_settings(api))["version"] == 1


def test_a_series_of_changes_keeps_history_and_state_in_step(api: Api) -> None:
    # Given a 17-year-old / When they make several changes, some refused, one a no-op
    sign_up(api, birth_date=BORN_16_17)
    patch_settings(api, {"comments": "everyone"})
    patch_settings(api, {"direct_messages": "everyone"})  # locked
    patch_settings(api, {"comments": "everyone"})  # no-op
    patch_settings(api, {"comments": "no_one", "daily_screen_time_minutes": None})
    patch_settings(api, {"bogus": 1})  # invalid
    # Then replaying the history gives the stored settings, with one event per version
    events = assert_history_matches_state(api)
    assert [event["kind"] for event in events] == ["settings_changed", "settings_changed", "defaults_applied"]
