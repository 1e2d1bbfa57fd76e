"""GET /v1/accounts/{id}/settings/history: the audit trail, newest first, paged with an opaque cursor."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from chalicelib.policy import newest_version
from tests.api.helpers import (
    BORN_16_17,
    OWNER,
    all_events,
    assert_problem,
    history_page,
    patch_settings,
    problem_items,
    sign_up,
)
from tests.conftest import AUDITOR, Api, body

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
EVENT_FIELDS = {
    "event_id", "account_id", "version", "at", "actor", "kind", "changes", "age_band", "policy_version", "request_id",
    "age",  # null but on age_changed events and the sign-up's (how the age is known)
    "move",  # null but on jurisdiction_changed events and the sign-up's (an arrival from nowhere)
    "from_policy_version",  # null but on policy_migrated events
    "deactivation",  # null but when an event gave notice, deactivated or lifted
    "guardian",  # null but on guardian_linked and guardian_unlinked events
}  # fmt: skip

# Four changes a 17-year-old may make, one after another: with sign-up, five events.
FOUR_CHANGES: list[dict[str, Any]] = [
    {"comments": "everyone"},
    {"downloads": True},
    {"direct_messages": "friends"},
    {"comments": "no_one"},
]


def account_with_five_events(api: Api) -> None:
    sign_up(api, birth_date=BORN_16_17)
    for change in FOUR_CHANGES:
        assert patch_settings(api, change).status_code == 200


def test_history_is_newest_first(api: Api) -> None:
    # Given an account with a sign-up and four changes
    account_with_five_events(api)
    # When an auditor reads the history
    events = body(history_page(api))["events"]
    # Then the events come newest first: the last change, ..., the defaults
    assert [event["kind"] for event in events] == ["settings_changed"] * 4 + ["defaults_applied"]
    assert [event["changes"] for event in events[:4]] == [
        [{"setting": "comments", "from": "everyone", "to": "no_one"}],
        [{"setting": "direct_messages", "from": "no_one", "to": "friends"}],
        [{"setting": "downloads", "from": False, "to": True}],
        [{"setting": "comments", "from": "friends", "to": "everyone"}],
    ]


def test_each_event_has_the_documented_fields(api: Api, clock: list[Any]) -> None:
    # Given an account signed up, then changed by its holder an hour later
    sign_up(api, birth_date=BORN_16_17)
    clock[0] = clock[0].replace(hour=13)
    patch_settings(api, {"comments": "everyone"})
    # When the history is read
    changed, signed_up = body(history_page(api))["events"]
    # Then each event carries exactly the documented fields
    assert set(changed) == EVENT_FIELDS
    assert set(signed_up) == EVENT_FIELDS
    assert (changed["age"], changed["move"]) == (None, None)
    # And the sign-up's says how the age is known and where the account starts (never a date), so a history replays
    assert signed_up["age"] == {
        "assurance": "self_declared",
        "source": "self",
        "restricted": False,
        "band_end_known": True,
    }
    assert signed_up["move"] == {
        "before": {"country": None, "subdivision": None},
        "after": {"country": "GB", "subdivision": None},
    }
    assert (signed_up["version"], changed["version"]) == (1, 2)
    # And the sign-up's actor is the sign-up service, the change's is the holder as `self`
    assert signed_up["actor"] == {"id": "signup-service", "role": "signup-service"}
    assert changed["actor"] == {"id": OWNER, "role": "self"}
    # And times are RFC 3339 UTC with a Z, from the service's clock
    assert RFC3339_UTC.match(signed_up["at"]) and signed_up["at"].startswith("2026-11-25T12:00:00")
    assert RFC3339_UTC.match(changed["at"]) and changed["at"].startswith("2026-11-25T13:00:00")
    # And the defaults were applied from null, each event names the account, band, policy version and request
    assert all(change["from"] is None for change in signed_up["changes"])
    for event in (changed, signed_up):
        assert event["account_id"] == OWNER
        assert (event["age_band"], event["policy_version"]) == ("16-17", newest_version())
        assert event["request_id"]
    assert changed["event_id"] != signed_up["event_id"]


def test_the_account_holder_reads_their_own_history(api: Api) -> None:
    # Given an account / When its holder reads the history / Then it is 200 with the events
    sign_up(api)
    response = history_page(api, as_=(OWNER,))
    assert response.status_code == 200
    assert len(body(response)["events"]) == 1


def test_a_single_page_has_no_next_cursor(api: Api) -> None:
    # Given an account with five events / When read with the default limit / Then all come at once, next is null
    account_with_five_events(api)
    page = body(history_page(api))
    assert len(page["events"]) == 5
    assert page["next"] is None


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 100])
def test_paging_with_next_yields_every_event_exactly_once(api: Api, limit: int) -> None:
    # Given an account with five events
    account_with_five_events(api)
    expected = [event["event_id"] for event in body(history_page(api))["events"]]
    # When the history is read `limit` at a time, following `next`
    pages: list[list[str]] = []
    query = f"?limit={limit}"
    while True:
        page = body(history_page(api, query=query))
        pages.append([event["event_id"] for event in page["events"]])
        if page["next"] is None:
            break
        query = f"?limit={limit}&next={page['next']}"
    # Then every event comes once, in order, no page is larger than the limit, and none is empty
    assert [event_id for page_ids in pages for event_id in page_ids] == expected
    assert all(0 < len(page_ids) <= limit for page_ids in pages)


def test_limit_2_over_five_events_gives_pages_of_2_2_and_1(api: Api) -> None:
    # Given an account with five events / When read two at a time
    account_with_five_events(api)
    first = body(history_page(api, query="?limit=2"))
    second = body(history_page(api, query=f"?limit=2&next={first['next']}"))
    third = body(history_page(api, query=f"?limit=2&next={second['next']}"))
    # Then the pages hold 2, 2 and 1 events, and only the last has no next
    assert [len(page["events"]) for page in (first, second, third)] == [2, 2, 1]
    assert first["next"] and second["next"] and third["next"] is None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "1e2", "%205", "%C2%B2"])
def test_a_limit_outside_1_to_100_is_422(api: Api, limit: str) -> None:
    # Given an account / When the history is read with a limit that is not a whole number from 1 to 100
    sign_up(api)
    problem = assert_problem(history_page(api, query=f"?limit={limit}"), 422, "validation_failed")
    # Then the problem names limit
    assert problem_items(problem) == {"limit": "invalid_value"}


@pytest.mark.parametrize("limit", ["1", "100"])
def test_a_limit_of_1_or_100_is_accepted(api: Api, limit: str) -> None:
    # Given an account / When read with a limit at either end of the range / Then it is 200
    sign_up(api)
    assert history_page(api, query=f"?limit={limit}").status_code == 200


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _tampered(cursor: str) -> str:
    return cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + "!"


@pytest.mark.parametrize(
    "make_cursor",
    [
        _tampered,
        lambda cursor: cursor[::-1],
        lambda cursor: "not-a-cursor",
        lambda cursor: _cursor({"before": "2"}),
        lambda cursor: _cursor({"before": -1}),
        lambda cursor: _cursor({"before": True}),
        lambda cursor: _cursor([2]),
        lambda cursor: _cursor({"after": 2}),
    ],
    ids=["tampered", "reversed", "garbage", "string version", "negative", "boolean", "list", "other key"],
)
def test_a_tampered_cursor_is_400_invalid_cursor(api: Api, make_cursor: Any) -> None:
    # Given a real cursor from a first page
    account_with_five_events(api)
    cursor = body(history_page(api, query="?limit=2"))["next"]
    # When it is altered and sent back
    # Then it is 400 invalid_cursor
    assert_problem(history_page(api, query=f"?limit=2&next={make_cursor(cursor)}"), 400, "invalid_cursor")


def test_the_history_of_a_missing_account_is_404(api: Api) -> None:
    # Given no account u-404 / When an auditor reads its history / Then 404 not_found
    assert_problem(history_page(api, "u-404"), 404, "not_found")


def test_history_of_a_malformed_account_id_is_404(api: Api) -> None:
    # Given an id no account can have / When an auditor reads its history / Then 404 not_found
    assert_problem(history_page(api, "a" * 65), 404, "not_found")


def test_refused_and_no_op_changes_write_no_events(api: Api) -> None:
    # Given a 17-year-old's account
    sign_up(api, birth_date=BORN_16_17)
    # When they send a locked change, an invalid one and a no-op
    patch_settings(api, {"gifts": True})
    patch_settings(api, {"gifts": "yes"})
    patch_settings(api, {"gifts": False})
    # Then only the sign-up is in the history
    assert [event["kind"] for event in all_events(api)] == ["defaults_applied"]


def test_an_auditor_reading_history_writes_nothing(api: Api) -> None:
    # Given an account / When an auditor reads its settings and history / Then the history is unchanged
    sign_up(api)
    history_page(api, as_=AUDITOR)
    assert len(all_events(api)) == 1
