"""The birth date never leaves the sign-up request: not in a log line, a metric, a response, an audit event or a
stored item. Bearer tokens are never logged or echoed either."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

from tests.api.helpers import all_events, scan_all_tables
from tests.conftest import AUDITOR, SIGNUP, Api, auth, token

ACCOUNT = "u-minimal"
BIRTH_DATE = "2011-07-19"  # 15 on 2026-11-25: 13-15, band ends on the 16th birthday, 2027-07-19
BIRTH_DATE_FORMS = ["2011-07-19", "20110719", "19/07/2011", "07/19/2011", "2011/07/19"]
BAND_ENDS_ON = "2027-07-19"
EIGHTEENTH_BIRTHDAY = "2029-07-19"
# Every date the birth date can be read off: the date itself, and the birthdays on which bands end.
BIRTH_DAYS = ["2011-07-19", "2027-07-19", "2029-07-19"]


def day_forms(day: str) -> list[str]:
    year, month, dom = day.split("-")
    return [day, f"{year}{month}{dom}", f"{dom}/{month}/{year}", f"{month}/{dom}/{year}", f"{year}/{month}/{dom}"]


def stored_values(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every scalar of a stored item as text, with its path; base64 text also decoded (a value merely encoded is
    still in the clear)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from stored_values(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from stored_values(inner, f"{path}[{index}]")
    else:
        text = str(value)
        yield path, text
        if len(text) >= 16 and re.fullmatch(r"[A-Za-z0-9+/=_-]+", text):
            try:
                decoded = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_").decode("latin-1")
            except (binascii.Error, ValueError):
                return
            yield f"{path}(base64)", decoded


def response_text(response: Any) -> str:
    return json.dumps(dict(response.headers)) + "\n" + response.body.decode("utf-8", "replace")


def exercise_every_route(api: Api) -> list[Any]:
    """Sign up with the distinctive birth date, repeat it, conflict with it, read, change and page the history."""
    owner = auth(ACCOUNT)
    verifier = auth("verifier-1", "age-verifier")
    age = f"/v1/accounts/{ACCOUNT}/age"
    keyed = {**auth(*SIGNUP), "Idempotency-Key": "k-0123456789abcdef"}
    payload = {"account_id": ACCOUNT, "birth_date": BIRTH_DATE, "country": "GB"}
    responses = [
        api.sign_up(ACCOUNT, BIRTH_DATE, "GB"),
        api.sign_up(ACCOUNT, BIRTH_DATE, "GB"),  # repeat: 409
        api.sign_up(ACCOUNT, BIRTH_DATE, "IE"),  # 409
        api.call("POST", "/v1/accounts", {**payload, "account_id": "u-keyed"}, keyed),
        api.call("POST", "/v1/accounts", {**payload, "account_id": "u-keyed"}, keyed),
        api.call("POST", "/v1/accounts", {**payload, "account_id": "u-other", "extra": 1}, auth(*SIGNUP)),  # 422
        api.call("POST", "/v1/accounts", {**payload, "account_id": "u-other", "country": "XX"}, auth(*SIGNUP)),
        api.call("POST", "/v1/accounts", {**payload, "birth_date": "2011-07-19T00:00"}, auth(*SIGNUP)),
        api.sign_up("u-young", "2014-07-19", "GB"),  # below the minimum age
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings", headers=owner),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings", headers=auth(*AUDITOR)),
        api.call("PATCH", f"/v1/accounts/{ACCOUNT}/settings", {"settings": {"comments": "no_one"}}, owner),
        api.call("PATCH", f"/v1/accounts/{ACCOUNT}/settings", {"settings": {"direct_messages": "everyone"}}, owner),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings/history?limit=1", headers=owner),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings/history", headers=auth(*AUDITOR)),
        # age corrections with the same birth date: by the holder, refused as older, and by an age check
        api.call("PUT", age, {"birth_date": BIRTH_DATE, "assurance": "self_declared", "source": "self"}, owner),
        api.call("PUT", age, {"birth_date": "2010-07-19", "assurance": "self_declared", "source": "self"}, owner),
        api.call("PUT", age, {"birth_date": BIRTH_DATE, "assurance": "verified", "source": "age_verifier"}, verifier),
        api.call("PUT", age, {"birth_date": "2030-07-19", "assurance": "verified", "source": "age_verifier"}, verifier),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings/history", headers=owner),
    ]
    assert [response.status_code for response in responses] == [
        201, 409, 409, 201, 201, 422, 422, 422, 422, 200, 200, 200, 403, 200, 200, 200, 403, 200, 422, 200,
    ]  # fmt: skip
    return responses


def test_no_response_contains_the_birth_date(api: Api) -> None:
    # Given sign-up, repeat, conflict, refusals, reads, changes and history for someone born on 2011-07-19
    responses = exercise_every_route(api)
    # When every response (headers and body) is read
    text = "\n".join(response_text(response) for response in responses)
    # Then the birth date appears in none of them, in any common form, nor does the date the band ends
    for form in [*BIRTH_DATE_FORMS, BAND_ENDS_ON]:
        assert form not in text, form


def test_no_log_line_or_metric_contains_the_birth_date(api: Api, captured_logs: Any) -> None:
    # Given every route exercised for someone born on 2011-07-19
    exercise_every_route(api)
    # When the service's logs and printed metrics are read
    logged = captured_logs()
    # Then there was logging (one line per request), and the birth date is in none of it
    assert logged.count('"message":"request"') >= 15
    for form in [*BIRTH_DATE_FORMS, BAND_ENDS_ON]:
        assert form not in logged, form


def test_no_audit_event_contains_the_birth_date(api: Api) -> None:
    # Given every route exercised for someone born on 2011-07-19
    exercise_every_route(api)
    # When the account's whole audit trail is read
    events = json.dumps(all_events(api, ACCOUNT))
    # Then neither the birth date nor the band's end is in it
    for form in [*BIRTH_DATE_FORMS, BAND_ENDS_ON]:
        assert form not in events, form


def test_no_stored_attribute_holds_the_birth_date_or_a_birthday_in_the_clear(api: Api) -> None:
    # Given every route exercised for someone born on 2011-07-19, whose bands end on their 16th and 18th birthdays
    exercise_every_route(api)
    # When every attribute of every item of every table is read, base64 decoded where it is base64
    items = scan_all_tables()
    values = [(path, text) for item in items for path, text in stored_values(item)]
    # Then the account is there, and no attribute holds the birth date or either birthday, in any common form:
    # no exemption, the band's end is only sealed
    assert any(ACCOUNT in text for _, text in values)
    found = [(path, form) for path, text in values for day in BIRTH_DAYS for form in day_forms(day) if form in text]
    assert found == []
    # And the only trace of when the band ends is its month
    (state,) = [
        item for item in items if item.get("pk") == {"S": f"ACCOUNT#{ACCOUNT}"} and item.get("sk") == {"S": "STATE"}
    ]
    assert state["band_end_bucket"]["S"].startswith("2027-07#")
    assert "band_ends_on" not in state
    # And nothing at all is kept about the child who was refused
    assert "u-young" not in json.dumps(items)


def test_the_sealed_band_end_opens_only_with_the_key_and_for_its_own_account(api: Api) -> None:
    import boto3

    from chalicelib.services.ports import SealBroken
    from chalicelib.store.band_ends import BandEndOpener

    # Given the account signed up
    exercise_every_route(api)
    (state,) = [
        item
        for item in scan_all_tables()
        if item.get("pk") == {"S": f"ACCOUNT#{ACCOUNT}"} and item.get("sk") == {"S": "STATE"}
    ]
    sealed = state["band_end_sealed"]["S"]
    opener = BandEndOpener("alias/safety-settings-band-ends", "eu-west-1", boto3.client("kms", region_name="eu-west-1"))
    # When the transition function's opener opens it / Then it holds both birthdays
    assert [day.isoformat() for day in opener.open(ACCOUNT, sealed)] == [BAND_ENDS_ON, EIGHTEENTH_BIRTHDAY]
    # And copied onto another account, or edited, it does not open
    for account_id, value in [("u-keyed", sealed), (ACCOUNT, sealed[:-8] + "AAAAAAA="), (ACCOUNT, "not-base64!")]:
        try:
            opener.open(account_id, value)
        except SealBroken:
            continue
        raise AssertionError(f"{account_id}: {value[:12]}... opened")


def test_the_api_cannot_open_a_band_end(api: Api) -> None:
    # Given the API's composed dependencies / Then what it seals with has no way to open
    assert not hasattr(api.deps.accounts.band_ends, "open")


def test_the_keyed_hashes_the_tables_hold_stay_inside_them(api: Api, captured_logs: Any) -> None:
    # Given every route exercised
    responses = exercise_every_route(api)
    # When the long hex strings the tables hold (such as the keyed fingerprint of a sign-up's Idempotency-Key record)
    # are looked for
    stored_hex = set(re.findall(r"\b[0-9a-f]{32,}\b", json.dumps(scan_all_tables())))
    # Then none of them appears in a response or a log line
    outside = "\n".join(response_text(response) for response in responses) + captured_logs()
    assert [value for value in stored_hex if value in outside] == []


def test_bearer_tokens_are_never_logged_or_echoed(api: Api, captured_logs: Any) -> None:
    # Given requests with good, expired and garbage tokens, including to a route that does not exist
    good = token(ACCOUNT)
    expired = token(ACCOUNT, expired=True)
    garbage = "garbage.token-value.d41d8cd98f00b204e9800998ecf8427e"
    signup = token(*SIGNUP)
    responses = [
        api.call("POST", "/v1/accounts", {"account_id": ACCOUNT, "birth_date": BIRTH_DATE, "country": "GB"},
                 {"Authorization": f"Bearer {signup}"}),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings", headers={"Authorization": f"Bearer {good}"}),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings", headers={"Authorization": f"Bearer {expired}"}),
        api.call("GET", f"/v1/accounts/{ACCOUNT}/settings", headers={"Authorization": f"Bearer {garbage}"}),
        api.call("PATCH", f"/v1/accounts/{ACCOUNT}/settings", raw=b"{", headers={"Authorization": f"Bearer {good}"}),
    ]  # fmt: skip
    assert [response.status_code for response in responses] == [201, 200, 401, 401, 400]
    # When the logs and the responses are read
    logged = captured_logs()
    answered = "\n".join(response_text(response) for response in responses)
    # Then no token, nor its signature part, appears in either
    for value in (good, expired, garbage, signup):
        signature = value.rsplit(".", 1)[-1]
        assert signature not in logged
        assert signature not in answered
