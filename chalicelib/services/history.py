"""An account's audit history, newest first, one query per page."""

from __future__ import annotations

from chalicelib.domain.errors import InvalidCursorError, NotFound
from chalicelib.domain.models import EventPage
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.ports import InvalidCursor


def read_history(deps: AccountsDeps, account_id: str, limit: int, cursor: str | None) -> EventPage:
    try:
        page = deps.store.list_events(account_id, limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None
    # Every account has at least its defaults_applied event, so an empty first page means no such account: this
    # keeps a history read to a single query.
    if not page.events and cursor is None:
        raise NotFound("no such account")
    return page
