"""Two changes from the same version never lose one of them: the write is conditional on the version read.

With If-Match the loser gets 412 at once; without it the service re-reads, re-checks and retries. Races are made
real by letting another change land between a request's read and its write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import PreconditionFailed
from chalicelib.identity import Caller
from chalicelib.services.change_settings import MAX_ATTEMPTS, change_settings
from chalicelib.services.ports import VersionConflict
from tests.api.helpers import (
    BORN_16_17,
    OWNER,
    all_events,
    assert_history_matches_state,
    assert_problem,
    get_settings,
    patch_settings,
    sign_up,
    values_of,
)
from tests.conftest import Api, body, with_settings_store

HOLDER = Caller(sub=OWNER, groups=frozenset())


class StoreWithRivals:
    """The real store, except that before the first `rivals` writes another change lands first."""

    def __init__(self, real: Any, rival_change: Callable[[], None], rivals: int = 1) -> None:
        self.real = real
        self.rival_change = rival_change
        self.rivals_left = rivals
        self.attempts = 0
        self.conflicts = 0
        self._in_rival = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def apply_change(self, account: Any, read_version: int, event: Any) -> None:
        if self._in_rival:
            return self.real.apply_change(account, read_version, event)
        self.attempts += 1
        if self.rivals_left > 0:
            self.rivals_left -= 1
            self._in_rival = True
            try:
                self.rival_change()
            finally:
                self._in_rival = False
        try:
            return self.real.apply_change(account, read_version, event)
        except VersionConflict:
            self.conflicts += 1
            raise


def rival(api: Api, settings: dict[str, Any]) -> Callable[[], None]:
    """Another request by the holder, made through the same service."""
    return lambda: change_settings(api.deps.accounts, OWNER, settings, HOLDER, None, "rival-request")


def test_two_changes_from_version_1_with_if_match_one_wins_and_the_other_is_412(api: Api) -> None:
    # Given a 17-year-old's account at version 1, read by two devices
    sign_up(api, birth_date=BORN_16_17)
    # When both send a change with If-Match "1"
    first = patch_settings(api, {"comments": "everyone"}, if_match='"1"')
    second = patch_settings(api, {"comments": "no_one"}, if_match='"1"')
    # Then the first succeeds and the second, now stale, gets 412
    assert first.status_code == 200
    assert_problem(second, 412, "precondition_failed")
    # And the state is the winner's, and the history matches it
    assert values_of(body(get_settings(api)))["comments"] == "everyone"
    assert len(assert_history_matches_state(api)) == 2


def test_two_racing_changes_from_the_same_read_cannot_both_be_written(api: Api) -> None:
    # Given a 17-year-old's account at version 1
    sign_up(api, birth_date=BORN_16_17)
    real = api.deps.accounts.store
    both_have_read = threading.Barrier(2, timeout=10)
    one_writer = threading.Lock()

    class StoreThatWaitsForBothReads:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def apply_change(self, account: Any, read_version: int, event: Any) -> None:
            both_have_read.wait()  # both requests have read version 1 and passed the If-Match check
            with one_writer:
                real.apply_change(account, read_version, event)

    api.rewire(with_settings_store(api.deps, StoreThatWaitsForBothReads()))
    outcomes: dict[str, str] = {}

    def change(name: str, settings: dict[str, Any]) -> None:
        try:
            change_settings(api.deps.accounts, OWNER, settings, HOLDER, 1, f"request-{name}")
            outcomes[name] = "applied"
        except PreconditionFailed:
            outcomes[name] = "precondition_failed"

    # When two changes with If-Match "1" run at the same time
    threads = [
        threading.Thread(target=change, args=("a", {"comments": "everyone"})),
        threading.Thread(target=change, args=("b", {"downloads": True})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    api.rewire(with_settings_store(api.deps, real))
    # Then exactly one is applied and the other is refused as stale
    assert sorted(outcomes.values()) == ["applied", "precondition_failed"]
    # And the history holds exactly the winner's change, matching the state
    events = assert_history_matches_state(api)
    assert len(events) == 2
    assert events[0]["request_id"] == f"request-{next(k for k, v in outcomes.items() if v == 'applied')}"


def test_a_change_without_if_match_that_loses_a_race_is_re_read_re_checked_and_retried(api: Api) -> None:
    # Given a 17-year-old's account (comments: friends), and another change to comments landing first
    sign_up(api, birth_date=BORN_16_17)
    store = StoreWithRivals(api.deps.accounts.store, rival(api, {"comments": "everyone"}))
    api.rewire(with_settings_store(api.deps, store))
    # When the holder closes comments without If-Match
    response = patch_settings(api, {"comments": "no_one"})
    # Then the first write lost on the version, and the retry succeeded
    assert (store.conflicts, store.attempts) == (1, 2)
    assert response.status_code == 200
    assert body(response)["version"] == 3
    # And both changes are in the history, ours recorded from the value the rival left (re-read, not stale)
    events = assert_history_matches_state(api)
    assert events[1]["request_id"] == "rival-request"
    assert events[0]["changes"] == [{"setting": "comments", "from": "everyone", "to": "no_one"}]


def test_a_retried_change_that_the_rival_already_made_writes_nothing_more(api: Api) -> None:
    # Given a 17-year-old's account, and a rival change that sets the very value we ask for
    sign_up(api, birth_date=BORN_16_17)
    store = StoreWithRivals(api.deps.accounts.store, rival(api, {"downloads": True}))
    api.rewire(with_settings_store(api.deps, store))
    # When the holder asks for the same value without If-Match
    response = patch_settings(api, {"downloads": True})
    # Then the re-check finds nothing left to change: 200 at the rival's version, with no second event
    assert response.status_code == 200
    assert body(response)["version"] == 2
    assert assert_history_matches_state(api)[0]["request_id"] == "rival-request"


def test_a_change_with_if_match_that_loses_a_race_is_412_without_retrying(api: Api) -> None:
    # Given a 17-year-old's account, and a rival change landing between our read and our write
    sign_up(api, birth_date=BORN_16_17)
    store = StoreWithRivals(api.deps.accounts.store, rival(api, {"comments": "everyone"}))
    api.rewire(with_settings_store(api.deps, store))
    # When the holder sends a change with If-Match "1"
    response = patch_settings(api, {"downloads": True}, if_match='"1"')
    # Then it is 412 after a single attempt, and only the rival's change is stored
    assert_problem(response, 412, "precondition_failed")
    assert store.attempts == 1
    assert values_of(body(get_settings(api)))["downloads"] is False
    assert len(assert_history_matches_state(api)) == 2


def test_a_change_without_if_match_that_loses_every_race_is_409_conflict_after_3_attempts_and_loses_nothing(
    api: Api,
) -> None:
    # Given a 17-year-old's account where another change lands between each of our reads and its write
    sign_up(api, birth_date=BORN_16_17)
    flips = iter([{"comments": value} for value in ["everyone", "no_one"] * 10])
    store = StoreWithRivals(
        api.deps.accounts.store,
        lambda: change_settings(api.deps.accounts, OWNER, next(flips), HOLDER, None, "rival"),
        rivals=20,
    )
    api.rewire(with_settings_store(api.deps, store))
    # When the holder sends a change without If-Match
    response = patch_settings(api, {"downloads": True})
    # Then each of its 3 attempts lost on the version, and it gave up with 409 conflict: without If-Match a stale
    # read is the service's to retry, never a 412, which only answers the client's own If-Match
    assert (store.attempts, store.conflicts) == (MAX_ATTEMPTS, MAX_ATTEMPTS) == (3, 3)
    assert_problem(response, 409, "conflict")
    # And every rival change is kept, ours is not half-written, and the history matches the state
    events = assert_history_matches_state(api)
    assert [event["request_id"] for event in events[:-1]] == ["rival"] * MAX_ATTEMPTS
    assert values_of(body(get_settings(api)))["downloads"] is False
    assert len(all_events(api)) == MAX_ATTEMPTS + 1
