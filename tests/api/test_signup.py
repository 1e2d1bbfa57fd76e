"""POST /v1/accounts: the sign-up flow creates the settings record with its band defaults, and refuses what it must."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.policy import newest_version
from tests.api.helpers import (
    BORN_13_15,
    BORN_16_17,
    BORN_ADULT,
    OWNER,
    all_events,
    assert_problem,
    change_as_owner,
    get_settings,
    header,
    history_page,
    problem_items,
    scan_all_tables,
    sign_up,
    stored_items_mentioning,
    values_of,
)
from tests.conftest import AUDITOR, SIGNUP, Api, auth, body

# Why an option is not allowed: the age band (no jurisdiction rule applies yet)
AGE_REASON = {"kind": "age", "jurisdiction": None, "source": None}


def post_account(api: Api, payload: Any) -> Any:
    return api.call("POST", "/v1/accounts", payload, auth(*SIGNUP))


# -- success -------------------------------------------------------------------------------------------------------
def test_signing_up_a_14_year_old_applies_the_13_to_15_defaults(api: Api) -> None:
    # Given a 14-year-old in GB (born 2012-05-10; today is 2026-11-25)
    # When the sign-up flow creates the account
    response = api.sign_up(OWNER, BORN_13_15, "GB")
    # Then it is created at version 1 in the 13-15 band, with that band's strict defaults
    assert response.status_code == 201
    document = body(response)
    assert (document["account_id"], document["age_band"], document["version"]) == (OWNER, "13-15", 1)
    assert document["policy_version"] == newest_version()
    values = values_of(document)
    assert values["account_visibility"] == "private"
    assert values["direct_messages"] == "no_one"
    assert values["daily_screen_time_minutes"] == 60
    assert values["quiet_hours"] == "21:00-08:00"
    assert all(setting["value"] == setting["default"] for setting in document["settings"].values())


def test_the_sign_up_document_shows_the_issue_example_options(api: Api) -> None:
    # Given a 14-year-old / When signed up
    document = sign_up(api)
    # Then DMs offer only no_one, and a public account needs a guardian, exactly as in the issue's example
    assert document["settings"]["direct_messages"] == {
        "value": "no_one",
        "default": "no_one",
        "options": [
            {"value": "no_one", "status": "allowed", "reason": None},
            {"value": "friends", "status": "locked", "reason": AGE_REASON},
            {"value": "everyone", "status": "locked", "reason": AGE_REASON},
        ],
    }
    assert document["settings"]["account_visibility"] == {
        "value": "private",
        "default": "private",
        "options": [
            {"value": "private", "status": "allowed", "reason": None},
            {"value": "public", "status": "guardian_approval", "reason": AGE_REASON},
        ],
    }


def test_the_sign_up_document_lists_every_catalogue_setting(api: Api) -> None:
    # Given the published policy
    catalogue = body(api.call("GET", "/v1/policy"))["settings"]
    # When an account is signed up
    document = sign_up(api)
    # Then every setting of the catalogue appears, with one status per option
    assert set(document["settings"]) == set(catalogue)
    for name, setting in document["settings"].items():
        assert [option["value"] for option in setting["options"]] == catalogue[name]["options"]


@pytest.mark.parametrize(("birth_date", "band"), [(BORN_16_17, "16-17"), (BORN_ADULT, "18+")])
def test_older_people_get_their_own_band_defaults(api: Api, birth_date: str, band: str) -> None:
    # Given a 17-year-old or an adult / When signed up
    document = sign_up(api, birth_date=birth_date)
    # Then the account is in their band, with its defaults
    assert document["age_band"] == band
    policy = body(api.call("GET", "/v1/policy"))
    assert values_of(document) == {name: rule["bands"][band]["default"] for name, rule in policy["settings"].items()}


def test_the_sign_up_response_carries_the_etag_of_version_1(api: Api) -> None:
    # Given a new account / When signed up / Then the response's ETag names version 1
    response = api.sign_up(OWNER, BORN_13_15)
    assert header(response, "ETag") == '"1"'


@pytest.mark.parametrize(
    ("birth_date", "country", "requires_consent"),
    [
        ("2011-06-01", "DE", True),  # 15 in DE, where consent is 16
        ("2013-06-01", "GB", False),  # 13 in GB, where consent is 13
        ("2011-06-01", "JP", True),  # 15 in JP, not listed: 16
        ("2010-06-01", "JP", False),  # 16 in JP
        (BORN_ADULT, "DE", False),
    ],
)
def test_sign_up_says_whether_parental_consent_is_needed(
    api: Api, birth_date: str, country: str, requires_consent: bool
) -> None:
    # Given someone of a given age in a given country / When signed up
    response = api.sign_up(OWNER, birth_date, country)
    # Then the response says whether the country's digital age of consent calls for a parent
    assert response.status_code == 201
    assert body(response)["requires_parental_consent"] is requires_consent


def test_sign_up_writes_one_defaults_applied_event_by_the_signup_service(api: Api) -> None:
    # Given a new account / When signed up
    document = sign_up(api)
    # Then its history holds one defaults_applied event naming the sign-up service, from null to each default
    (event,) = all_events(api)
    assert event["kind"] == "defaults_applied"
    assert event["actor"] == {"id": SIGNUP[0], "role": "signup-service"}
    assert {change["setting"]: change["to"] for change in event["changes"]} == values_of(document)
    assert all(change["from"] is None for change in event["changes"])


def test_a_16_year_old_may_sign_up_in_australia(api: Api) -> None:
    # Given someone who turned 16 today in AU / When signed up / Then accepted in the 16-17 band
    assert sign_up(api, birth_date="2010-11-25", country="AU")["age_band"] == "16-17"


# -- repeats, retries and the birth-date oracle ----------------------------------------------------------------------
def sign_up_with_key(api: Api, key: str, birth_date: str = BORN_13_15, country: str = "GB") -> Any:
    headers = {**auth(*SIGNUP), "Idempotency-Key": f"signup-key-{key}-0000"}  # 16+ characters, as sign-up asks
    payload = {"account_id": OWNER, "birth_date": birth_date, "country": country}
    return api.call("POST", "/v1/accounts", payload, headers)


def test_a_retry_with_the_same_idempotency_key_and_body_replays_the_original_answer(api: Api) -> None:
    # Given a sign-up sent with an Idempotency-Key
    first = sign_up_with_key(api, "signup-7f1c")
    assert first.status_code == 201
    # When the sign-up flow retries it (its answer was lost) with the same key and body
    again = sign_up_with_key(api, "signup-7f1c")
    # Then the original answer comes back: 201, the same document and ETag, and nothing new is stored
    assert again.status_code == 201
    assert again.body == first.body
    assert header(again, "ETag") == '"1"'
    assert len(all_events(api)) == 1


def test_a_replay_after_changes_is_the_original_answer_and_undoes_nothing(api: Api) -> None:
    # Given an account signed up with a key, whose holder has since made a change
    first = sign_up_with_key(api, "k-1", birth_date=BORN_16_17)
    change_as_owner(api, {"comments": "everyone"})
    items_before = scan_all_tables()
    # When the sign-up is retried with the same key
    again = sign_up_with_key(api, "k-1", birth_date=BORN_16_17)
    # Then it replays the original answer and the change stays
    assert (again.status_code, again.body) == (201, first.body)
    assert scan_all_tables() == items_before
    assert values_of(body(get_settings(api, as_=AUDITOR)))["comments"] == "everyone"


def test_the_same_idempotency_key_with_another_body_is_422_idempotency_key_reused(api: Api) -> None:
    # Given a sign-up made with a key
    sign_up_with_key(api, "k-1")
    items_before = scan_all_tables()
    # When the same key comes with another birth date
    response = sign_up_with_key(api, "k-1", birth_date="2012-05-11")
    # Then it is refused and nothing changed
    assert_problem(response, 422, "idempotency_key_reused")
    assert scan_all_tables() == items_before


def test_a_sign_up_without_a_key_is_accepted_once_and_repeating_it_is_409(api: Api) -> None:
    # Given an account signed up without an Idempotency-Key
    assert api.sign_up(OWNER, BORN_13_15, "GB").status_code == 201
    items_before = scan_all_tables()
    # When exactly the same request comes again
    response = api.sign_up(OWNER, BORN_13_15, "GB")
    # Then it is 409 account_exists, and nothing stored changed
    assert_problem(response, 409, "account_exists")
    assert scan_all_tables() == items_before


def test_a_repeated_sign_up_answers_the_same_bytes_whatever_birth_date_or_country_it_names(api: Api) -> None:
    # Given an account born 2012-05-10 in GB (the attack: try dates until the answer differs)
    sign_up(api, birth_date=BORN_13_15, country="GB")
    items_before = scan_all_tables()
    guesses = [f"2012-{month:02d}-{day:02d}" for month in range(1, 13) for day in (1, 9, 10, 11, 28)]
    guesses += ["2009-05-10", "1990-05-10", BORN_13_15]
    answers = set()
    # When the same account_id is signed up with each guess, in two countries, with and without fresh keys
    for number, guess in enumerate(guesses):
        for country in ("GB", "IE"):
            plain = api.sign_up(OWNER, guess, country)
            keyed = sign_up_with_key(api, f"guess-{number}-{country}", guess, country)
            answers |= {(plain.status_code, plain.body), (keyed.status_code, keyed.body)}
    # Then every answer is one and the same 409, byte for byte, and nothing stored changed
    assert len(answers) == 1
    ((status, problem_body),) = answers
    assert status == 409 and body_of(problem_body)["code"] == "account_exists"
    assert scan_all_tables() == items_before


def test_the_idempotency_record_keeps_no_unkeyed_hash_of_the_sign_up(api: Api) -> None:
    # Given a sign-up with a key
    sign_up_with_key(api, "k-1")
    # Then no stored item holds a plain hash of the request body, from which the birth date could be recovered
    import hashlib
    import json

    payload = {"account_id": OWNER, "birth_date": BORN_13_15, "country": "GB"}
    texts = [json.dumps(payload, sort_keys=True, separators=(",", ":")), json.dumps(payload), BORN_13_15]
    stored = json.dumps(scan_all_tables())
    for text in texts:
        for digest in (hashlib.md5(text.encode()).hexdigest(), hashlib.sha256(text.encode()).hexdigest()):
            assert digest not in stored


def body_of(raw: bytes) -> Any:
    import json

    return json.loads(raw)


# -- below the minimum age -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("birth_date", "country"),
    [("2013-11-26", "GB"), ("2016-01-01", "US"), ("2010-11-26", "AU")],
    ids=["12 in GB, 13 tomorrow", "10 in US", "15 in AU, 16 tomorrow"],
)
def test_a_child_below_the_minimum_age_is_refused_and_nothing_is_stored(
    api: Api, birth_date: str, country: str
) -> None:
    # Given a child under their country's minimum age
    # When the sign-up flow tries to create the account
    response = api.sign_up("child-1", birth_date, country)
    # Then it is 422 below_minimum_age
    assert_problem(response, 422, "below_minimum_age")
    # And nothing about the child is stored: an auditor finds no account and no history, and no item names it
    assert_problem(get_settings(api, "child-1", as_=AUDITOR), 404, "not_found")
    assert_problem(history_page(api, "child-1"), 404, "not_found")
    assert stored_items_mentioning("child-1") == []
    assert scan_all_tables() == []


def test_a_child_refused_today_may_sign_up_on_their_13th_birthday(api: Api, clock: list[Any]) -> None:
    # Given a child refused the day before their 13th birthday
    assert_problem(api.sign_up("child-1", "2013-11-26", "GB"), 422, "below_minimum_age")
    # When the same request comes on their birthday
    clock[0] = clock[0].replace(day=26)
    response = api.sign_up("child-1", "2013-11-26", "GB")
    # Then the account is created in the 13-15 band
    assert response.status_code == 201
    assert body(response)["age_band"] == "13-15"


# -- validation ------------------------------------------------------------------------------------------------------
VALID = {"account_id": OWNER, "birth_date": BORN_13_15, "country": "GB"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**VALID, "account_id": 123}, "account_id"),
        ({**VALID, "account_id": None}, "account_id"),
        ({**VALID, "birth_date": 20120510}, "birth_date"),
        ({**VALID, "birth_date": ["2012-05-10"]}, "birth_date"),
        ({**VALID, "country": 44}, "country"),
        ({**VALID, "country": True}, "country"),
    ],
    ids=lambda value: str(value) if isinstance(value, str) else None,
)
def test_a_field_of_the_wrong_type_is_422(api: Api, payload: dict[str, Any], field: str) -> None:
    # Given a sign-up body with one field of the wrong JSON type / When posted
    problem = assert_problem(post_account(api, payload), 422, "validation_failed")
    # Then the problem names that field
    assert field in problem_items(problem)


@pytest.mark.parametrize("extra", [{"age_band": "18+"}, {"version": 7}, {"settings": {}}, {"Account_id": "x"}])
def test_an_unknown_field_is_422(api: Api, extra: dict[str, Any]) -> None:
    # Given a sign-up body with a field the service does not take (such as a band the client should not set)
    # When posted / Then it is 422, naming the field as unknown, and nothing is stored
    problem = assert_problem(post_account(api, {**VALID, **extra}), 422, "validation_failed")
    assert problem_items(problem) == {next(iter(extra)): "unknown_field"}
    assert scan_all_tables() == []


@pytest.mark.parametrize("missing", ["account_id", "birth_date", "country"])
def test_a_missing_field_is_422(api: Api, missing: str) -> None:
    # Given a sign-up body without one of its fields / When posted
    payload = {key: value for key, value in VALID.items() if key != missing}
    problem = assert_problem(post_account(api, payload), 422, "validation_failed")
    # Then the problem names the missing field
    assert problem_items(problem) == {missing: "missing"}


@pytest.mark.parametrize(
    "account_id",
    ["", "a b", "u/1", "u.1", "ü-1", "a" * 65, "u-1\n", "../u-1"],
    ids=["empty", "space", "slash", "dot", "non-ascii", "65 chars", "newline", "dots"],
)
def test_a_malformed_account_id_is_422(api: Api, account_id: str) -> None:
    # Given an account_id that is not 1-64 letters, digits, '-' or '_' / When signed up
    problem = assert_problem(api.sign_up(account_id, BORN_13_15), 422, "validation_failed")
    # Then the problem names account_id, and nothing is stored
    assert "account_id" in problem_items(problem)
    assert scan_all_tables() == []


@pytest.mark.parametrize("account_id", ["a", "a" * 64, "A_b-9"])
def test_an_account_id_of_1_to_64_allowed_characters_is_accepted(api: Api, account_id: str) -> None:
    # Given a well-formed account_id at the edges of the rule / When signed up / Then it is created
    assert api.sign_up(account_id, BORN_13_15).status_code == 201


@pytest.mark.parametrize(
    "birth_date",
    ["2026-11-26", "2099-01-01", "1906-11-24", "1800-01-01", "2013-02-30", "2012-13-01", "2012-5-10", "10/05/2012", ""],
    ids=[
        "tomorrow",
        "far future",
        "120 years and a day ago",
        "centuries ago",
        "30 February",
        "month 13",
        "not zero-padded",
        "not ISO",
        "empty",
    ],
)
def test_an_impossible_birth_date_is_422(api: Api, birth_date: str) -> None:
    # Given a birth date in the future, more than 120 years ago, not a real date or not ISO
    # When signed up
    problem = assert_problem(api.sign_up(OWNER, birth_date), 422, "validation_failed")
    # Then the problem names birth_date, and nothing is stored
    assert "birth_date" in problem_items(problem)
    assert scan_all_tables() == []


def test_a_birth_date_of_today_is_not_a_future_date_but_is_below_the_minimum_age(api: Api) -> None:
    # Given a birth date of today / When signed up / Then it is a real date, refused for age
    assert_problem(api.sign_up(OWNER, "2026-11-25"), 422, "below_minimum_age")


@pytest.mark.parametrize("country", ["gb", "Gb", "XX", "ZZ", "GBR", "G", "", "EU", "UK"])
def test_an_unknown_or_malformed_country_is_422(api: Api, country: str) -> None:
    # Given a country that is not an ISO 3166-1 alpha-2 code / When signed up
    problem = assert_problem(api.sign_up(OWNER, BORN_13_15, country), 422, "validation_failed")
    # Then the problem names country, and nothing is stored
    assert problem_items(problem) == {"country": "invalid_value"}
    assert scan_all_tables() == []


@pytest.mark.parametrize(
    "birth_date",
    [
        "0",
        "1325376000",
        "+1325376000",
        "-1",
        "1325376000.5",
        "\uff12\uff10\uff11\uff12-05-10",
        "2012-05-10T00:00:00",
        " 2012-05-10",
    ],
    ids=["zero", "timestamp", "signed timestamp", "negative", "float timestamp", "wide digits", "datetime", "space"],
)
def test_a_birth_date_that_is_not_exactly_yyyy_mm_dd_is_422_invalid_value(api: Api, birth_date: str) -> None:
    # Given "0" (once signed up a person born in 1970: an adult with adult defaults) and other look-alikes
    # When signed up / Then it is 422 invalid_value on birth_date, and nothing is stored
    problem = assert_problem(api.sign_up(OWNER, birth_date), 422, "validation_failed")
    assert problem_items(problem) == {"birth_date": "invalid_value"}
    assert scan_all_tables() == []


def test_the_settings_document_says_what_is_held_of_the_age_and_never_a_date(api: Api) -> None:
    # Given a 14-year-old signed up in GB
    signed = body(api.sign_up(OWNER, BORN_13_15, "GB"))
    read = body(api.call("GET", f"/v1/accounts/{OWNER}/settings", headers=auth(OWNER)))
    # Then both documents show the age as band, assurance, source and state, and nothing that is a date
    expected = {
        "band": "13-15",
        "assurance": "self_declared",
        "source": "self",
        "restricted": False,
        "band_end_known": True,
    }
    assert signed["age"] == read["age"] == expected
    assert "2012" not in json.dumps(read) and "2028" not in json.dumps(read)
