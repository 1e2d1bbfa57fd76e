"""An account's audit history, newest first, one query per page."""

from __future__ import annotations

from chalicelib import bootstrap
from chalicelib.domain.errors import NotFound, Problem, ValidationFailed
from chalicelib.domain.models import EventPage
from chalicelib.store.cursors import InvalidCursor
from chalicelib.store.settings_store import decode_cursor


def read_history(account_id: str, limit: int, cursor: str | None) -> EventPage:
    """A page of events; the page's `next_before_version` is sealed into a cursor by `encode_cursor`."""
    before_version = None
    if cursor is not None:
        try:
            before_version = decode_cursor(account_id, cursor)
        except InvalidCursor:
            raise ValidationFailed(
                "next is not a cursor this service gave out",
                (Problem(field="next", code="invalid_value", message="use the `next` value of a previous page"),),
            ) from None
    page = bootstrap.settings_store().list_events(account_id, limit, before_version)
    # Every account has at least its defaults_applied event, so an empty first page means no such account: this
    # keeps a history read to a single query.
    if not page.events and cursor is None:
        raise NotFound("no such account")
    return page
