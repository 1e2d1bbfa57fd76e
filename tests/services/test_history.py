"""Reading an account's history on the fakes: newest first in pages, a missing account told apart from a page past
the end, and cursors that are not this list's refused."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.errors import InvalidCursorError, NotFound
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.change_settings import change_settings
from chalicelib.services.history import read_history
from chalicelib.services.signup import SignUp, sign_up
from chalicelib.store.cursors import CursorSealer
from tests.fakes import FAKE_CURSOR_KEY
from tests.services.conftest import SIGNUP, user


def account_with_five_versions(accounts: AccountsDeps, account_id: str = "adult-1") -> None:
    sign_up(accounts, SignUp(account_id, date(1990, 5, 10), "GB"), SIGNUP, "signup")
    for n, value in enumerate(["no_one", "friends", "everyone", "no_one"]):
        change_settings(accounts, account_id, {"comments": value}, user(account_id), None, f"change-{n}")


def test_pages_of_two_give_the_five_events_newest_first_and_end(accounts: AccountsDeps) -> None:
    account_with_five_versions(accounts)
    pages = []
    cursor = None
    while True:
        page = read_history(accounts, "adult-1", 2, cursor)
        pages.append([event.version for event in page.events])
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == [[5, 4], [3, 2], [1]]


def test_the_history_of_an_account_that_does_not_exist_is_not_found(accounts: AccountsDeps) -> None:
    with pytest.raises(NotFound):
        read_history(accounts, "ghost", 10, None)


def test_a_page_past_the_end_is_empty_not_a_missing_account(accounts: AccountsDeps) -> None:
    # Given an account, and a cursor (sealed by the store) that starts before its first event
    account_with_five_versions(accounts)
    cursor = CursorSealer(FAKE_CURSOR_KEY).seal("history:adult-1", {"before": 1})
    # When that page is read / Then it is an empty last page
    page = read_history(accounts, "adult-1", 10, cursor)
    assert (page.events, page.next_cursor) == ((), None)


def test_a_cursor_from_another_accounts_history_is_an_invalid_cursor(accounts: AccountsDeps) -> None:
    account_with_five_versions(accounts, "adult-1")
    account_with_five_versions(accounts, "adult-2")
    cursor = read_history(accounts, "adult-1", 2, None).next_cursor
    with pytest.raises(InvalidCursorError):
        read_history(accounts, "adult-2", 2, cursor)
