"""The `SettingsStore` port's contract, run on the fake and on the DynamoDB adapter: conditional, atomic writes of a
record and its event, and a history newest first in pages with cursors bound to their account."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.models import Account, Actor, AgeAssurance, AuditEvent, Change, EventKind
from chalicelib.services.ports import AlreadyExists, InvalidCursor, SettingsStore, VersionConflict
from chalicelib.store.cursors import CursorSealer
from tests.contract.cursors import HISTORY_FORGERIES, sealed, tampered

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def account(account_id: str = "a-1", version: int = 1, band: str = "13-15", **settings: Any) -> Account:
    return Account(
        account_id=account_id,
        age_band=band,
        age_assurance=AgeAssurance.SELF_DECLARED,
        policy_version="2026-01-01",
        version=version,
        settings={"comments": "friends", "downloads": False, **settings},
        created_at=NOW,
        band_end_month="2028-05",
        band_end_sealed="sealed-opaque-text",
    )


def event(account_id: str = "a-1", version: int = 1, **changes: Any) -> AuditEvent:
    return AuditEvent(
        event_id=f"e-{account_id}-{version}",
        account_id=account_id,
        version=version,
        at=NOW + timedelta(minutes=version),
        actor=Actor(id=account_id, role="self"),
        kind=EventKind.DEFAULTS_APPLIED if version == 1 else EventKind.SETTINGS_CHANGED,
        changes=tuple(Change(setting, None, value) for setting, value in changes.items()),
        age_band="13-15",
        policy_version="2026-01-01",
        request_id=f"req-{version}",
    )


def stored(record: Account) -> Account:
    """The record as the store keeps it: `updated_at` is the time of the event written with it."""
    return replace(record, updated_at=NOW + timedelta(minutes=record.version))


def with_versions(store: SettingsStore, count: int, account_id: str = "a-1") -> Account:
    """An account changed until it is at version `count`, one event per version."""
    current = account(account_id)
    store.create_account(current, event(account_id, 1, comments="friends"))
    for version in range(2, count + 1):
        changed = replace(current, version=version, settings={**current.settings, "comments": f"v{version}"})
        store.apply_change(changed, current.version, event(account_id, version, comments=f"v{version}"))
        current = changed
    return current


def every_event(store: SettingsStore, account_id: str, limit: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    cursor = None
    for _ in range(100):
        page = store.list_events(account_id, limit, cursor)
        assert len(page.events) <= limit
        events += page.events
        if page.next_cursor is None:
            return events
        cursor = page.next_cursor
    raise AssertionError("the history never ended")


# -- records -------------------------------------------------------------------------------------------------------
def test_a_created_account_reads_back_as_it_was_stored(settings_store: SettingsStore) -> None:
    # Given an account created with its first event
    created = account()
    settings_store.create_account(created, event())
    # When it is read / Then it is the same record
    assert settings_store.get_account("a-1") == stored(created)


def test_an_account_never_created_reads_as_none(settings_store: SettingsStore) -> None:
    assert settings_store.get_account("nobody") is None


def test_creating_an_account_stores_its_first_event(settings_store: SettingsStore) -> None:
    settings_store.create_account(account(), event(comments="friends"))
    page = settings_store.list_events("a-1", 10, None)
    assert page.events == (event(comments="friends"),)
    assert page.next_cursor is None


def test_creating_a_taken_id_is_already_exists_and_writes_nothing(settings_store: SettingsStore) -> None:
    # Given an account
    first = account(band="18+")
    settings_store.create_account(first, event())
    # When another account with the same id is created
    with pytest.raises(AlreadyExists):
        settings_store.create_account(account(band="13-15", comments="no_one"), replace(event(), event_id="other"))
    # Then the first record and its single event are untouched
    assert settings_store.get_account("a-1") == stored(first)
    assert [e.event_id for e in settings_store.list_events("a-1", 10, None).events] == [event().event_id]


def test_a_change_from_the_version_read_replaces_the_record_and_adds_its_event(settings_store: SettingsStore) -> None:
    # Given an account at version 1
    settings_store.create_account(account(), event())
    # When a change read at version 1 is applied
    changed = account(version=2, comments="no_one")
    settings_store.apply_change(changed, 1, event(version=2, comments="no_one"))
    # Then the record is the new one, and its event heads the history
    assert settings_store.get_account("a-1") == stored(changed)
    assert [e.version for e in settings_store.list_events("a-1", 10, None).events] == [2, 1]


def test_a_change_from_a_stale_version_is_a_version_conflict_and_writes_nothing(
    settings_store: SettingsStore,
) -> None:
    # Given an account that moved to version 2 after another writer read version 1
    settings_store.create_account(account(), event())
    winner = account(version=2, comments="everyone")
    settings_store.apply_change(winner, 1, event(version=2, comments="everyone"))
    # When the other writer applies its change from version 1
    with pytest.raises(VersionConflict):
        settings_store.apply_change(account(version=2, downloads=True), 1, replace(event(version=2), event_id="lost"))
    # Then neither its record nor its event was written
    assert settings_store.get_account("a-1") == stored(winner)
    assert [e.event_id for e in settings_store.list_events("a-1", 10, None).events] == ["e-a-1-2", "e-a-1-1"]


def test_a_change_is_conditional_on_the_version_read_not_only_on_its_event(settings_store: SettingsStore) -> None:
    # Given an account at version 2
    current = with_versions(settings_store, 2)
    # When a change claims to be read at version 1, with an event for a version not yet written
    with pytest.raises(VersionConflict):
        settings_store.apply_change(account(version=3, downloads=True), 1, event(version=3))
    # Then nothing is written
    assert settings_store.get_account("a-1") == stored(current)
    assert [e.version for e in settings_store.list_events("a-1", 10, None).events] == [2, 1]


def test_a_change_to_an_account_that_does_not_exist_is_a_version_conflict(settings_store: SettingsStore) -> None:
    with pytest.raises(VersionConflict):
        settings_store.apply_change(account(version=2), 1, event(version=2))
    assert settings_store.get_account("a-1") is None
    assert settings_store.list_events("a-1", 10, None).events == ()


def test_changing_a_value_read_or_passed_in_does_not_change_what_is_stored(settings_store: SettingsStore) -> None:
    # Given an account created from a record the caller still holds
    created = account()
    settings_store.create_account(created, event())
    # When the caller edits the settings it passed in and the settings it read back
    created.settings["comments"] = "everyone"
    read = settings_store.get_account("a-1")
    assert read is not None
    read.settings["downloads"] = True
    # Then the stored record is unchanged
    assert settings_store.get_account("a-1") == stored(account())


def test_age_bands_lists_each_account_that_exists(settings_store: SettingsStore) -> None:
    settings_store.create_account(account("child", band="13-15"), event("child"))
    settings_store.create_account(account("adult", band="18+"), event("adult"))
    assert settings_store.age_bands(["child", "adult", "ghost", "child"]) == {"child": "13-15", "adult": "18+"}
    assert settings_store.age_bands([]) == {}


# -- history -------------------------------------------------------------------------------------------------------
def test_events_come_newest_first(settings_store: SettingsStore) -> None:
    with_versions(settings_store, 4)
    assert [e.version for e in settings_store.list_events("a-1", 10, None).events] == [4, 3, 2, 1]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6])
def test_paging_with_the_cursor_yields_every_event_once_newest_first(settings_store: SettingsStore, limit: int) -> None:
    # Given an account at version 5
    with_versions(settings_store, 5)
    # When its history is read page by page / Then every event comes once, newest first, and the last page ends it
    assert [e.version for e in every_event(settings_store, "a-1", limit)] == [5, 4, 3, 2, 1]


def test_a_page_that_ends_with_the_first_event_has_no_cursor(settings_store: SettingsStore) -> None:
    with_versions(settings_store, 4)
    first = settings_store.list_events("a-1", 2, None)
    assert first.next_cursor is not None
    last = settings_store.list_events("a-1", 2, first.next_cursor)
    assert ([e.version for e in last.events], last.next_cursor) == ([2, 1], None)


def test_the_history_of_an_account_without_events_is_an_empty_page(settings_store: SettingsStore) -> None:
    page = settings_store.list_events("ghost", 10, None)
    assert (page.events, page.next_cursor) == ((), None)


def test_a_history_cursor_does_not_page_another_accounts_history(settings_store: SettingsStore) -> None:
    # Given two accounts, and a cursor into the first one's history
    with_versions(settings_store, 3, "a-1")
    with_versions(settings_store, 3, "a-2")
    cursor = settings_store.list_events("a-1", 1, None).next_cursor
    assert cursor is not None
    # When it is handed to the other account's history, or a missing account's / Then it is refused
    for other in ("a-2", "ghost"):
        with pytest.raises(InvalidCursor):
            settings_store.list_events(other, 1, cursor)


def test_an_edited_or_malformed_history_cursor_is_refused(settings_store: SettingsStore) -> None:
    with_versions(settings_store, 3)
    cursor = settings_store.list_events("a-1", 1, None).next_cursor
    assert cursor is not None
    for bad in tampered(cursor):
        with pytest.raises(InvalidCursor):
            settings_store.list_events("a-1", 1, bad)


@pytest.mark.parametrize("position", HISTORY_FORGERIES, ids=range(len(HISTORY_FORGERIES)))
def test_a_sealed_history_position_of_the_wrong_shape_is_refused(
    settings_store: SettingsStore, sealer: CursorSealer, position: Any
) -> None:
    with_versions(settings_store, 3)
    with pytest.raises(InvalidCursor):
        settings_store.list_events("a-1", 1, sealed(sealer, "history:a-1", position))
