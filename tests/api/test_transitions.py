"""The birthday job on DynamoDB (moto): boundaries to the day, re-runs, half-finished runs, the index (never a
scan), and values that never change. Accounts are signed up through the API on 2026-11-25; the job runs for any day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.services import transitions
from chalicelib.services.transitions import TransitionRun, TransitionsDeps, run_transitions
from chalicelib.workers.transitions import compose_transitions
from tests.api.helpers import all_events, get_settings
from tests.conftest import Api, auth, body

ENV = {"AWS_REGION": "eu-west-1"}


@pytest.fixture
def job(api: Api) -> TransitionsDeps:
    return compose_transitions(ENV, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC))


def run_on(job: TransitionsDeps, day: str, **options: Any) -> TransitionRun:
    at = datetime.fromisoformat(day).replace(hour=0, minute=5, tzinfo=UTC)
    return run_transitions(
        TransitionsDeps(job.store, job.policy, job.band_ends, lambda: at), date.fromisoformat(day), **options
    )


def signed_up(api: Api, account_id: str, born: str) -> None:
    response = api.sign_up(account_id, born)
    assert response.status_code == 201, response.body


def band_of(api: Api, account_id: str) -> str:
    response = get_settings(api, account_id)
    assert response.status_code == 200, response.body
    return str(body(response)["age"]["band"])


def calls(job: TransitionsDeps) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    made: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        made.append((model.name, params))

    job.store.client.meta.events.register("provide-client-params.dynamodb.*", record)
    yield made
    job.store.client.meta.events.unregister("provide-client-params.dynamodb.*", record)


@pytest.fixture
def dynamodb_calls(job: TransitionsDeps) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    yield from calls(job)


@pytest.mark.parametrize(
    ("born", "day", "band"),
    [
        ("2011-07-19", "2027-07-18", "13-15"),  # the day before the 16th birthday
        ("2011-07-19", "2027-07-19", "16-17"),  # the day of it
        ("2011-07-19", "2027-07-20", "16-17"),  # the day after (a run missed on the day catches up)
        ("2009-07-19", "2027-07-18", "16-17"),  # the day before the 18th birthday
        ("2009-07-19", "2027-07-19", "18+"),  # the day of it
        ("2009-07-19", "2027-07-20", "18+"),
        ("2011-07-19", "2027-08-02", "16-17"),  # runs missed into the next month: caught up from the month before
        ("2012-02-29", "2028-02-28", "13-15"),  # 29 February: the 16th birthday falls on one (2028 is a leap year)
        ("2012-02-29", "2028-02-29", "16-17"),
        ("2012-02-29", "2030-02-28", "16-17"),  # the 18th does not: 2030 has no 29 February, it counts from 1 March
        ("2012-02-29", "2030-03-01", "18+"),
    ],
)
def test_a_birthday_moves_the_account_on_the_day_and_not_before(
    api: Api, job: TransitionsDeps, born: str, day: str, band: str
) -> None:
    # Given an account signed up on 2026-11-25 with this birth date
    signed_up(api, "kid", born)
    # When the job runs for `day` (the first run since: a day after the birthday catches up), the 16th birthday
    # having been run first where `day` is in the 16-17 years
    if day.startswith("2030"):
        run_on(job, "2028-02-29")
    run_on(job, day)
    # Then the account is in the band the birth date gives on that day
    assert band_of(api, "kid") == band


def test_a_move_changes_no_value_and_writes_one_band_changed_event_by_the_system(
    api: Api, job: TransitionsDeps
) -> None:
    # Given a 15-year-old who made comments stricter than the default
    signed_up(api, "kid", "2011-07-19")
    owner = auth("kid")
    changed = api.call("PATCH", "/v1/accounts/kid/settings", {"settings": {"comments": "no_one"}}, owner)
    assert changed.status_code == 200, changed.body
    before = body(get_settings(api, "kid"))
    # When they turn 16 and the job runs
    result = run_on(job, "2027-07-19")
    # Then they moved, every value is what it was, and options the 16-17 band allows are now allowed
    after = body(get_settings(api, "kid"))
    assert (result.counts.due, result.counts.moved, result.complete) == (1, 1, True)
    assert after["age"]["band"] == "16-17"
    assert {name: view["value"] for name, view in after["settings"].items()} == {
        name: view["value"] for name, view in before["settings"].items()
    }
    unlocked = [
        (name, option["value"])
        for name, view in after["settings"].items()
        for option, was in zip(view["options"], before["settings"][name]["options"], strict=True)
        if option["status"] == "allowed" and was["status"] != "allowed"
    ]
    assert unlocked
    # And one event records the move: kind band_changed, actor system, no value changed
    newest = all_events(api, "kid")[0]
    assert (newest["kind"], newest["actor"]["role"], newest["age_band"], newest["changes"]) == (
        "band_changed",
        "system",
        "16-17",
        [],
    )
    # And its request id does not name the day (a birthday; review: it did)
    assert "2027" not in newest["request_id"]
    # And neither does its time: the month's first instant, never the birthday (review of the export: the event's
    # `at`, and an exported `updated_at`, gave the birth date away)
    assert newest["at"] == "2027-07-01T00:00:00Z"


def test_an_adult_keeps_nothing_sealed_after_the_18th_birthday(api: Api, job: TransitionsDeps) -> None:
    # Given a 17-year-old
    signed_up(api, "teen", "2009-07-19")
    # When they turn 18 and the job runs
    run_on(job, "2027-07-19")
    # Then the record keeps no band end at all, sealed or not (it leaves the index)
    account = job.store.get_account("teen")
    assert account is not None
    assert (account.age_band, account.band_end_month, account.band_end_sealed) == ("18+", "", "")


def test_re_running_the_same_day_changes_nothing_and_reads_one_item(
    api: Api, job: TransitionsDeps, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given three children turning 16 on the same day, moved by the day's run
    for number in range(3):
        signed_up(api, f"kid-{number}", "2011-07-19")
    first = run_on(job, "2027-07-19")
    events = [len(all_events(api, f"kid-{number}")) for number in range(3)]
    dynamodb_calls.clear()
    # When the job runs again that day
    again = run_on(job, "2027-07-19")
    # Then it reads its saved progress and stops: no write, no event, the same counts
    assert [name for name, _ in dynamodb_calls] == ["GetItem"]
    assert [len(all_events(api, f"kid-{number}")) for number in range(3)] == events
    assert (first.counts.moved, again.counts.moved, again.complete) == (3, 3, True)


def test_the_job_reads_the_band_end_index_and_never_scans(
    api: Api, job: TransitionsDeps, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given children turning 16 and 18 and an adult
    signed_up(api, "kid", "2011-07-19")
    signed_up(api, "teen", "2009-07-19")
    signed_up(api, "adult", "1990-01-01")
    # When the job runs
    run_on(job, "2027-07-19")
    # Then every read of accounts to find is a Query of the band_ends index, one per month and partition read
    # (13 months of 16), then one of each partition of the sparse notices index (deactivations due), and nothing scans
    names = [name for name, _ in dynamodb_calls]
    assert "Scan" not in names
    queries = [params for name, params in dynamodb_calls if name == "Query"]
    assert [params["IndexName"] for params in queries] == ["band_ends"] * 13 * 16 + ["notices"] * 16
    # And the moves are a consistent batch read per page with someone due and one transaction per account, and
    # progress is saved only after pages that moved someone, and at the end
    assert names.count("TransactWriteItems") == 2
    assert names.count("BatchGetItem") <= 2
    assert names.count("PutItem") <= 3


def test_a_run_stopped_part_way_is_finished_by_the_next(
    api: Api, job: TransitionsDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given five children turning 16 on the same day, and pages of two
    monkeypatch.setattr(transitions, "PAGE_SIZE", 2)
    for number in range(5):
        signed_up(api, f"kid-{number}", "2011-07-19")
    # When a run stops (out of time) after its first page that moved someone
    seen: list[TransitionRun] = []
    stopped = run_on(job, "2027-07-19", should_stop=lambda: any(run.counts.moved for run in seen), progress=seen.append)
    # Then it moved some, not all, and says it is not complete
    assert not stopped.complete and 0 < stopped.counts.moved < 5
    # When the next run starts
    finished = run_on(job, "2027-07-19")
    # Then it resumed, finished, and every child moved exactly once
    assert finished.resumed and finished.complete
    assert finished.counts.moved == 5
    for number in range(5):
        kinds = [event["kind"] for event in all_events(api, f"kid-{number}")]
        assert kinds.count("band_changed") == 1, kinds


def test_a_run_that_died_before_saving_its_place_is_finished_without_moving_anyone_twice(
    api: Api, job: TransitionsDeps
) -> None:
    # Given three children turning 16, and a run that dies after moving them, before its progress is saved
    for number in range(3):
        signed_up(api, f"kid-{number}", "2011-07-19")
    saves: list[Any] = []

    def die(name: str, state: dict[str, Any]) -> None:
        saves.append(state)
        raise RuntimeError("the Lambda died")

    original = job.store.save_job_state
    job.store.save_job_state = die  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        run_on(job, "2027-07-19")
    job.store.save_job_state = original  # type: ignore[method-assign]
    # When the next run comes
    finished = run_on(job, "2027-07-19")
    # Then it finishes, and no one has a second band_changed event (the index may still list them: found moved)
    assert finished.complete and finished.counts.failed == 0
    for number in range(3):
        kinds = [event["kind"] for event in all_events(api, f"kid-{number}")]
        assert kinds.count("band_changed") == 1, kinds


def test_a_dry_run_counts_and_writes_nothing(
    api: Api, job: TransitionsDeps, dynamodb_calls: list[tuple[str, dict[str, Any]]]
) -> None:
    # Given two children turning 16
    signed_up(api, "kid-1", "2011-07-19")
    signed_up(api, "kid-2", "2011-07-19")
    dynamodb_calls.clear()
    # When a dry run runs for their birthday
    result = run_on(job, "2027-07-19", dry_run=True)
    # Then it counts both as due and would move both, but writes nothing
    assert (result.counts.due, result.counts.moved, result.complete) == (2, 2, True)
    assert {name for name, _ in dynamodb_calls} <= {"Query", "BatchGetItem"}
    assert band_of(api, "kid-1") == "13-15"


def test_a_sealed_value_that_does_not_open_is_a_failure_not_a_move(api: Api, job: TransitionsDeps) -> None:
    from dataclasses import replace

    # Given a child whose sealed band end was replaced by another child's (copied between records)
    signed_up(api, "kid-1", "2011-07-19")
    signed_up(api, "kid-2", "2011-07-19")
    one, two = job.store.get_account("kid-1"), job.store.get_account("kid-2")
    assert one is not None and two is not None
    from chalicelib.domain.models import Actor, AuditEvent, EventKind

    forged = replace(two, version=2, band_end_sealed=one.band_end_sealed)
    event = AuditEvent("e", "kid-2", 2, datetime(2027, 1, 1, tzinfo=UTC), Actor("x", "x"), EventKind.SETTINGS_CHANGED,
                       (), "13-15", "v", "r")  # fmt: skip
    job.store.apply_change(forged, 1, event)
    # When the job runs on their birthday
    result = run_on(job, "2027-07-19")
    # Then the honest one moves; the forged one is counted failed (by id), and stays in its band
    assert (result.counts.moved, result.counts.failed, result.failed_accounts) == (1, 1, ["kid-2"])
    assert band_of(api, "kid-2") == "13-15"
