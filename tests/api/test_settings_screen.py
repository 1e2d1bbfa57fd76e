"""GET /v1/accounts/{id}/settings: the settings screen for the account holder and for auditors."""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    BORN_16_17,
    OWNER,
    assert_problem,
    change_as_owner,
    get_settings,
    header,
    settings_document,
    sign_up,
)
from tests.conftest import AUDITOR, Api, auth, body


def test_the_account_holder_reads_the_same_document_sign_up_returned(api: Api) -> None:
    # Given a signed-up account
    signed_up = sign_up(api)
    # When its holder reads the settings screen
    response = get_settings(api)
    # Then it is 200 with the same document
    assert response.status_code == 200
    assert body(response) == settings_document(signed_up)


def test_an_auditor_reads_the_settings_of_any_account(api: Api) -> None:
    # Given a signed-up account / When an auditor reads its settings / Then it is 200 with the document
    signed_up = sign_up(api)
    response = get_settings(api, as_=AUDITOR)
    assert response.status_code == 200
    assert body(response) == settings_document(signed_up)


def test_the_settings_carry_the_etag_of_their_version(api: Api) -> None:
    # Given an account changed twice (version 3)
    sign_up(api, birth_date=BORN_16_17)
    change_as_owner(api, {"comments": "everyone"})
    change_as_owner(api, {"downloads": True})
    # When the settings are read
    response = get_settings(api)
    # Then the ETag is "3", the quoted version
    assert body(response)["version"] == 3
    assert header(response, "ETag") == '"3"'


def test_the_screen_shows_the_changed_value_next_to_the_band_default(api: Api) -> None:
    # Given a 17-year-old who opened comments to everyone
    sign_up(api, birth_date=BORN_16_17)
    change_as_owner(api, {"comments": "everyone"})
    # When the screen is read
    comments = body(get_settings(api))["settings"]["comments"]
    # Then the value is everyone, the default stays friends, and every option is allowed for 16-17
    assert (comments["value"], comments["default"]) == ("everyone", "friends")
    assert [option["status"] for option in comments["options"]] == ["allowed", "allowed", "allowed"]


def test_a_missing_account_is_404_for_its_would_be_holder(api: Api) -> None:
    # Given no account u-404 / When a token for u-404 reads its settings / Then 404 not_found
    assert_problem(get_settings(api, "u-404"), 404, "not_found")


def test_a_missing_account_is_404_for_an_auditor(api: Api) -> None:
    # Given no account u-404 / When an auditor reads its settings / Then 404 not_found
    assert_problem(get_settings(api, "u-404", as_=AUDITOR), 404, "not_found")


@pytest.mark.parametrize(
    "path_id",
    ["a%20b", "a" * 65, "u-1%00", "%C3%BC", "u.1"],
    ids=["space", "65 chars", "nul", "non-ascii", "dot"],
)
def test_a_malformed_account_id_in_the_path_is_the_404_of_a_missing_account(api: Api, path_id: str) -> None:
    # Given a signed-up account, and an id in the path that no account can have
    sign_up(api)
    # When an auditor reads the settings at that path
    response = api.call("GET", f"/v1/accounts/{path_id}/settings", headers=auth(*AUDITOR))
    # Then it is exactly the 404 of a missing account
    assert_problem(response, 404, "not_found")
    assert body(response) == body(get_settings(api, "u-404", as_=AUDITOR))


def test_a_malformed_account_id_is_404_even_for_a_token_with_that_sub(api: Api) -> None:
    # Given a token whose sub is 65 characters long / When it reads "its" settings / Then 404 not_found
    long_id = "a" * 65
    assert_problem(get_settings(api, long_id), 404, "not_found")


def test_reading_settings_does_not_change_them(api: Api) -> None:
    # Given a signed-up account / When its settings are read twice / Then the version is unchanged
    sign_up(api, OWNER)
    get_settings(api)
    assert body(get_settings(api))["version"] == 1
