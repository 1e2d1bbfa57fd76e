"""Paging cursors are sealed and bound to their list: a cursor only pages the list it came from."""

from __future__ import annotations

from tests.api.helpers import assert_problem
from tests.conftest import AUDITOR, Api, auth, body


def history(api: Api, account_id: str, query: str) -> object:
    return api.call("GET", f"/v1/accounts/{account_id}/settings/history{query}", headers=auth(*AUDITOR))


def test_a_history_cursor_does_not_page_another_accounts_history(api: Api) -> None:
    # Given an account with three events and a cursor for its second page
    api.sign_up("u-cursor-a", "2012-05-01")
    for value in ("no_one", "friends"):
        api.call("PATCH", "/v1/accounts/u-cursor-a/settings", {"settings": {"comments": value}}, auth("u-cursor-a"))
    cursor = body(history(api, "u-cursor-a", "?limit=1"))["next"]
    assert cursor
    # When an auditor hands that cursor to another account's history, or to a missing account's
    api.sign_up("u-cursor-b", "2012-05-01")
    other = history(api, "u-cursor-b", f"?next={cursor}")
    ghost = history(api, "ghost", f"?next={cursor}")
    # Then both are refused as cursors this service did not give out for that list
    assert_problem(other, 400, "invalid_cursor")
    assert_problem(ghost, 400, "invalid_cursor")


def test_a_queue_cursor_is_not_a_report_list_cursor(api: Api) -> None:
    # Given two open targets and a moderator's queue cursor
    for n in range(2):
        payload = {"target": {"type": "comment", "id": f"c-cur-{n}"}, "reason": "spam", "good_faith": True}
        api.call("POST", "/v1/reports", payload, {**auth("u-cur"), "Idempotency-Key": f"k-{n}"})
    api.drain()
    cursor = body(api.call("GET", "/v1/moderation/queue?limit=1", headers=auth("m", "moderator")))["next"]
    assert cursor
    # When it is handed to the reporter's own list
    response = api.call("GET", f"/v1/reports?next={cursor}", headers=auth("u-cur"))
    # Then it is refused
    assert_problem(response, 400, "invalid_cursor")
