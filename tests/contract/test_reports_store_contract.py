"""The `ReportsStore` port's contract, run on the fake and on the DynamoDB adapter.

A report is written from the submission state it was read with, atomically, or not at all; it joins its target's
open round. A decision closes the round and counts exactly that round's reports, which read as decided through it
from then on. The queue holds one item per open target, most urgent first, then oldest, then by target key.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.reports import (
    Decision,
    Priority,
    QueueFlag,
    QueueItem,
    Report,
    ReportStatus,
    StatementOfReasons,
    Target,
)
from chalicelib.services.ports import InvalidCursor, Mute, ReportsStore, SubmissionState, VersionConflict
from chalicelib.store.cursors import CursorSealer
from tests.contract.cursors import QUEUE_FORGERIES, REPORT_LIST_FORGERIES, sealed, tampered

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
UNFOUNDED_WINDOW = timedelta(days=30)
UNFOUNDED_CAP = 10
RATE_LIMIT = 20
COMMENT = Target("comment", "c-1")
_ids = itertools.count()


def state_of(
    store: ReportsStore, reporter: str, target: Target = COMMENT, reason: str = "spam", report_id: str = "unused"
) -> SubmissionState:
    return store.submission_state(report_id, reporter, target, reason, NOW - UNFOUNDED_WINDOW, UNFOUNDED_CAP)


def report_from(
    state: SubmissionState,
    reporter: str,
    target: Target = COMMENT,
    *,
    reason: str = "spam",
    at: datetime = NOW,
    priority: Priority = Priority.NORMAL,
    report_id: str | None = None,
    **fields: Any,
) -> Report:
    """A new report as the service builds it: joining the open round it read, else opening a new one."""
    report_id = report_id or f"report-{next(_ids)}"
    return Report(
        report_id=report_id,
        reporter_id=reporter,
        target=target,
        claimed_owner_id=fields.pop("claimed_owner_id", None),
        reason=reason,
        details=fields.pop("details", None),
        evidence_ids=fields.pop("evidence_ids", ()),
        received_at=at,
        priority=priority,
        flags=fields.pop("flags", frozenset()),
        round_id=state.open_round.round_id if state.open_round else f"round-{report_id}",
        **fields,
    )


def record(store: ReportsStore, report: Report, state: SubmissionState, at: datetime | None = None) -> None:
    now = at or report.received_at
    store.record_report(report, state, state.rate.with_report(now, RATE_LIMIT), now + timedelta(hours=24), now)


def submit(store: ReportsStore, reporter: str, target: Target = COMMENT, reason: str = "spam", **fields: Any) -> Report:
    """Reads the submission state and records a report from it, as the service does."""
    state = state_of(store, reporter, target, reason)
    report = report_from(state, reporter, target, reason=reason, **fields)
    record(store, report, state)
    return report


def decision_on(round_id: str, target: Target = COMMENT, outcome: str = "no_violation", at: datetime = NOW) -> Decision:
    return Decision(
        decision_id=f"decision-{next(_ids)}",
        target=target,
        round_id=round_id,
        outcome=outcome,
        action=None if outcome == "no_violation" else "remove_content",
        statement=StatementOfReasons(facts="f", ground="Rule 1", automated=False, redress="Appeal"),
        moderator_id="mod-1",
        decided_at=at,
    )


def decide(store: ReportsStore, target: Target = COMMENT, outcome: str = "no_violation") -> Decision:
    """Decides the target's open round; returns the decision with its count."""
    open_round = store.open_round(target)
    assert open_round is not None
    decision = decision_on(open_round.round_id, target, outcome)
    count = store.record_decision(decision, NOW + timedelta(days=400))
    return replace(decision, report_count=count)


def as_read(report: Report) -> Report:
    # `claim_names_an_account` only steers what a report adds to its round's counters: no store promises it back.
    return replace(report, claim_names_an_account=False)


def read(store: ReportsStore, report_id: str) -> Report:
    report = store.get_report(report_id)
    assert report is not None
    return as_read(report)


def queue(store: ReportsStore) -> list[QueueItem]:
    items, cursor = store.queue_page(100, None)
    assert cursor is None
    return items


def all_pages(store: ReportsStore, reporter: str | None, limit: int) -> list[Any]:
    """Every item of a reporter's list (or of the queue, for None), following cursors to the end."""
    found: list[Any] = []
    cursor = None
    for _ in range(100):
        page: list[Any]
        if reporter is None:
            page, cursor = store.queue_page(limit, cursor)
        else:
            page, cursor = store.reports_by(reporter, limit, cursor)
        assert len(page) <= limit
        found += page
        if cursor is None:
            return found
    raise AssertionError("the list never ended")


# -- submission state ----------------------------------------------------------------------------------------------
def test_a_reporter_who_never_reported_has_an_empty_state(reports_store: ReportsStore) -> None:
    state = state_of(reports_store, "r-1")
    assert state == SubmissionState(
        rate=state.rate,
        rate_revision=0,
        mute=None,
        unfounded_recently=0,
        own_report=None,
        duplicate_of=None,
        duplicate_until=None,
        open_round=None,
    )
    assert state.rate.accepted_at == ()


def test_a_recorded_report_reads_back_as_it_was_stored(reports_store: ReportsStore) -> None:
    report = submit(
        reports_store,
        "r-1",
        details="three replies",
        evidence_ids=("ev-1", "ev-2"),
        claimed_owner_id="owner-1",
        flags=frozenset({QueueFlag.CLAIMED_MINOR_OWNER}),
        priority=Priority.HIGH,
    )
    assert read(reports_store, report.report_id) == report


def test_a_report_never_recorded_reads_as_none(reports_store: ReportsStore) -> None:
    assert reports_store.get_report("nobody's") is None


def test_the_state_finds_this_very_submission_once_it_is_stored(reports_store: ReportsStore) -> None:
    # Given a report stored by an attempt whose answer was lost
    report = submit(reports_store, "r-1", report_id="report-lost-answer")
    # When the retry reads the state for the same report id / Then it finds the report
    own = state_of(reports_store, "r-1", report_id="report-lost-answer").own_report
    assert own is not None and as_read(own) == report


def test_the_state_holds_the_duplicate_guard_of_the_same_reporter_target_and_reason(
    reports_store: ReportsStore,
) -> None:
    report = submit(reports_store, "r-1", reason="spam")
    same = state_of(reports_store, "r-1", COMMENT, "spam")
    assert (same.duplicate_of, same.duplicate_until) == (report.report_id, NOW + timedelta(hours=24))
    for other in (
        state_of(reports_store, "r-1", COMMENT, "hate"),
        state_of(reports_store, "r-2", COMMENT, "spam"),
        state_of(reports_store, "r-1", Target("comment", "c-2"), "spam"),
    ):
        assert (other.duplicate_of, other.duplicate_until) == (None, None)


def test_the_state_holds_the_rate_window_written_and_a_new_revision(reports_store: ReportsStore) -> None:
    # Given two reports by one reporter, a minute apart
    submit(reports_store, "r-1", Target("comment", "c-1"), at=NOW)
    submit(reports_store, "r-1", Target("comment", "c-2"), at=NOW + timedelta(minutes=1))
    # When the reporter's state is read
    state = state_of(reports_store, "r-1", Target("comment", "c-3"))
    # Then the window holds both, and each write moved the revision on
    assert state.rate.accepted_at == (NOW, NOW + timedelta(minutes=1))
    assert state.rate_revision == 2
    assert state_of(reports_store, "r-2").rate_revision == 0


def test_a_mute_reads_back_in_the_state_and_a_later_one_replaces_it(reports_store: ReportsStore) -> None:
    first = Mute(muted_until=NOW + timedelta(hours=1), reason="spam waves", moderator_id="m-1", muted_at=NOW)
    later = Mute(muted_until=NOW + timedelta(hours=48), reason="again", moderator_id="m-2", muted_at=NOW)
    reports_store.set_mute("r-1", first, first.muted_until + timedelta(days=1))
    assert state_of(reports_store, "r-1").mute == first
    reports_store.set_mute("r-1", later, later.muted_until + timedelta(days=1))
    assert state_of(reports_store, "r-1").mute == later
    assert state_of(reports_store, "r-2").mute is None


# -- rounds ----------------------------------------------------------------------------------------------------------
def test_the_first_report_on_a_target_opens_a_round_with_its_priority_and_time(reports_store: ReportsStore) -> None:
    report = submit(reports_store, "r-1", priority=Priority.HIGH, at=NOW)
    open_round = reports_store.open_round(COMMENT)
    assert open_round is not None
    assert (open_round.round_id, open_round.priority, open_round.first_reported_at) == (
        report.round_id,
        Priority.HIGH,
        NOW,
    )
    assert state_of(reports_store, "r-2").open_round == open_round
    assert reports_store.open_round(Target("comment", "c-2")) is None


def test_later_reports_join_the_open_round(reports_store: ReportsStore) -> None:
    first = submit(reports_store, "r-1")
    later = [submit(reports_store, f"r-{n}", at=NOW + timedelta(minutes=n)) for n in range(2, 5)]
    assert {report.round_id for report in later} == {first.round_id}
    assert [(item.round_id, item.report_count) for item in queue(reports_store)] == [(first.round_id, 4)]


def test_a_more_urgent_report_raises_the_rounds_priority_and_keeps_its_first_time(
    reports_store: ReportsStore,
) -> None:
    submit(reports_store, "r-1", priority=Priority.NORMAL, at=NOW)
    submit(reports_store, "r-2", priority=Priority.URGENT, at=NOW + timedelta(minutes=5))
    submit(reports_store, "r-3", priority=Priority.LOW, at=NOW + timedelta(minutes=9))
    open_round = reports_store.open_round(COMMENT)
    assert open_round is not None
    assert (open_round.priority, open_round.first_reported_at) == (Priority.URGENT, NOW)


def test_a_priority_raise_read_before_another_raise_is_a_conflict(reports_store: ReportsStore) -> None:
    # Given a NORMAL round, read by two reporters, one of whom raises it to HIGH first
    submit(reports_store, "r-1", priority=Priority.NORMAL)
    stale = state_of(reports_store, "r-3")
    submit(reports_store, "r-2", priority=Priority.HIGH)
    # When the other raises it to URGENT from what it read / Then it must re-read
    with pytest.raises(VersionConflict):
        record(reports_store, report_from(stale, "r-3", priority=Priority.URGENT), stale)
    open_round = reports_store.open_round(COMMENT)
    assert open_round is not None and open_round.priority == Priority.HIGH


def test_two_first_reports_racing_to_open_a_round_open_one(reports_store: ReportsStore) -> None:
    # Given two reporters who both read a target with no open round
    first_read, second_read = state_of(reports_store, "r-1"), state_of(reports_store, "r-2")
    first = report_from(first_read, "r-1")
    record(reports_store, first, first_read)
    # When the second records its report, opening a round of its own / Then it must re-read, and then joins
    loser = report_from(second_read, "r-2")
    with pytest.raises(VersionConflict):
        record(reports_store, loser, second_read)
    assert reports_store.get_report(loser.report_id) is None
    assert submit(reports_store, "r-2").round_id == first.round_id


def test_a_report_racing_a_decision_is_refused_and_its_retry_opens_a_new_round(reports_store: ReportsStore) -> None:
    # Given a reporter who read the open round just before it was decided
    earlier = submit(reports_store, "r-1")
    late_read = state_of(reports_store, "r-2")
    decision = decide(reports_store)
    # When the report is recorded from that read
    late = report_from(late_read, "r-2")
    with pytest.raises(VersionConflict):
        record(reports_store, late, late_read)
    # Then nothing of it was written: the decision covered only the earlier report, and the target is closed
    assert decision.report_count == 1
    assert reports_store.get_report(late.report_id) is None
    assert state_of(reports_store, "r-2").rate_revision == 0
    assert reports_store.open_round(COMMENT) is None
    # And its retry opens a new round, the only item in the queue
    retried = submit(reports_store, "r-2")
    assert retried.round_id != earlier.round_id
    assert [(item.round_id, item.report_count) for item in queue(reports_store)] == [(retried.round_id, 1)]


# -- conditional writes ------------------------------------------------------------------------------------------------
def test_a_report_from_a_stale_rate_revision_is_a_conflict_and_writes_nothing(reports_store: ReportsStore) -> None:
    # Given a reporter whose state was read for two targets, and one report recorded from it
    read_for_c2 = state_of(reports_store, "r-1", Target("comment", "c-2"))
    first = submit(reports_store, "r-1", COMMENT)
    # When the other report is recorded from the older read
    stale = report_from(read_for_c2, "r-1", Target("comment", "c-2"))
    with pytest.raises(VersionConflict):
        record(reports_store, stale, read_for_c2)
    # Then none of it is stored: no report, no guard, no round, the window as the first report left it
    assert reports_store.get_report(stale.report_id) is None
    after = state_of(reports_store, "r-1", Target("comment", "c-2"))
    assert (after.duplicate_of, after.open_round, after.rate_revision) == (None, None, 1)
    assert [item.target for item in queue(reports_store)] == [COMMENT]
    assert [r.report_id for r in reports_store.reports_by("r-1", 10, None)[0]] == [first.report_id]


def test_a_live_duplicate_guard_written_since_the_read_is_a_conflict(reports_store: ReportsStore) -> None:
    # Given a reporter's report, and a read of their state that missed its guard (but not its rate window)
    first = submit(reports_store, "r-1")
    missed_guard = replace(state_of(reports_store, "r-1"), duplicate_of=None, duplicate_until=None)
    # When the same report is recorded again from that read
    again = report_from(missed_guard, "r-1", at=NOW + timedelta(minutes=1))
    with pytest.raises(VersionConflict):
        record(reports_store, again, missed_guard)
    # Then the guard still names the first report
    assert reports_store.get_report(again.report_id) is None
    assert state_of(reports_store, "r-1").duplicate_of == first.report_id


def test_a_guard_that_lapsed_is_replaced_by_the_next_report(reports_store: ReportsStore) -> None:
    submit(reports_store, "r-1", at=NOW)
    later = NOW + timedelta(hours=25)
    state = state_of(reports_store, "r-1")
    report = report_from(state, "r-1", at=later)
    record(reports_store, report, state)
    after = state_of(reports_store, "r-1")
    assert (after.duplicate_of, after.duplicate_until) == (report.report_id, later + timedelta(hours=24))


def test_a_live_guard_on_a_decided_report_is_replaced_by_a_report_read_with_it(reports_store: ReportsStore) -> None:
    # Given a report decided within its 24-hour window
    first = submit(reports_store, "r-1")
    decide(reports_store)
    # When the reporter reports the same again, from a read that saw the first report's guard
    state = state_of(reports_store, "r-1")
    assert state.duplicate_of == first.report_id
    again = report_from(state, "r-1", at=NOW + timedelta(hours=1))
    record(reports_store, again, state)
    # Then it is a new report in a new round, and the guard names it
    assert read(reports_store, again.report_id) == again
    assert state_of(reports_store, "r-1").duplicate_of == again.report_id


def test_recording_a_report_id_twice_is_a_conflict(reports_store: ReportsStore) -> None:
    report = submit(reports_store, "r-1")
    state = state_of(reports_store, "r-1", Target("comment", "c-2"))
    with pytest.raises(VersionConflict):
        record(reports_store, report_from(state, "r-1", Target("comment", "c-2"), report_id=report.report_id), state)
    assert read(reports_store, report.report_id) == report


# -- the queue -------------------------------------------------------------------------------------------------------
def test_a_queue_item_sums_up_its_round(reports_store: ReportsStore) -> None:
    # Given three reports on one target, one of them claiming an account that exists and one a made-up owner
    first = submit(reports_store, "r-1", reason="spam", at=NOW)
    submit(
        reports_store,
        "r-2",
        reason="hate",
        at=NOW + timedelta(minutes=3),
        flags=frozenset({QueueFlag.CLAIMED_MINOR_OWNER}),
        claimed_owner_id="child-1",
        claim_names_an_account=True,
    )
    submit(
        reports_store,
        "r-3",
        reason="spam",
        at=NOW + timedelta(minutes=7),
        flags=frozenset({QueueFlag.MUTED_REPORTER}),
        claimed_owner_id="made-up",
    )
    # When the queue is read / Then the target is one item with the round's totals
    assert queue(reports_store) == [
        QueueItem(
            target=COMMENT,
            round_id=first.round_id,
            priority=Priority.NORMAL,
            report_count=3,
            reasons=frozenset({"spam", "hate"}),
            first_reported_at=NOW,
            last_reported_at=NOW + timedelta(minutes=7),
            flags=frozenset({QueueFlag.CLAIMED_MINOR_OWNER, QueueFlag.MUTED_REPORTER}),
            claimed_owner_ids=frozenset({"child-1"}),
        )
    ]


def test_the_queue_is_most_urgent_first_then_oldest_then_by_target_key(reports_store: ReportsStore) -> None:
    # Given open targets of several priorities and ages, two of them alike but for their key
    opened = [
        (Target("video", "v-normal-old"), Priority.NORMAL, NOW),
        (Target("comment", "c-urgent-new"), Priority.URGENT, NOW + timedelta(hours=2)),
        (Target("comment", "c-normal-new"), Priority.NORMAL, NOW + timedelta(hours=1)),
        (Target("comment", "c-urgent-old"), Priority.URGENT, NOW + timedelta(minutes=30)),
        (Target("account", "a-normal-old"), Priority.NORMAL, NOW),
        (Target("live", "l-low"), Priority.LOW, NOW - timedelta(days=1)),
    ]
    for n, (target, priority, at) in enumerate(opened):
        submit(reports_store, f"r-{n}", target, priority=priority, at=at)
    # When the queue is read / Then it is ordered by priority, then first report, then target key
    assert [item.target.id for item in queue(reports_store)] == [
        "c-urgent-old",
        "c-urgent-new",
        "a-normal-old",
        "v-normal-old",
        "c-normal-new",
        "l-low",
    ]


def test_a_target_raised_to_urgent_takes_its_place_by_its_first_report(reports_store: ReportsStore) -> None:
    submit(reports_store, "r-1", Target("comment", "c-urgent"), priority=Priority.URGENT, at=NOW)
    submit(reports_store, "r-2", Target("comment", "c-raised"), priority=Priority.NORMAL, at=NOW - timedelta(hours=1))
    submit(reports_store, "r-3", Target("comment", "c-raised"), priority=Priority.URGENT, at=NOW + timedelta(hours=1))
    assert [item.target.id for item in queue(reports_store)] == ["c-raised", "c-urgent"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_the_queue_yields_every_open_target_once_in_order(reports_store: ReportsStore, limit: int) -> None:
    for n in range(5):
        submit(reports_store, f"r-{n}", Target("comment", f"c-{n}"), at=NOW + timedelta(minutes=n))
    items = all_pages(reports_store, None, limit)
    assert [item.target.id for item in items] == [f"c-{n}" for n in range(5)]


def test_a_decided_target_leaves_the_queue(reports_store: ReportsStore) -> None:
    submit(reports_store, "r-1", Target("comment", "c-1"))
    submit(reports_store, "r-2", Target("comment", "c-2"))
    decide(reports_store, Target("comment", "c-1"))
    assert [item.target.id for item in queue(reports_store)] == ["c-2"]
    assert reports_store.open_round(Target("comment", "c-1")) is None


# -- decisions -------------------------------------------------------------------------------------------------------
def test_a_decision_counts_exactly_the_reports_of_its_round(reports_store: ReportsStore) -> None:
    # Given three reports in one round, and one on another target
    for n in range(3):
        submit(reports_store, f"r-{n}", at=NOW + timedelta(minutes=n))
    submit(reports_store, "r-9", Target("comment", "c-other"))
    # When the round is decided, then reopened by one more report and decided again
    first = decide(reports_store)
    submit(reports_store, "r-4", at=NOW + timedelta(hours=1))
    second = decide(reports_store)
    # Then each decision counts its own round's reports
    assert (first.report_count, second.report_count) == (3, 1)


def test_a_second_decision_on_a_round_is_a_conflict(reports_store: ReportsStore) -> None:
    report = submit(reports_store, "r-1")
    first = decide(reports_store)
    with pytest.raises(VersionConflict):
        reports_store.record_decision(decision_on(report.round_id), NOW + timedelta(days=400))
    assert read(reports_store, report.report_id).decision == first


def test_a_decision_on_a_round_that_is_not_open_is_a_conflict(reports_store: ReportsStore) -> None:
    with pytest.raises(VersionConflict):
        reports_store.record_decision(decision_on("round-never-opened"), NOW + timedelta(days=400))
    submit(reports_store, "r-1")
    with pytest.raises(VersionConflict):
        reports_store.record_decision(decision_on("round-not-this-one"), NOW + timedelta(days=400))
    assert reports_store.open_round(COMMENT) is not None


def test_reports_read_as_decided_through_their_decision_before_they_are_marked(reports_store: ReportsStore) -> None:
    # Given two reports by one reporter, one of them in a round just decided (not yet marked decided)
    decided = submit(reports_store, "r-1", COMMENT, at=NOW)
    still_open = submit(reports_store, "r-1", Target("video", "v-1"), at=NOW + timedelta(minutes=1))
    decision = decide(reports_store, COMMENT)
    # When the report is read, alone or in its reporter's list
    expected = replace(decided, status=ReportStatus.DECIDED, decision=decision)
    listed, _ = reports_store.reports_by("r-1", 10, None)
    # Then it reads as decided, with the decision and its count; the other is still received
    assert read(reports_store, decided.report_id) == expected
    assert [as_read(report) for report in listed] == [still_open, expected]


def test_a_decision_is_unfinished_until_it_is_finished(reports_store: ReportsStore) -> None:
    submit(reports_store, "r-1")
    submit(reports_store, "r-2", Target("comment", "c-other"))
    decision = decide(reports_store)
    assert reports_store.unfinished_decisions(COMMENT) == [decision]
    assert reports_store.unfinished_decisions(Target("comment", "c-other")) == []
    reports_store.finish_decision(decision)
    assert reports_store.unfinished_decisions(COMMENT) == []


def test_reports_in_round_lists_exactly_that_rounds_reports(reports_store: ReportsStore) -> None:
    # Given a decided round, a new round on the same target, and a round on another target
    first_round = [submit(reports_store, f"r-{n}").report_id for n in range(3)]
    decided = decide(reports_store)
    reopened = submit(reports_store, "r-7")
    submit(reports_store, "r-8", Target("comment", "c-other"))
    # When a round's reports are listed / Then they are that round's, each once
    listed = reports_store.reports_in_round(COMMENT, decided.round_id)
    assert sorted(report.report_id for report in listed) == sorted(first_round)
    assert [r.report_id for r in reports_store.reports_in_round(COMMENT, reopened.round_id)] == [reopened.report_id]
    assert reports_store.reports_in_round(COMMENT, "round-never-opened") == []


def test_reports_marked_decided_read_as_decided(reports_store: ReportsStore) -> None:
    report = submit(reports_store, "r-1")
    decision = decide(reports_store)
    reports_store.mark_decided(
        reports_store.reports_in_round(COMMENT, decision.round_id), decision, NOW + timedelta(days=400)
    )
    reports_store.finish_decision(decision)
    expected = replace(report, status=ReportStatus.DECIDED, decision=decision)
    assert read(reports_store, report.report_id) == expected
    assert [as_read(r) for r in reports_store.reports_in_round(COMMENT, decision.round_id)] == [expected]
    assert [as_read(r) for r in reports_store.reports_by("r-1", 10, None)[0]] == [expected]


# -- unfounded outcomes ----------------------------------------------------------------------------------------------
def test_an_unfounded_outcome_counts_once_per_reporter_and_decision(reports_store: ReportsStore) -> None:
    # Given a no_violation decision whose close-out recorded its outcome twice, naming one reporter twice
    submit(reports_store, "r-1")
    decision = decide(reports_store)
    expires = NOW + UNFOUNDED_WINDOW
    reports_store.record_unfounded(["r-1", "r-2", "r-1"], decision, expires)
    reports_store.record_unfounded(["r-1"], decision, expires)
    # When their states are read / Then each counts one unfounded outcome
    assert state_of(reports_store, "r-1").unfounded_recently == 1
    assert state_of(reports_store, "r-2").unfounded_recently == 1
    assert state_of(reports_store, "r-3").unfounded_recently == 0


def test_unfounded_outcomes_are_counted_since_the_given_time_up_to_the_cap(reports_store: ReportsStore) -> None:
    # Given twelve recent unfounded outcomes and one from before the window
    for days_ago in [*range(12), 31]:
        decision = decision_on(f"round-{days_ago}", at=NOW - timedelta(days=days_ago))
        reports_store.record_unfounded(["r-1"], decision, decision.decided_at + UNFOUNDED_WINDOW)
    since = NOW - UNFOUNDED_WINDOW

    def counted(cap: int) -> int:
        return reports_store.submission_state("x", "r-1", COMMENT, "spam", since, cap).unfounded_recently

    # When they are counted / Then only those since the window's start count, never more than the cap
    assert (counted(100), counted(10), counted(3)) == (12, 10, 3)


# -- a reporter's list -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("limit", [1, 2, 4, 5])
def test_a_reporters_list_is_newest_first_and_pages_each_report_once(reports_store: ReportsStore, limit: int) -> None:
    mine = [submit(reports_store, "r-1", Target("comment", f"c-{n}"), at=NOW + timedelta(minutes=n)) for n in range(4)]
    submit(reports_store, "r-2", Target("comment", "c-9"))
    listed = all_pages(reports_store, "r-1", limit)
    assert [as_read(report) for report in listed] == mine[::-1]


def test_a_reporter_who_never_reported_has_an_empty_list(reports_store: ReportsStore) -> None:
    submit(reports_store, "r-1")
    assert reports_store.reports_by("r-2", 10, None) == ([], None)


# -- cursors ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def two_pages(reports_store: ReportsStore) -> dict[str, str]:
    """Cursors to the second page of r-1's list and of the queue (r-1 and r-2 reported two targets each)."""
    for reporter in ("r-1", "r-2"):
        for n in range(2):
            submit(reports_store, reporter, Target("comment", f"c-{reporter}-{n}"), at=NOW + timedelta(minutes=n))
    _, reports_cursor = reports_store.reports_by("r-1", 1, None)
    _, queue_cursor = reports_store.queue_page(1, None)
    assert reports_cursor and queue_cursor
    return {"reports": reports_cursor, "queue": queue_cursor}


def test_a_cursor_from_another_reporters_list_is_refused(reports_store: ReportsStore, two_pages: Any) -> None:
    with pytest.raises(InvalidCursor):
        reports_store.reports_by("r-2", 1, two_pages["reports"])


def test_a_queue_cursor_and_a_report_list_cursor_do_not_page_each_other(
    reports_store: ReportsStore, two_pages: Any
) -> None:
    with pytest.raises(InvalidCursor):
        reports_store.reports_by("r-1", 1, two_pages["queue"])
    with pytest.raises(InvalidCursor):
        reports_store.queue_page(1, two_pages["reports"])


def test_edited_or_malformed_cursors_are_refused(reports_store: ReportsStore, two_pages: Any) -> None:
    for bad in tampered(two_pages["reports"]):
        with pytest.raises(InvalidCursor):
            reports_store.reports_by("r-1", 1, bad)
    for bad in tampered(two_pages["queue"]):
        with pytest.raises(InvalidCursor):
            reports_store.queue_page(1, bad)


@pytest.mark.parametrize("position", REPORT_LIST_FORGERIES, ids=range(len(REPORT_LIST_FORGERIES)))
def test_a_sealed_report_list_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    with pytest.raises(InvalidCursor):
        reports_store.reports_by("r-1", 1, sealed(sealer, "reports:r-1", position))


@pytest.mark.parametrize("position", QUEUE_FORGERIES, ids=range(len(QUEUE_FORGERIES)))
def test_a_sealed_queue_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    with pytest.raises(InvalidCursor):
        reports_store.queue_page(1, sealed(sealer, "queue", position))
