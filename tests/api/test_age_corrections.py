"""PUT /v1/accounts/{id}/age on DynamoDB (moto): corrections in both directions by each kind of caller, app-store age
ranges, clamping with its event, restriction below the minimum age, no-ops, and the bad inputs. Today is 2026-11-25."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.services.transitions import TransitionsDeps, run_transitions
from chalicelib.workers.transitions import compose_transitions
from tests.api.helpers import all_events, assert_problem, get_settings, problem_items, values_of
from tests.conftest import AUDITOR, Api, auth, body

VERIFIER = ("verifier-1", "age-verifier")
ADULT_VALUES = {"comments": "everyone", "direct_messages": "everyone", "account_visibility": "public"}


def put_age(api: Api, account_id: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    return api.call("PUT", f"/v1/accounts/{account_id}/age", payload, headers or auth(account_id))


def by_holder(birth_date: str | None = None, age_range: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"assurance": "self_declared", "source": "self", **extra}
    if birth_date is not None:
        payload["birth_date"] = birth_date
    if age_range is not None:
        payload["age_range"] = age_range
    return payload


def by_verifier(birth_date: str, assurance: str = "verified") -> dict[str, Any]:
    return {"birth_date": birth_date, "assurance": assurance, "source": "age_verifier"}


def signed_up(api: Api, account_id: str, born: str, country: str = "GB") -> dict[str, Any]:
    response = api.sign_up(account_id, born, country)
    assert response.status_code == 201, response.body
    return dict(body(response))


def document(api: Api, account_id: str) -> dict[str, Any]:
    response = get_settings(api, account_id)
    assert response.status_code == 200, response.body
    return dict(body(response))


def an_adult_with_open_settings(api: Api, account_id: str = "adult") -> None:
    signed_up(api, account_id, "1990-05-05")
    changed = api.call("PATCH", f"/v1/accounts/{account_id}/settings", {"settings": ADULT_VALUES}, auth(account_id))
    assert changed.status_code == 200, changed.body


def job(day: str) -> Any:
    deps = compose_transitions({"AWS_REGION": "eu-west-1"}, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))
    at = datetime.fromisoformat(day).replace(hour=0, minute=5, tzinfo=UTC)
    return run_transitions(
        TransitionsDeps(deps.store, deps.policy, deps.band_ends, lambda: at), date.fromisoformat(day)
    )


# -- the holder ---------------------------------------------------------------------------------------------------
def test_a_holder_who_was_an_adult_says_they_are_14_and_every_looser_value_is_clamped_in_one_event(api: Api) -> None:
    # Given an adult account with open settings
    an_adult_with_open_settings(api)
    before = len(all_events(api, "adult"))
    # When the holder corrects their birth date to a 14-year-old's
    response = put_age(api, "adult", by_holder("2012-03-04"))
    # Then the account is in 13-15 at once, every value the band does not allow is at the band's limit
    assert response.status_code == 200, response.body
    now = body(response)
    assert now["age"] == {
        "band": "13-15",
        "assurance": "self_declared",
        "source": "self",
        "restricted": False,
        "band_end_known": True,
    }
    assert {name: values_of(now)[name] for name in ADULT_VALUES} == {
        "comments": "friends",
        "direct_messages": "no_one",
        "account_visibility": "private",
    }
    # And one age_changed event lists each clamped setting, by the holder
    events = all_events(api, "adult")
    assert len(events) == before + 1
    newest = events[0]
    assert (newest["kind"], newest["actor"]["role"], newest["age_band"]) == ("age_changed", "self", "13-15")
    clamped = {change["setting"]: (change["from"], change["to"]) for change in newest["changes"]}
    assert clamped["comments"] == ("everyone", "friends")
    assert clamped["direct_messages"] == ("everyone", "no_one")
    assert newest["age"] == {
        "assurance": "self_declared",
        "source": "self",
        "restricted": False,
        "band_end_known": True,
    }
    # And a value already within the band was not touched
    assert "kindness_prompt" not in clamped


@pytest.mark.parametrize(
    ("born", "older"),
    [
        ("1990-01-01", "18+"),  # a 14-year-old typing an adult's date
        ("2010-01-01", "16-17"),  # or a 16-year-old's
    ],
)
def test_a_holder_cannot_make_themselves_older(api: Api, born: str, older: str) -> None:
    # Given a 14-year-old
    signed_up(api, "kid", "2012-03-04")
    before = document(api, "kid")
    events = len(all_events(api, "kid"))
    # When they re-type their birth date as someone older
    response = put_age(api, "kid", by_holder(born))
    # Then it is refused with assurance_required and nothing changed
    assert_problem(response, 403, "assurance_required")
    assert document(api, "kid") == before
    assert len(all_events(api, "kid")) == events


def test_a_holder_cannot_bring_their_birthday_move_sooner_inside_the_band(api: Api) -> None:
    # Given a 14-year-old who turns 16 in March 2028
    signed_up(api, "kid", "2012-03-04")
    # When they say they were born months earlier (still 14, so still 13-15), which would move them sooner
    response = put_age(api, "kid", by_holder("2011-12-30"))
    # Then it is refused
    assert_problem(response, 403, "assurance_required")


def test_a_holder_may_delay_their_move_to_a_later_month(api: Api) -> None:
    signed_up(api, "kid", "2011-07-19")  # 16 on 2027-07-19
    response = put_age(api, "kid", by_holder("2011-09-02"))  # 16 on 2027-09-02
    assert response.status_code == 200, response.body
    job("2027-08-01")
    assert document(api, "kid")["age"]["band"] == "13-15"
    job("2027-09-02")
    assert document(api, "kid")["age"]["band"] == "16-17"


@pytest.mark.parametrize(
    ("corrected", "moves_on"),
    [
        ("2011-07-25", "2027-07-25"),  # later in the same month: the later day counts
        ("2011-07-05", "2027-07-19"),  # earlier in the same month: the day on record still counts (never sooner)
    ],
)
def test_a_holders_correction_in_the_same_month_never_brings_the_move_sooner(
    api: Api, corrected: str, moves_on: str
) -> None:
    # Given a child who turns 16 on 2027-07-19, who corrects their birth date to another day of July 2011
    signed_up(api, "kid", "2011-07-19")
    response = put_age(api, "kid", by_holder(corrected))
    assert response.status_code == 200, response.body
    # When the job runs on the day before the later of the two days, and on it
    before = date.fromisoformat(moves_on).toordinal() - 1
    job(date.fromordinal(before).isoformat())
    assert document(api, "kid")["age"]["band"] == "13-15"
    job(moves_on)
    # Then the move comes on the later of the two days, never sooner
    assert document(api, "kid")["age"]["band"] == "16-17"


def test_same_month_corrections_are_bounded(api: Api) -> None:
    signed_up(api, "kid", "2011-07-19")
    statuses = [put_age(api, "kid", by_holder("2011-07-20")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 403]
    # And the account still moves on (all five values open)
    job("2027-07-20")
    assert document(api, "kid")["age"]["band"] == "16-17"


def test_the_same_range_twice_writes_nothing_the_second_time(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    signal = by_holder(age_range={"lower": 13, "upper": 15}, source="apple_declared_age_range")
    first = put_age(api, "kid", signal)
    events = len(all_events(api, "kid"))
    second = put_age(api, "kid", signal)
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(all_events(api, "kid")) == events
    assert body(first) == body(second)


def test_a_holder_saying_the_same_birth_date_again_changes_no_band(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    response = put_age(api, "kid", by_holder("2012-03-04"))
    assert response.status_code == 200, response.body
    assert body(response)["age"]["band"] == "13-15"


# -- app-store ranges ---------------------------------------------------------------------------------------------
def test_an_app_store_range_places_an_adult_in_the_youngest_band_it_overlaps_with_no_band_end(api: Api) -> None:
    # Given an adult with open settings
    an_adult_with_open_settings(api)
    # When the app relays Google Play's signal: 13 to 17
    response = put_age(
        api,
        "adult",
        by_holder(
            age_range={"lower": 13, "upper": 17}, source="google_play_age_signals", assurance="guardian_declared"
        ),
    )
    # Then the account is in 13-15 (strictest wins), with no known band end, and clamped
    assert response.status_code == 200, response.body
    now = body(response)
    assert now["age"]["band"] == "13-15"
    assert now["age"]["band_end_known"] is False
    assert (now["age"]["source"], now["age"]["assurance"]) == ("google_play_age_signals", "guardian_declared")
    assert values_of(now)["direct_messages"] == "no_one"
    # And no birthday moves it on, however late the job runs
    job("2029-12-31")
    assert document(api, "adult")["age"]["band"] == "13-15"
    # And the holder cannot date its band end themselves, only an age check can
    assert_problem(put_age(api, "adult", by_holder("2012-01-01")), 403, "assurance_required")
    verified = put_age(api, "adult", by_verifier("2012-01-01"), auth(*VERIFIER))
    assert verified.status_code == 200, verified.body
    assert body(verified)["age"]["band_end_known"] is True


def test_a_range_that_confirms_the_band_keeps_its_known_end(api: Api) -> None:
    signed_up(api, "kid", "2011-07-19")
    response = put_age(api, "kid", by_holder(age_range={"lower": 13, "upper": 15}, source="apple_declared_age_range"))
    assert response.status_code == 200, response.body
    assert body(response)["age"]["band_end_known"] is True
    job("2027-07-19")
    assert document(api, "kid")["age"]["band"] == "16-17"


def test_a_holder_cannot_relay_a_range_older_than_their_band(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    response = put_age(api, "kid", by_holder(age_range={"lower": 18}, source="apple_declared_age_range"))
    assert_problem(response, 403, "assurance_required")


# -- the age-verifier ---------------------------------------------------------------------------------------------
def test_a_verifier_may_make_a_teen_an_adult_and_values_stay_while_options_unlock(api: Api) -> None:
    # Given a 17-year-old who really is 18 (a typo at sign-up)
    signed_up(api, "teen", "2009-12-01")
    before = document(api, "teen")
    # When an age-assurance provider reports a verified age
    response = put_age(api, "teen", by_verifier("2008-01-01"), auth(*VERIFIER))
    # Then the account is 18+, verified; no value changed; options unlocked
    assert response.status_code == 200, response.body
    now = body(response)
    assert (now["age"]["band"], now["age"]["assurance"], now["age"]["source"]) == ("18+", "verified", "age_verifier")
    assert values_of(now) == values_of(before)
    assert now["settings"]["direct_messages"]["options"][2]["status"] == "allowed"
    newest = all_events(api, "teen")[0]
    assert (newest["kind"], newest["actor"], newest["changes"]) == (
        "age_changed",
        {"id": "verifier-1", "role": "age-verifier"},
        [],
    )
    # And an adult keeps nothing sealed
    account = api.deps.accounts.store.get_account("teen")
    assert (account.band_end_month, account.band_end_sealed) == ("", "")


def test_a_verifier_may_make_an_account_younger_and_it_is_clamped(api: Api) -> None:
    an_adult_with_open_settings(api)
    response = put_age(api, "adult", by_verifier("2012-03-04", "estimated"), auth(*VERIFIER))
    assert response.status_code == 200, response.body
    assert (body(response)["age"]["band"], values_of(body(response))["comments"]) == ("13-15", "friends")


def test_a_verifiers_correction_to_a_later_day_of_the_same_month_is_applied(api: Api) -> None:
    # Given a verified 16th birthday on 2027-07-01, corrected by the verifier to 2027-07-28 (review: it was ignored as a
    # repeat, and the child moved up 27 days early)
    signed_up(api, "kid", "2011-07-01")
    assert put_age(api, "kid", by_verifier("2011-07-01"), auth(*VERIFIER)).status_code == 200
    assert put_age(api, "kid", by_verifier("2011-07-28"), auth(*VERIFIER)).status_code == 200
    # When the job runs on the earlier day / Then the child stays; on the later day they move
    job("2027-07-01")
    assert document(api, "kid")["age"]["band"] == "13-15"
    job("2027-07-28")
    assert document(api, "kid")["age"]["band"] == "16-17"


def test_a_move_resets_the_count_of_same_month_corrections(api: Api, clock: list[datetime]) -> None:
    # Given four same-month corrections before the 16th birthday, and the move (review: the count was kept)
    signed_up(api, "kid", "2011-07-19")
    for _ in range(4):
        assert put_age(api, "kid", by_holder("2011-07-20")).status_code == 200
    job("2027-07-20")
    # When, in the new band, the holder delays their 18th birthday move by days within its month
    clock[0] = datetime(2027, 8, 1, 12, tzinfo=UTC)
    response = put_age(api, "kid", by_holder("2009-07-25"))
    # Then it is still refused as older (a 2009 date is 18) -- and a 2011 day later in July is accepted
    assert_problem(response, 403, "assurance_required")
    assert put_age(api, "kid", by_holder("2011-07-25")).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"birth_date": "2012-03-04", "assurance": "self_declared", "source": "age_verifier"}, "assurance"),
        ({"birth_date": "2012-03-04", "assurance": "verified", "source": "self"}, "source"),
    ],
)
def test_a_verifier_reports_estimated_or_verified_from_age_verifier(
    api: Api, payload: dict[str, Any], field: str
) -> None:
    signed_up(api, "kid", "2012-03-04")
    problem = assert_problem(put_age(api, "kid", payload, auth(*VERIFIER)), 422)
    assert field in problem_items(problem)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"birth_date": "2012-03-04", "assurance": "verified", "source": "self"}, "assurance"),
        ({"birth_date": "2012-03-04", "assurance": "estimated", "source": "self"}, "assurance"),
        ({"birth_date": "2012-03-04", "assurance": "self_declared", "source": "age_verifier"}, "source"),
    ],
)
def test_a_holder_cannot_claim_an_age_check(api: Api, payload: dict[str, Any], field: str) -> None:
    signed_up(api, "kid", "2012-03-04")
    problem = assert_problem(put_age(api, "kid", payload), 422)
    assert field in problem_items(problem)


# -- below the minimum age ----------------------------------------------------------------------------------------
def test_below_the_minimum_age_the_account_is_restricted_until_an_age_check_lifts_it(api: Api) -> None:
    # Given a 14-year-old who kept the defaults
    signed_up(api, "kid", "2012-03-04")
    # When they correct their age to 11
    response = put_age(api, "kid", by_holder("2015-06-01"))
    # Then the account is restricted: every value at its strictest, every option locked, with an event
    assert response.status_code == 200, response.body
    now = body(response)
    assert now["age"]["restricted"] is True
    assert values_of(now)["comments"] == "no_one"
    assert values_of(now)["kindness_prompt"] is True
    assert all(option["status"] == "locked" for view in now["settings"].values() for option in view["options"])
    newest = all_events(api, "kid")[0]
    assert (newest["kind"], newest["age"]["restricted"]) == ("age_changed", True)
    # And nothing is deleted: the account still reads, and changes are refused
    refused = api.call("PATCH", "/v1/accounts/kid/settings", {"settings": {"comments": "no_one"}}, auth("kid"))
    assert_problem(refused, 403, "account_restricted")
    # And the holder cannot lift it by re-typing a date
    assert_problem(put_age(api, "kid", by_holder("2012-03-04")), 403, "assurance_required")
    # But an age check can: values stay at their strictest, options unlock
    lifted = put_age(api, "kid", by_verifier("2012-03-04"), auth(*VERIFIER))
    assert lifted.status_code == 200, lifted.body
    assert body(lifted)["age"]["restricted"] is False
    assert values_of(body(lifted))["comments"] == "no_one"
    allowed = api.call("PATCH", "/v1/accounts/kid/settings", {"settings": {"comments": "friends"}}, auth("kid"))
    assert allowed.status_code == 200, allowed.body


def test_the_minimum_age_is_the_accounts_countrys(api: Api) -> None:
    # Given a 16-year-old in Australia (minimum age 16)
    signed_up(api, "aussie", "2010-01-01", country="AU")
    # When they say they are 15
    response = put_age(api, "aussie", by_holder("2011-01-01"))
    # Then the account is restricted there
    assert response.status_code == 200, response.body
    assert body(response)["age"]["restricted"] is True


def test_a_range_whose_youngest_age_is_below_the_minimum_restricts(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    response = put_age(api, "kid", by_holder(age_range={"lower": 10, "upper": 14}, source="apple_declared_age_range"))
    assert response.status_code == 200, response.body
    assert body(response)["age"]["restricted"] is True


# -- who may call -------------------------------------------------------------------------------------------------
def test_an_auditor_gets_403_and_anyone_else_the_404_of_a_missing_account(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    assert_problem(put_age(api, "kid", by_holder("2013-01-01"), auth(*AUDITOR)), 403, "forbidden")
    for headers in (auth("someone-else"), auth("mod-1", "moderator"), auth("signup-service", "signup-service")):
        assert_problem(put_age(api, "kid", by_holder("2013-01-01"), headers), 404, "not_found")
    # And a missing account is the same 404, for its "holder" and for a verifier
    assert_problem(put_age(api, "ghost", by_holder("2013-01-01"), auth("ghost")), 404, "not_found")
    assert_problem(put_age(api, "ghost", by_verifier("2013-01-01"), auth(*VERIFIER)), 404, "not_found")
    assert document(api, "kid")["age"]["band"] == "13-15"


@pytest.mark.parametrize(
    "payload",
    [
        {"assurance": "self_declared", "source": "self"},  # neither
        {"birth_date": "2012-03-04", "age_range": {"lower": 13}, "assurance": "self_declared", "source": "self"},
        {"age_range": {"lower": 15, "upper": 13}, "assurance": "self_declared", "source": "self"},
        {"age_range": {"lower": -1}, "assurance": "self_declared", "source": "self"},
        {"age_range": {"lower": "13"}, "assurance": "self_declared", "source": "self"},
        {"age_range": {"lower": 13, "extra": 1}, "assurance": "self_declared", "source": "self"},
        {"birth_date": "2012-3-4", "assurance": "self_declared", "source": "self"},
        {"birth_date": "2012-02-30", "assurance": "self_declared", "source": "self"},
        {"birth_date": "2030-01-01", "assurance": "self_declared", "source": "self"},
        {"birth_date": "1800-01-01", "assurance": "self_declared", "source": "self"},
        {"birth_date": 20120304, "assurance": "self_declared", "source": "self"},
        {"birth_date": "2012-03-04", "assurance": "certain", "source": "self"},
        {"birth_date": "2012-03-04", "assurance": "self_declared", "source": "tiktok"},
        {"birth_date": "2012-03-04", "source": "self"},
        {"birth_date": "2012-03-04", "assurance": "self_declared", "source": "self", "band": "18+"},
        [],
        "2012-03-04",
    ],
)
def test_bad_requests_are_422_and_change_nothing(api: Api, payload: Any) -> None:
    signed_up(api, "kid", "2012-03-04")
    before = document(api, "kid")
    assert_problem(put_age(api, "kid", payload), 422)
    assert document(api, "kid") == before


def test_a_body_that_is_not_json_is_400(api: Api) -> None:
    signed_up(api, "kid", "2012-03-04")
    response = api.call("PUT", "/v1/accounts/kid/age", raw=b"{not json", headers=auth("kid"))
    assert_problem(response, 400)
