"""Family pairing: codes, links, who sees what, and every way an abuser would try to pair with a child.

Issue 12's first part: pairing codes (made and redeemed, single use, 10 minutes, rate-limited), links visible to the
teen and the guardian, unlinking by either side, and a guardian's read of the teen's settings screen.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.api.helpers import (
    BORN_13_15,
    BORN_16_17,
    BORN_ADULT,
    assert_problem,
    header,
    sign_up,
    stored_items_mentioning,
)
from tests.conftest import AUDITOR, Api, auth, body

TEEN, PARENT, OTHER_PARENT, STRANGER = "teen-1", "parent-1", "parent-2", "stranger-1"


def make_code(api: Api, account_id: str) -> Any:
    return api.call("POST", "/v1/pairing-codes", None, auth(account_id))


def code_of(api: Api, account_id: str) -> str:
    response = make_code(api, account_id)
    assert response.status_code == 201, response.body
    return str(body(response)["code"])


def redeem(api: Api, account_id: str, code: str) -> Any:
    return api.call("POST", f"/v1/pairing-codes/{code}/redeem", None, auth(account_id))


def pair(api: Api, teen: str = TEEN, guardian: str = PARENT) -> dict[str, Any]:
    response = redeem(api, guardian, code_of(api, teen))
    assert response.status_code == 201, response.body
    return dict(body(response))


def settings_as(api: Api, account_id: str, caller: str) -> Any:
    return api.call("GET", f"/v1/accounts/{account_id}/settings", None, auth(caller))


def history(api: Api, account_id: str) -> list[dict[str, Any]]:
    response = api.call("GET", f"/v1/accounts/{account_id}/settings/history", None, auth(account_id))
    assert response.status_code == 200, response.body
    return list(body(response)["events"])


@pytest.fixture
def family(api: Api) -> Api:
    sign_up(api, TEEN, BORN_13_15)
    sign_up(api, PARENT, BORN_ADULT)
    sign_up(api, OTHER_PARENT, BORN_ADULT)
    sign_up(api, STRANGER, BORN_ADULT)
    return api


# --- pairing ---------------------------------------------------------------------------------------------------------


def test_a_teens_code_redeemed_by_an_adult_links_them_and_both_see_it(family: Api, clock: list[Any]) -> None:
    # Given the teen makes a code
    response = make_code(family, TEEN)
    assert response.status_code == 201 and header(response, "Cache-Control") == "no-store"
    issued = body(response)
    assert len(issued["code"]) == 8 and not set(issued["code"]) & set("01OIL")
    assert issued["expires_at"] == "2026-11-25T12:10:00Z"
    # When the parent redeems it
    linked = body(redeem(family, PARENT, issued["code"]))
    # Then they are linked, and the teen sees the link on the settings screen
    assert linked == {"teen_id": TEEN, "guardian_id": PARENT, "since": "2026-11-25T12:00:00Z"}
    teen_screen = body(settings_as(family, TEEN, TEEN))
    assert teen_screen["guardians"] == [{"account_id": PARENT, "since": "2026-11-25T12:00:00Z"}]
    # And the guardian sees the teen
    teens = body(family.call("GET", "/v1/guardians/me/teens", None, auth(PARENT)))
    assert teens == {"teens": [{"account_id": TEEN, "since": "2026-11-25T12:00:00Z"}]}
    # And each history records the link, naming who did it as that history sees them
    (teen_event, *_), (parent_event, *_) = history(family, TEEN), history(family, PARENT)
    facts = {"teen_id": TEEN, "guardian_id": PARENT, "reason": "pairing_code"}
    assert (teen_event["kind"], teen_event["guardian"], teen_event["actor"]) == (
        "guardian_linked",
        facts,
        {"id": PARENT, "role": "guardian"},
    )
    assert (parent_event["kind"], parent_event["guardian"], parent_event["actor"]) == (
        "guardian_linked",
        facts,
        {"id": PARENT, "role": "self"},
    )


def test_an_adults_code_redeemed_by_the_teen_links_them_too(family: Api) -> None:
    linked = body(redeem(family, TEEN, code_of(family, PARENT)))
    assert (linked["teen_id"], linked["guardian_id"]) == (TEEN, PARENT)
    (event, *_) = history(family, TEEN)
    assert event["actor"] == {"id": TEEN, "role": "self"}


def test_a_code_is_typed_in_any_case_with_spaces_or_dashes(family: Api) -> None:
    code = code_of(family, TEEN)
    typed = f"{code[:4].lower()}-{code[4:]}"
    assert redeem(family, PARENT, typed).status_code == 201


def test_a_code_links_once(family: Api) -> None:
    code = code_of(family, TEEN)
    assert redeem(family, PARENT, code).status_code == 201
    assert_problem(redeem(family, OTHER_PARENT, code), 404, "pairing_code_invalid")
    assert [link["account_id"] for link in body(settings_as(family, TEEN, TEEN))["guardians"]] == [PARENT]


def test_a_code_is_dead_after_ten_minutes(family: Api, clock: list[Any]) -> None:
    code = code_of(family, TEEN)
    clock[0] += timedelta(minutes=10)
    assert_problem(redeem(family, PARENT, code), 404, "pairing_code_invalid")
    assert body(settings_as(family, TEEN, TEEN))["guardians"] == []


def test_a_code_is_stored_only_as_a_keyed_hash(family: Api) -> None:
    code = code_of(family, TEEN)
    assert stored_items_mentioning(code) == []
    assert stored_items_mentioning(code.lower()) == []


def test_guessing_codes_locks_redemption_for_an_hour(family: Api, clock: list[Any]) -> None:
    # Given a stranger tries ten wrong codes
    for attempt in range(10):
        assert_problem(redeem(family, STRANGER, f"ABCDEFG{'23456789ABCDE'[attempt]}"), 404, "pairing_code_invalid")
    # When they try the teen's real code
    code = code_of(family, TEEN)
    refused = redeem(family, STRANGER, code)
    # Then redeeming is locked, right code or not, and nothing is linked
    assert_problem(refused, 429, "rate_limited")
    assert 3500 <= int(header(refused, "Retry-After") or 0) <= 3601
    assert body(settings_as(family, TEEN, TEEN))["guardians"] == []
    # And an hour later the lock is gone (the code itself has long expired)
    clock[0] += timedelta(hours=1, seconds=1)
    assert redeem(family, STRANGER, code_of(family, TEEN)).status_code == 201


def test_a_malformed_or_overlong_code_counts_as_a_wrong_one(family: Api) -> None:
    for typed in ("short", "x" * 40, "ABCDEFG0", "%E2%80%8B" * 4):
        assert_problem(redeem(family, STRANGER, typed), 404, "pairing_code_invalid")


def test_five_codes_an_hour(family: Api, clock: list[Any]) -> None:
    for _ in range(5):
        assert make_code(family, TEEN).status_code == 201
    refused = make_code(family, TEEN)
    assert_problem(refused, 429, "rate_limited")
    assert header(refused, "Retry-After") == str(60 * 60)
    clock[0] += timedelta(hours=1)
    assert make_code(family, TEEN).status_code == 201


@pytest.mark.parametrize(
    ("creator", "redeemer", "code"),
    [
        (PARENT, STRANGER, "pairing_needs_a_minor"),  # adult to adult
        ("teen-2", TEEN, "pairing_needs_an_adult"),  # minor to minor: a minor is never a guardian
        (TEEN, "teen-2", "pairing_needs_an_adult"),
        ("older-teen", TEEN, "pairing_needs_an_adult"),  # a 17-year-old is no guardian either
        (TEEN, TEEN, "pairing_same_account"),
    ],
)
def test_only_an_adult_and_a_minor_can_pair(family: Api, creator: str, redeemer: str, code: str) -> None:
    sign_up(family, "teen-2", BORN_13_15)
    sign_up(family, "older-teen", BORN_16_17)
    assert_problem(redeem(family, redeemer, code_of(family, creator)), 422, code)
    assert body(settings_as(family, TEEN, TEEN))["guardians"] == []


def test_a_third_guardian_is_refused(family: Api) -> None:
    pair(family, TEEN, PARENT)
    pair(family, TEEN, OTHER_PARENT)
    assert_problem(redeem(family, STRANGER, code_of(family, TEEN)), 422, "guardian_limit_reached")
    assert len(body(settings_as(family, TEEN, TEEN))["guardians"]) == 2


def test_the_same_two_accounts_link_once(family: Api) -> None:
    pair(family)
    assert_problem(redeem(family, PARENT, code_of(family, TEEN)), 409, "already_linked")


def test_an_eleventh_teen_is_refused(family: Api) -> None:
    for n in range(10):
        sign_up(family, f"kid-{n}", BORN_13_15)
        pair(family, f"kid-{n}", PARENT)
    sign_up(family, "kid-10", BORN_13_15)
    assert_problem(redeem(family, "kid-10", code_of(family, PARENT)), 422, "teen_limit_reached")


def _restrict(account_id: str) -> None:
    """As the service restricts an account whose age is in doubt (written directly: the path to it is long)."""
    from tests.conftest import service_dynamodb

    service_dynamodb().update_item(
        TableName="safety-settings",
        Key={"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "STATE"}},
        UpdateExpression="SET restricted = :yes",
        ExpressionAttributeValues={":yes": {"BOOL": True}},
    )


def test_a_restricted_adult_cannot_make_or_redeem_a_guardians_code(family: Api) -> None:
    _restrict(PARENT)
    assert_problem(make_code(family, PARENT), 422, "guardian_not_eligible")
    assert_problem(redeem(family, PARENT, code_of(family, TEEN)), 422, "guardian_not_eligible")


def test_without_an_account_there_is_nothing_to_pair(family: Api) -> None:
    assert_problem(make_code(family, "nobody"), 404, "not_found")
    assert_problem(redeem(family, "nobody", code_of(family, TEEN)), 404, "not_found")
    assert family.call("POST", "/v1/pairing-codes", None, {}).status_code == 401  # chalice's gateway layer answers


# --- what a guardian may see ------------------------------------------------------------------------------------


def test_a_guardian_reads_the_teens_settings_screen(family: Api) -> None:
    pair(family)
    response = settings_as(family, TEEN, PARENT)
    assert response.status_code == 200
    assert body(response)["account_id"] == TEEN


def test_strangers_and_other_teens_guardians_get_the_missing_account_404(family: Api) -> None:
    sign_up(family, "teen-2", BORN_13_15)
    pair(family, TEEN, PARENT)
    pair(family, "teen-2", OTHER_PARENT)
    missing = settings_as(family, "no-such-teen", PARENT)
    for caller, teen in ((STRANGER, TEEN), (OTHER_PARENT, TEEN), (PARENT, "teen-2"), (TEEN, "teen-2")):
        refused = settings_as(family, teen, caller)
        assert_problem(refused, 404, "not_found")
        assert body(refused)["detail"] == body(missing)["detail"]


def test_a_guardian_sees_nothing_else_of_the_teen(family: Api) -> None:
    pair(family)
    for method, path in (
        ("GET", f"/v1/accounts/{TEEN}/settings/history"),
        ("GET", f"/v1/accounts/{TEEN}/decisions"),
        ("PATCH", f"/v1/accounts/{TEEN}/settings"),
        ("PUT", f"/v1/accounts/{TEEN}/age"),
    ):
        response = family.call(
            method, path, {"settings": {"comments": "no_one"}} if method == "PATCH" else None, auth(PARENT)
        )
        assert response.status_code in (404, 422), (method, path, response.status_code)
        if response.status_code == 404:
            assert body(response)["code"] == "not_found"


def test_the_link_ends_for_the_guardian_when_the_teen_is_18(family: Api) -> None:
    from tests.api.test_age_corrections import VERIFIER, by_verifier

    pair(family)
    # When an age-assurance provider finds the teen is an adult
    corrected = family.call("PUT", f"/v1/accounts/{TEEN}/age", by_verifier(BORN_ADULT), auth(*VERIFIER))
    assert corrected.status_code == 200, corrected.body
    # Then the former guardian no longer sees the account, nor lists it
    assert_problem(settings_as(family, TEEN, PARENT), 404, "not_found")
    assert body(family.call("GET", "/v1/guardians/me/teens", None, auth(PARENT))) == {"teens": []}


# --- unlinking -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "role_on_teen", "role_on_guardian"), [(TEEN, "self", "teen"), (PARENT, "guardian", "self")]
)
def test_either_side_unlinks_and_the_other_is_told(
    family: Api, by: str, role_on_teen: str, role_on_guardian: str
) -> None:
    pair(family)
    response = family.call("DELETE", f"/v1/accounts/{TEEN}/guardians/{PARENT}", None, auth(by))
    assert response.status_code == 204
    assert body(settings_as(family, TEEN, TEEN))["guardians"] == []
    assert_problem(settings_as(family, TEEN, PARENT), 404, "not_found")
    assert body(family.call("GET", "/v1/guardians/me/teens", None, auth(PARENT))) == {"teens": []}
    (teen_event, *_), (parent_event, *_) = history(family, TEEN), history(family, PARENT)
    facts = {"teen_id": TEEN, "guardian_id": PARENT, "reason": "unlinked"}
    assert (teen_event["kind"], teen_event["guardian"], teen_event["actor"]["role"]) == (
        "guardian_unlinked",
        facts,
        role_on_teen,
    )
    assert (parent_event["kind"], parent_event["actor"]["role"]) == ("guardian_unlinked", role_on_guardian)


def test_nobody_else_can_unlink_and_a_missing_link_is_the_same_404(family: Api) -> None:
    pair(family)
    for caller in (STRANGER, OTHER_PARENT, AUDITOR[0]):
        assert_problem(family.call("DELETE", f"/v1/accounts/{TEEN}/guardians/{PARENT}", None, auth(caller)), 404)
    assert_problem(family.call("DELETE", f"/v1/accounts/{TEEN}/guardians/{STRANGER}", None, auth(TEEN)), 404)
    assert_problem(family.call("DELETE", f"/v1/accounts/{TEEN}/guardians/{'x' * 99}", None, auth(TEEN)), 404)
    assert [link["account_id"] for link in body(settings_as(family, TEEN, TEEN))["guardians"]] == [PARENT]


def test_an_auditor_sees_the_links_on_the_teens_screen_and_history(family: Api) -> None:
    pair(family)
    screen = family.call("GET", f"/v1/accounts/{TEEN}/settings", None, auth(*AUDITOR))
    assert body(screen)["guardians"][0]["account_id"] == PARENT
    events = body(family.call("GET", f"/v1/accounts/{TEEN}/settings/history", None, auth(*AUDITOR)))["events"]
    assert events[0]["guardian"]["guardian_id"] == PARENT


# --- at 18 ------------------------------------------------------------------------------------------------------


def test_at_18_the_birthday_job_ends_every_link_and_tells_both_sides(family: Api) -> None:
    from dataclasses import replace
    from datetime import UTC, date, datetime

    from chalicelib.services.transitions import run_transitions
    from chalicelib.workers.transitions import compose_transitions

    # Given a 17-year-old with two guardians, who turns 18 on 2026-12-20
    sign_up(family, "nearly-18", "2008-12-20")
    pair(family, "nearly-18", PARENT)
    pair(family, "nearly-18", OTHER_PARENT)
    # When the birthday job runs that day
    job = compose_transitions({"AWS_REGION": "eu-west-1"})
    at = datetime(2026, 12, 20, 0, 5, tzinfo=UTC)
    assert run_transitions(replace(job, clock=lambda: at), date(2026, 12, 20)).counts.moved == 1
    # Then the account is an adult's with no guardian, and its history says why each link ended
    screen = body(settings_as(family, "nearly-18", "nearly-18"))
    assert (screen["age_band"], screen["guardians"]) == ("18+", [])
    events = history(family, "nearly-18")
    assert [event["kind"] for event in events[:3]] == ["guardian_unlinked", "guardian_unlinked", "band_changed"]
    assert {event["guardian"]["reason"] for event in events[:2]} == {"turned_18"}
    # And each guardian is told on their own history, lists the teen no more, and may pair with another teen
    for parent in (PARENT, OTHER_PARENT):
        (event, *_) = history(family, parent)
        assert (event["kind"], event["guardian"]["reason"], event["actor"]["role"]) == (
            "guardian_unlinked",
            "turned_18",
            "system",
        )
        assert body(family.call("GET", "/v1/guardians/me/teens", None, auth(parent))) == {"teens": []}
        assert_problem(settings_as(family, "nearly-18", parent), 404, "not_found")
    pair(family, TEEN, PARENT)
