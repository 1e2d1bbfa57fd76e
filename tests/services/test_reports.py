"""Filing reports on the fakes: receipts and their replay, the 24-hour duplicate window, the rolling hourly limit to
the second, races with the reporter's own other reports, and a muted reporter's urgent reports."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, RateLimited
from chalicelib.domain.reports import Priority, QueueFlag, ReportStatus, StatementOfReasons, Target
from chalicelib.services.moderation import DecisionRequest, ModerationDeps, decide, mute_reporter
from chalicelib.services.ports import SubmissionState
from chalicelib.services.reports import MAX_ATTEMPTS, Receipt, ReportingDeps, file_report, my_reports, read_report
from tests.conftest import FIXED_NOW
from tests.services.conftest import MODERATOR_CALLER, user
from tests.services.rivals import RacedReportsStore

REPORTER = user("reporter-1")


@pytest.fixture
def reports_store() -> RacedReportsStore:
    return RacedReportsStore()


def about(target_id: str = "c-1", reason: str = "spam", **fields: Any) -> dict[str, Any]:
    return {"target": {"type": "comment", "id": target_id}, "reason": reason, "good_faith": True, **fields}


def filed(reporting: ReportingDeps, payload: dict[str, Any], key: str | None = None) -> Receipt:
    return file_report(reporting, REPORTER, key or uuid.uuid4().hex, payload)


def stored_ids(reporting: ReportingDeps) -> list[str]:
    reports, _ = my_reports(reporting.reports, REPORTER, 100, None)
    return [report.report_id for report in reports]


def rate_state(reporting: ReportingDeps) -> SubmissionState:
    """The reporter's state as a new report would read it (its rate window is what these tests look at)."""
    return reporting.reports.submission_state("any", REPORTER.sub, Target("comment", "any"), "spam", FIXED_NOW, 10)


def test_a_report_gets_a_receipt_and_its_replay_the_same_receipt_without_a_second_report(
    reporting: ReportingDeps,
) -> None:
    # Given a report filed under an Idempotency-Key
    first = filed(reporting, about(details="three replies"), key="key-1")
    # When the app sends it again with the same key
    again = filed(reporting, about(details="three replies"), key="key-1")
    # Then both answers are the same 201 receipt, the second marked as a replay, and one report is stored
    assert (first.status_code, first.status, first.received_at, first.replayed) == (
        201,
        "received",
        "2026-11-25T12:00:00Z",
        False,
    )
    assert again == Receipt(201, first.report_id, "received", first.received_at, replayed=True)
    assert stored_ids(reporting) == [first.report_id]


def test_the_same_report_within_24_hours_answers_with_the_first_and_is_not_counted(
    reporting: ReportingDeps, clock: list[datetime]
) -> None:
    # Given a report
    first = filed(reporting, about())
    # When the reporter reports the same comment for the same reason 23 hours 59 minutes later, under a new key
    clock[0] = FIXED_NOW + timedelta(hours=23, minutes=59)
    again = filed(reporting, about())
    # Then the answer is 200 with the first report, nothing new is stored, and the hourly window is unchanged
    assert (again.status_code, again.report_id, again.received_at) == (200, first.report_id, first.received_at)
    assert stored_ids(reporting) == [first.report_id]
    state = rate_state(reporting)
    assert (state.rate.accepted_at, state.rate_revision) == ((FIXED_NOW,), 1)


def test_the_same_report_24_hours_later_is_a_new_report(reporting: ReportingDeps, clock: list[datetime]) -> None:
    first = filed(reporting, about())
    clock[0] = FIXED_NOW + timedelta(hours=24)
    again = filed(reporting, about())
    assert again.status_code == 201 and again.report_id != first.report_id
    assert stored_ids(reporting) == [again.report_id, first.report_id]


def test_the_same_report_after_the_first_was_decided_is_a_new_report_in_a_new_round(
    reporting: ReportingDeps, moderation: ModerationDeps, clock: list[datetime]
) -> None:
    # Given a report decided an hour later
    first = filed(reporting, about())
    clock[0] = FIXED_NOW + timedelta(hours=1)
    statement = StatementOfReasons(facts="f", ground="Rule 1", automated=False, redress="Appeal")
    decide(moderation, Target("comment", "c-1"), DecisionRequest("no_violation", None, statement), MODERATOR_CALLER)
    # When the reporter reports it again within the 24 hours
    clock[0] = FIXED_NOW + timedelta(hours=2)
    again = filed(reporting, about())
    # Then it is a new, undecided report in a new round
    assert again.status_code == 201 and again.report_id != first.report_id
    new, old = (read_report(reporting.reports, id_, REPORTER) for id_ in (again.report_id, first.report_id))
    assert (new.status, old.status) == (ReportStatus.RECEIVED, ReportStatus.DECIDED)
    assert new.round_id != old.round_id


def test_the_hourly_limit_is_a_rolling_window_that_says_to_the_second_when_to_retry(
    reporting: ReportingDeps, clock: list[datetime]
) -> None:
    # Given a reporter who filed 20 reports, one a minute from 12:00
    for minute in range(20):
        clock[0] = FIXED_NOW + timedelta(minutes=minute)
        filed(reporting, about(f"c-{minute}"))
    # When they file another at 12:30 / Then it is refused until the 12:00 report leaves the window, at 13:00
    clock[0] = FIXED_NOW + timedelta(minutes=30)
    with pytest.raises(RateLimited) as refused:
        filed(reporting, about("c-late"))
    assert refused.value.retry_after_seconds == 30 * 60
    # And at 13:00 exactly one more fits; the next waits for the 12:01 report to leave
    clock[0] = FIXED_NOW + timedelta(hours=1)
    assert filed(reporting, about("c-late")).status_code == 201
    with pytest.raises(RateLimited) as refused_again:
        filed(reporting, about("c-later"))
    assert refused_again.value.retry_after_seconds == 60
    assert len(stored_ids(reporting)) == 21


def test_a_report_that_loses_a_race_to_the_reporters_other_report_is_retried_and_both_are_kept(
    reporting: ReportingDeps, reports_store: RacedReportsStore
) -> None:
    # Given the reporter's other device filing a report just before this one is written
    reports_store.land_first(lambda: filed(reporting, about("c-other"), key="rival-key"))
    # When this report is filed
    receipt = filed(reporting, about("c-1"), key="our-key")
    # Then its first write lost on the rate window, its retry was written, and both reports are kept
    assert receipt.status_code == 201
    assert (reports_store.attempts, reports_store.conflicts) == (2, 1)
    assert len(stored_ids(reporting)) == 2
    state = rate_state(reporting)
    assert (len(state.rate.accepted_at), state.rate_revision) == (2, 2)


def test_a_report_that_keeps_losing_races_gives_up_stores_nothing_and_may_be_retried_with_its_key(
    reporting: ReportingDeps, reports_store: RacedReportsStore
) -> None:
    # Given three reports by the reporter's other devices, each landing just before one of this report's writes
    reports_store.land_first(*(lambda n=n: filed(reporting, about(f"c-rival-{n}")) for n in range(MAX_ATTEMPTS)))
    # When this report is filed / Then it gives up with a conflict after three attempts, storing nothing of its own
    with pytest.raises(Conflict):
        filed(reporting, about("c-1"), key="our-key")
    assert (reports_store.attempts, reports_store.conflicts) == (MAX_ATTEMPTS, MAX_ATTEMPTS)
    assert len(stored_ids(reporting)) == MAX_ATTEMPTS
    # And the app's retry with the same key is filed afresh, not answered with the failure
    retry = filed(reporting, about("c-1"), key="our-key")
    assert (retry.status_code, retry.replayed) == (201, False)
    assert len(stored_ids(reporting)) == MAX_ATTEMPTS + 1


@pytest.mark.parametrize("reason", ["child_safety", "self_harm"])
def test_a_muted_reporters_report_of_a_child_at_risk_stays_urgent_while_their_spam_is_low(
    reporting: ReportingDeps, moderation: ModerationDeps, reason: str
) -> None:
    # Given a reporter muted for 24 hours
    mute_reporter(moderation, REPORTER.sub, 24, "mass false reports", MODERATOR_CALLER)
    # When they report a child at risk, and some spam
    urgent = filed(reporting, about("c-child", reason))
    spam = filed(reporting, about("c-spam", "spam"))
    # Then the first keeps its urgency and the spam drops to low, both marked as from a muted reporter
    for receipt, priority in ((urgent, Priority.URGENT), (spam, Priority.LOW)):
        report = read_report(reporting.reports, receipt.report_id, REPORTER)
        assert (report.priority, report.flags) == (priority, frozenset({QueueFlag.MUTED_REPORTER}))
