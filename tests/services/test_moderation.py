"""Moderation on the fakes: a decision counts and reaches exactly its round's reports, a report racing a decision
opens a new round, unfounded outcomes count once per reporter, a decision that keeps losing gives up, and mutes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.reports import Decision, Priority, QueueFlag, ReportStatus, StatementOfReasons, Target
from chalicelib.services.moderation import (
    MAX_ATTEMPTS,
    DecisionRequest,
    ModerationDeps,
    decide,
    moderation_queue,
    mute_reporter,
)
from chalicelib.services.ports import Mute
from chalicelib.services.reports import ReportingDeps, file_report, read_report
from tests.conftest import FIXED_NOW
from tests.services.conftest import MODERATOR_CALLER, user
from tests.services.rivals import RacedReportsStore

COMMENT = Target("comment", "c-1")
STATEMENT = StatementOfReasons(facts="Three insulting replies.", ground="Rule 4.2", automated=False, redress="Appeal")
NO_VIOLATION = DecisionRequest("no_violation", None, STATEMENT)
TAKEN_DOWN = DecisionRequest("action_taken", "remove_content", STATEMENT)


@pytest.fixture
def reports_store() -> RacedReportsStore:
    return RacedReportsStore()


def report(reporting: ReportingDeps, reporter: str, target: Target = COMMENT, reason: str = "spam") -> str:
    payload: dict[str, Any] = {"target": {"type": target.type, "id": target.id}, "reason": reason, "good_faith": True}
    receipt = file_report(reporting, user(reporter), uuid.uuid4().hex, payload)
    assert receipt.status_code == 201
    return receipt.report_id


def decided(moderation: ModerationDeps, request: DecisionRequest = TAKEN_DOWN, target: Target = COMMENT) -> Decision:
    return decide(moderation, target, request, MODERATOR_CALLER)


def unfounded_count(reporting: ReportingDeps, reporter: str) -> int:
    since = FIXED_NOW - timedelta(days=30)
    return reporting.reports.submission_state("any", reporter, COMMENT, "spam", since, 100).unfounded_recently


def test_a_decision_counts_its_rounds_reports_and_each_reporter_reads_it(
    reporting: ReportingDeps, moderation: ModerationDeps, clock: list[datetime]
) -> None:
    # Given three reports on a comment, and one on another
    ids = [report(reporting, f"r-{n}") for n in range(3)]
    other = report(reporting, "r-9", Target("comment", "c-other"))
    # When a moderator takes it down
    clock[0] = FIXED_NOW + timedelta(hours=2)
    decision = decided(moderation)
    # Then the decision covers the three, each reporter reads it on their report, and only the other stays queued
    assert (decision.report_count, decision.decided_at, decision.moderator_id) == (3, clock[0], "mod-1")
    for n, report_id in enumerate(ids):
        seen = read_report(reporting.reports, report_id, user(f"r-{n}"))
        assert (seen.status, seen.decision) == (ReportStatus.DECIDED, decision)
    assert read_report(reporting.reports, other, user("r-9")).status is ReportStatus.RECEIVED
    items, _ = moderation_queue(moderation, 10, None)
    assert [item.target.id for item in items] == ["c-other"]
    assert reporting.reports.unfinished_decisions(COMMENT) == []


def test_a_report_racing_a_decision_is_not_counted_by_it_and_opens_a_new_round(
    reporting: ReportingDeps, moderation: ModerationDeps, reports_store: RacedReportsStore
) -> None:
    # Given two reports on a comment, and a decision that lands just as a third is being written
    first = report(reporting, "r-1")
    report(reporting, "r-2")
    decisions: list[Decision] = []
    reports_store.land_first(lambda: decisions.append(decided(moderation)))
    # When the third report is filed
    late = report(reporting, "r-3")
    # Then the report's first write lost to the decision, which counted the two it saw
    assert reports_store.conflicts == 1
    assert decisions[0].report_count == 2
    # And the late report, retried, opened a new round of its own
    late_report = read_report(reporting.reports, late, user("r-3"))
    assert late_report.status is ReportStatus.RECEIVED
    assert late_report.round_id != read_report(reporting.reports, first, user("r-1")).round_id
    items, _ = moderation_queue(moderation, 10, None)
    assert [(item.round_id, item.report_count) for item in items] == [(late_report.round_id, 1)]


def test_a_no_violation_decision_counts_one_unfounded_outcome_per_reporter_however_many_reports(
    reporting: ReportingDeps, moderation: ModerationDeps
) -> None:
    # Given one reporter's two reports on a comment (two reasons), and another reporter's one
    report(reporting, "r-1", reason="spam")
    report(reporting, "r-1", reason="hate")
    report(reporting, "r-2", reason="spam")
    # When the moderator finds no violation
    decision = decided(moderation, NO_VIOLATION)
    # Then the decision covers three reports, but each reporter has one unfounded outcome
    assert decision.report_count == 3
    assert (unfounded_count(reporting, "r-1"), unfounded_count(reporting, "r-2")) == (1, 1)


def test_a_decision_that_keeps_losing_to_concurrent_writes_gives_up_and_decides_nothing(
    reporting: ReportingDeps, moderation: ModerationDeps, reports_store: RacedReportsStore
) -> None:
    report_id = report(reporting, "r-1")
    reports_store.refuse_decisions = True
    with pytest.raises(Conflict):
        decided(moderation)
    assert reports_store.decision_attempts == MAX_ATTEMPTS
    assert read_report(reporting.reports, report_id, user("r-1")).status is ReportStatus.RECEIVED
    assert reports_store.open_round(COMMENT) is not None


def test_muting_answers_when_the_mute_ends_and_the_reporters_spam_is_low_until_then(
    reporting: ReportingDeps, moderation: ModerationDeps, clock: list[datetime]
) -> None:
    # Given a reporter muted for 48 hours
    mute = mute_reporter(moderation, "r-1", 48, "mass false reports", MODERATOR_CALLER)
    assert mute == Mute(FIXED_NOW + timedelta(hours=48), "mass false reports", "mod-1", FIXED_NOW)
    # When they report spam just before the mute ends, and again when it has ended
    clock[0] = FIXED_NOW + timedelta(hours=47, minutes=59)
    during = read_report(reporting.reports, report(reporting, "r-1", Target("comment", "c-a")), user("r-1"))
    clock[0] = FIXED_NOW + timedelta(hours=48)
    after = read_report(reporting.reports, report(reporting, "r-1", Target("comment", "c-b")), user("r-1"))
    # Then the first is low and marked as from a muted reporter, the second normal and unmarked
    assert (during.priority, during.flags) == (Priority.LOW, frozenset({QueueFlag.MUTED_REPORTER}))
    assert (after.priority, after.flags) == (Priority.NORMAL, frozenset())
