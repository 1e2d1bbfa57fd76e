"""The `ReportsStore` port's contract, run on the fake and on the DynamoDB adapter.

Filing writes the reporter's own items from the state it read, atomically, or nothing. The aggregator's cases hold
reports (each once); a report reads as received, then in review through the case that holds it, then decided by the
case's current decision. A decision is one conditional write on the case at the revision read; the close-out steps
after it are idempotent. Every list pages with cursors bound to that list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.reports import (
    ACTION_TAKEN,
    NO_VIOLATION,
    Appeal,
    AppealStatus,
    Case,
    CaseEvent,
    CaseEventKind,
    Decision,
    Priority,
    RateWindow,
    Report,
    ReportStatus,
    StatementOfReasons,
    Target,
    opened_case,
    with_reports,
)
from chalicelib.services.ports import (
    AppealGuard,
    Filing,
    InvalidCursor,
    KeyUse,
    Mute,
    ReportsStore,
    SubmissionState,
    TargetState,
    VersionConflict,
)
from chalicelib.store.cursors import CursorSealer
from tests.contract.cursors import GENERIC_FORGERIES, QUEUE_FORGERIES, REPORT_LIST_FORGERIES, sealed, tampered

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RATE_LIMIT = 20
WINDOW_DAYS = 30
COMMENT = Target("comment", "c-1")
VIDEO = Target("video", "v-1")


# -- building what the services would write ------------------------------------------------------------------------
def report(
    report_id: str,
    reporter: str = "r-1",
    *,
    target: Target = COMMENT,
    reason: str = "spam",
    at: datetime = NOW,
    priority: Priority = Priority.NORMAL,
) -> Report:
    return Report(
        report_id=report_id,
        reporter_id=reporter,
        target=target,
        claimed_owner_id=None,
        reason=reason,
        details="details",
        evidence_ids=("e-1",),
        received_at=at,
        priority=priority,
        flags=frozenset(),
    )


def state_for(store: ReportsStore, filed: Report, key: str) -> SubmissionState:
    return store.submission_state(filed.report_id, filed.reporter_id, key, filed.target, filed.reason)


def filing_from(state: SubmissionState, filed: Report, key: str) -> Filing:
    """A filing as the service builds it from the state it read."""
    at = filed.received_at
    return Filing(
        report=filed,
        key=key,
        state=state,
        rate=state.rate.with_report(at, RATE_LIMIT),
        key_use=KeyUse(f"fingerprint-{key}", 201, filed.report_id, at, ReportStatus.RECEIVED.value),
        key_expires_at=at + timedelta(hours=24),
        duplicate_until=at + timedelta(hours=24),
    )


def file(store: ReportsStore, filed: Report, key: str | None = None) -> Filing:
    """Reads the reporter's state and files the report from it, as the service does."""
    key = key or f"key-{filed.report_id}"
    filing = filing_from(state_for(store, filed, key), filed, key)
    store.record_filing(filing)
    return filing


def filed(store: ReportsStore, report_id: str, reporter: str = "r-1", **fields: Any) -> Report:
    new = report(report_id, reporter, **fields)
    file(store, new)
    return new


def reported(case: Case) -> CaseEvent:
    at = NOW + timedelta(minutes=case.revision)
    return CaseEvent(case.case_id, CaseEventKind.REPORTED, at, "reporter", f"{case.report_count}", case.revision)


def open_case(store: ReportsStore, case_id: str, *reports: Report, replaces: str | None = None) -> Case:
    case = opened_case(case_id, reports)
    store.save_case(case, None, list(reports), reported(case), replaces)
    return case


def add_to(store: ReportsStore, case: Case, *reports: Report) -> Case:
    grown = with_reports(case, reports)
    store.save_case(grown, case.revision, list(reports), reported(grown))
    return grown


def decision_on(
    case: Case,
    decision_id: str,
    outcome: str = NO_VIOLATION,
    *,
    at: datetime = NOW + timedelta(hours=1),
    affected: str | None = None,
    supersedes: str | None = None,
) -> Decision:
    return Decision(
        decision_id=decision_id,
        case_id=case.case_id,
        target=case.target,
        outcome=outcome,
        action=None if outcome == NO_VIOLATION else "remove_content",
        statement=StatementOfReasons(facts="facts", ground="Rule 1", automated=False, redress="appeal"),
        moderator_id="mod-1",
        decided_at=at,
        report_count=case.report_count,
        affected_account_id=affected,
        supersedes=supersedes,
    )


def statement(decision_id: str) -> dict[str, Any]:
    return {"decision_identifier": decision_id, "category": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"}


def decide(store: ReportsStore, case: Case, decision_id: str = "d-1", **fields: Any) -> Decision:
    decision = decision_on(case, decision_id, **fields)
    store.record_decision(
        decision,
        case.revision,
        statement(decision_id) if decision.affected_account_id else None,
        decided_event(decision, case.revision),
    )
    return decision


def reverse(store: ReportsStore, previous: Decision, decision_id: str, outcome: str = ACTION_TAKEN) -> Decision:
    """Records a decision on appeal that supersedes `previous`, a day after it."""
    decision = replace(
        previous,
        decision_id=decision_id,
        outcome=outcome,
        action=None if outcome == NO_VIOLATION else "remove_content",
        decided_at=previous.decided_at + timedelta(days=1),
        supersedes=previous.decision_id,
        superseded_by=None,
    )
    reverse_on_appeal(store, decision)
    return decision


def decided_event(decision: Decision, revision: int) -> CaseEvent:
    return CaseEvent(
        decision.case_id, CaseEventKind.DECIDED, decision.decided_at, "moderator", decision.outcome, revision
    )


def reverse_on_appeal(store: ReportsStore, reversal: Decision) -> None:
    """Records `reversal` in place of the decision it supersedes, as deciding an appeal does."""
    assert reversal.supersedes is not None
    appeal = Appeal(
        appeal_id=f"appeal-{reversal.decision_id}",
        decision_id=reversal.supersedes,
        case_id=reversal.case_id,
        appellant_id="appellant",
        appellant_role="reporter",
        explanation="wrong",
        filed_at=reversal.decided_at,
    )
    event = CaseEvent(reversal.case_id, CaseEventKind.APPEALED, appeal.filed_at, "reporter", "appealed", 1)
    store.record_appeal(appeal, AppealGuard(appeal.appeal_id, "k", "f"), event)
    closed = replace(
        appeal, status=AppealStatus.REVERSED, decided_at=reversal.decided_at, new_decision_id=reversal.decision_id
    )
    reversed_event = CaseEvent(reversal.case_id, CaseEventKind.REVERSED, reversal.decided_at, "moderator", "r", 1)
    store.record_appeal_decision(closed, reversal, None, reversed_event)


def read(store: ReportsStore, report_id: str) -> Report:
    found = store.get_report(report_id)
    assert found is not None
    return found


def case_of(store: ReportsStore, case_id: str) -> Case:
    found = store.get_case(case_id)
    assert found is not None
    return found


def every_page(page: Any, limit: int) -> list[Any]:
    """Every item of a list, following its cursors to the end (`page(limit, cursor)` reads one page)."""
    items: list[Any] = []
    cursor = None
    for _ in range(100):
        found, cursor = page(limit, cursor)
        assert len(found) <= limit
        items += found
        if cursor is None:
            return items
    raise AssertionError("the list never ended")


def ids(items: list[Any]) -> list[str]:
    return [getattr(item, "report_id", None) or getattr(item, "decision_id", None) or item.case_id for item in items]


def unfounded_of(store: ReportsStore, reporter: str) -> dict[str, datetime]:
    return store.submission_state("unused", reporter, "unused", COMMENT, "spam").unfounded


# -- filing --------------------------------------------------------------------------------------------------------
def test_a_reporter_who_never_filed_has_an_empty_submission_state(reports_store: ReportsStore) -> None:
    state = reports_store.submission_state("report-1", "r-1", "key-1", COMMENT, "spam")
    assert state == SubmissionState(
        rate=RateWindow(),
        rate_revision=0,
        mute=None,
        unfounded={},
        key_use=None,
        own_report=None,
        duplicate_of=None,
        duplicate_until=None,
    )


def test_a_filed_report_reads_back_as_received(reports_store: ReportsStore) -> None:
    # Given a filed report / When it is read / Then it is as filed
    new = filed(reports_store, "report-1")
    assert reports_store.get_report("report-1") == new


def test_a_report_never_filed_reads_as_none(reports_store: ReportsStore) -> None:
    assert reports_store.get_report("nothing") is None


def test_filing_writes_the_rate_window_the_key_use_and_the_duplicate_guard(reports_store: ReportsStore) -> None:
    # Given a filed report
    new = report("report-1")
    filing = file(reports_store, new, "key-1")
    # When the same submission's state is read again
    state = state_for(reports_store, new, "key-1")
    # Then it holds everything the filing wrote
    assert (state.rate, state.rate_revision) == (filing.rate, 1)
    assert state.key_use == filing.key_use
    assert state.own_report == new
    assert (state.duplicate_of, state.duplicate_until) == ("report-1", filing.duplicate_until)


def test_each_filing_moves_the_rate_window_on_by_one_revision(reports_store: ReportsStore) -> None:
    filed(reports_store, "report-1")
    filed(reports_store, "report-2", target=VIDEO, at=NOW + timedelta(minutes=1))
    state = state_for(reports_store, report("report-3"), "key-3")
    assert state.rate_revision == 2
    assert state.rate.accepted_at == (NOW, NOW + timedelta(minutes=1))


def test_a_submission_state_holds_only_the_reporters_own_items(reports_store: ReportsStore) -> None:
    # Given another reporter's report, filed under the same key
    filed(reports_store, "report-1", "r-2")
    # When r-1 reads their state for that key and target / Then none of r-2's items is in it
    state = reports_store.submission_state("report-9", "r-1", "key-report-1", COMMENT, "spam")
    assert (state.rate_revision, state.key_use, state.duplicate_of, state.own_report) == (0, None, None, None)


def test_a_duplicate_guard_is_kept_per_target_and_reason(reports_store: ReportsStore) -> None:
    filed(reports_store, "report-1", reason="spam")
    other_reason = reports_store.submission_state("report-2", "r-1", "key-2", COMMENT, "bullying")
    other_target = reports_store.submission_state("report-2", "r-1", "key-2", VIDEO, "spam")
    assert other_reason.duplicate_of is None
    assert other_target.duplicate_of is None


def test_filing_a_taken_report_id_is_a_version_conflict_and_writes_nothing(reports_store: ReportsStore) -> None:
    # Given a filed report
    first = filed(reports_store, "report-1")
    # When a report with the same id is filed under another key, on another target
    again = report("report-1", target=VIDEO, at=NOW + timedelta(minutes=1))
    with pytest.raises(VersionConflict):
        file(reports_store, again, "key-2")
    # Then the first report stands and the other key was not used
    assert reports_store.get_report("report-1") == first
    assert state_for(reports_store, again, "key-2").key_use is None
    assert state_for(reports_store, again, "key-2").rate_revision == 1


def test_filing_under_a_used_key_is_a_version_conflict_and_writes_nothing(reports_store: ReportsStore) -> None:
    # Given a report filed under key-1
    filed_first = file(reports_store, report("report-1"), "key-1")
    # When another report is filed under key-1, from a fresh read
    second = report("report-2", target=VIDEO)
    filing = filing_from(state_for(reports_store, second, "key-1"), second, "key-1")
    with pytest.raises(VersionConflict):
        reports_store.record_filing(filing)
    # Then the second report is not stored and the key keeps its first answer
    assert reports_store.get_report("report-2") is None
    assert state_for(reports_store, second, "key-1").key_use == filed_first.key_use


def test_filing_from_a_rate_window_that_changed_since_read_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a state read before another of the reporter's reports was filed
    late = report("report-2", target=VIDEO)
    stale = state_for(reports_store, late, "key-2")
    filed(reports_store, "report-1")
    # When a report is filed from the stale state
    with pytest.raises(VersionConflict):
        reports_store.record_filing(filing_from(stale, late, "key-2"))
    # Then nothing of it was written
    assert reports_store.get_report("report-2") is None
    assert [r.report_id for r in reports_store.reports_by("r-1", 10, None)[0]] == ["report-1"]


def test_filing_over_a_live_duplicate_guard_it_did_not_read_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a report on the comment, and a state for the same comment and reason that does not name its guard
    filed(reports_store, "report-1")
    again = report("report-2", at=NOW + timedelta(minutes=5))
    state = replace(state_for(reports_store, again, "key-2"), duplicate_of=None, duplicate_until=None)
    # When a second report is filed from it while the guard is live / Then it is refused
    with pytest.raises(VersionConflict):
        reports_store.record_filing(filing_from(state, again, "key-2"))
    assert reports_store.get_report("report-2") is None


def test_a_filing_may_replace_the_duplicate_guard_it_read(reports_store: ReportsStore) -> None:
    # Given a report on the comment (whose guard the service found decided)
    filed(reports_store, "report-1")
    # When a second report is filed from a state naming that guard
    again = report("report-2", at=NOW + timedelta(minutes=5))
    filing = file(reports_store, again, "key-2")
    # Then the guard now names the second report
    state = state_for(reports_store, again, "key-3")
    assert (state.duplicate_of, state.duplicate_until) == ("report-2", filing.duplicate_until)


def test_a_filing_may_replace_a_lapsed_duplicate_guard(reports_store: ReportsStore) -> None:
    # Given a guard that lapsed, and a state that does not name it
    filed(reports_store, "report-1")
    later = report("report-2", at=NOW + timedelta(hours=25))
    state = replace(state_for(reports_store, later, "key-2"), duplicate_of=None, duplicate_until=None)
    # When a report is filed from it / Then it is stored
    reports_store.record_filing(filing_from(state, later, "key-2"))
    assert reports_store.get_report("report-2") == later


def test_a_key_used_for_a_duplicate_is_remembered(reports_store: ReportsStore) -> None:
    use = KeyUse("fingerprint", 200, "report-1", NOW, ReportStatus.RECEIVED.value)
    reports_store.record_key_use("r-1", "key-2", use, NOW + timedelta(hours=24))
    assert reports_store.submission_state("report-2", "r-1", "key-2", COMMENT, "spam").key_use == use


def test_recording_a_taken_key_is_a_version_conflict_and_keeps_the_first_use(reports_store: ReportsStore) -> None:
    # Given a key used by a filing
    filing = file(reports_store, report("report-1"), "key-1")
    # When the key is recorded again for a duplicate
    use = KeyUse("other", 200, "report-0", NOW, ReportStatus.RECEIVED.value)
    with pytest.raises(VersionConflict):
        reports_store.record_key_use("r-1", "key-1", use, NOW + timedelta(hours=24))
    # Then it keeps the filing's answer
    assert state_for(reports_store, report("report-1"), "key-1").key_use == filing.key_use


def test_a_mute_reads_back_in_the_reporters_submission_state(reports_store: ReportsStore) -> None:
    mute = Mute(muted_until=NOW + timedelta(hours=2), reason="abuse", moderator_id="mod-1", muted_at=NOW)
    reports_store.set_mute("r-1", mute, NOW + timedelta(days=1))
    assert reports_store.submission_state("report-1", "r-1", "key-1", COMMENT, "spam").mute == mute
    assert reports_store.submission_state("report-1", "r-2", "key-1", COMMENT, "spam").mute is None


# -- a reporter's list ---------------------------------------------------------------------------------------------
def test_a_reporters_reports_are_listed_newest_first_as_soon_as_filed(reports_store: ReportsStore) -> None:
    # Given three reports filed a minute apart, and another reporter's
    for n in range(3):
        filed(reports_store, f"report-{n}", target=Target("comment", f"c-{n}"), at=NOW + timedelta(minutes=n))
    filed(reports_store, "theirs", "r-2")
    # When r-1's list is read / Then it holds their three, newest first, and no cursor
    assert reports_store.reports_by("r-1", 10, None) == (
        [read(reports_store, f"report-{n}") for n in (2, 1, 0)],
        None,
    )


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_a_reporters_list_yields_every_report_once_newest_first(reports_store: ReportsStore, limit: int) -> None:
    for n in range(5):
        filed(reports_store, f"report-{n}", target=Target("comment", f"c-{n}"), at=NOW + timedelta(seconds=n))
    listed = every_page(lambda size, cursor: reports_store.reports_by("r-1", size, cursor), limit)
    assert ids(listed) == [f"report-{n}" for n in (4, 3, 2, 1, 0)]


def test_a_reporters_list_reads_each_report_through_its_case(reports_store: ReportsStore) -> None:
    # Given a report that a case holds
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    # When the reporter's list is read / Then the report is in review in that case
    listed, _ = reports_store.reports_by("r-1", 10, None)
    assert [(r.status, r.case_id) for r in listed] == [(ReportStatus.IN_REVIEW, case.case_id)]


def test_a_list_cursor_does_not_page_another_reporters_list(reports_store: ReportsStore) -> None:
    for reporter in ("r-1", "r-2"):
        for n in range(2):
            filed(reports_store, f"{reporter}-{n}", reporter, target=Target("comment", f"c-{n}"))
    cursor = reports_store.reports_by("r-1", 1, None)[1]
    assert cursor is not None
    for other in ("r-2", "ghost"):
        with pytest.raises(InvalidCursor):
            reports_store.reports_by(other, 1, cursor)


def test_an_edited_or_malformed_list_cursor_is_refused(reports_store: ReportsStore) -> None:
    for n in range(2):
        filed(reports_store, f"report-{n}", target=Target("comment", f"c-{n}"))
    cursor = reports_store.reports_by("r-1", 1, None)[1]
    assert cursor is not None
    for bad in tampered(cursor):
        with pytest.raises(InvalidCursor):
            reports_store.reports_by("r-1", 1, bad)


_ELSEWHERE = [  # positions of the shape a store writes, but in another list
    {"pk": {"S": "REPORTER#r-2"}, "sk": {"S": "FILED#2026-11-25T12:00:00+00:00#report-1"}},
    {"pk": {"S": "REPORTER#r-1"}, "sk": {"S": "KEY#key-1"}},
]


@pytest.mark.parametrize(
    "position", REPORT_LIST_FORGERIES + _ELSEWHERE, ids=range(len(REPORT_LIST_FORGERIES + _ELSEWHERE))
)
def test_a_sealed_list_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    filed(reports_store, "report-1")
    with pytest.raises(InvalidCursor):
        reports_store.reports_by("r-1", 1, sealed(sealer, "reports:r-1", position))


# -- how a report reads through its case ---------------------------------------------------------------------------
def test_a_report_reads_in_review_once_a_case_holds_it(reports_store: ReportsStore) -> None:
    # Given a filed report / When a case takes it in
    new = filed(reports_store, "report-1")
    case = open_case(reports_store, "case-1", new)
    # Then it reads as in review in that case
    assert read(reports_store, "report-1") == replace(new, status=ReportStatus.IN_REVIEW, case_id=case.case_id)


def test_a_report_reads_decided_as_soon_as_its_case_is_decided(reports_store: ReportsStore) -> None:
    # Given a report in a case / When the case is decided, before any close-out
    new = filed(reports_store, "report-1")
    decision = decide(reports_store, open_case(reports_store, "case-1", new))
    # Then the report reads as decided by that decision
    assert read(reports_store, "report-1") == replace(
        new, status=ReportStatus.DECIDED, case_id="case-1", decision=decision
    )


def test_a_report_reads_decided_by_the_newest_decision_after_a_reversal(reports_store: ReportsStore) -> None:
    # Given a report whose case was decided and closed out
    new = filed(reports_store, "report-1")
    first = decide(reports_store, open_case(reports_store, "case-1", new))
    reports_store.mark_decided([new], first, NOW + timedelta(days=400))
    # When the decision is reversed
    reversal = reverse(reports_store, first, "d-2")
    # Then the report reads as decided by the reversal, before its close-out has run
    assert read(reports_store, "report-1").decision == reversal


def test_a_report_written_decided_by_an_older_decision_reads_the_newest(reports_store: ReportsStore) -> None:
    # Given a reversed decision, and the old decision's close-out finishing last
    new = filed(reports_store, "report-1")
    first = decide(reports_store, open_case(reports_store, "case-1", new))
    reversal = reverse(reports_store, first, "d-2")
    reports_store.mark_decided([new], reversal, NOW + timedelta(days=400))
    reports_store.mark_decided([new], first, NOW + timedelta(days=400))
    # When the report is read / Then it reads the case's current decision
    assert read(reports_store, "report-1").decision == reversal


# -- aggregation ---------------------------------------------------------------------------------------------------
def test_a_target_without_cases_has_an_empty_state(reports_store: ReportsStore) -> None:
    state = reports_store.target_state(COMMENT, [filed(reports_store, "report-1")])
    assert state == TargetState(latest_case=None, latest_case_id=None, held=frozenset())


def test_a_new_case_becomes_the_targets_latest(reports_store: ReportsStore) -> None:
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    state = reports_store.target_state(COMMENT, [])
    assert (state.latest_case, state.latest_case_id) == (case, "case-1")
    assert reports_store.get_case("case-1") == case


def test_the_target_state_says_which_of_the_given_reports_are_held(reports_store: ReportsStore) -> None:
    # Given one report held by a case and one not yet
    held = filed(reports_store, "report-1")
    waiting = filed(reports_store, "report-2", "r-2")
    open_case(reports_store, "case-1", held)
    # When the target's state is read for both / Then only the first is held
    assert reports_store.target_state(COMMENT, [held, waiting]).held == {"report-1"}


def test_reports_held_by_a_decided_case_stay_held(reports_store: ReportsStore) -> None:
    held = filed(reports_store, "report-1")
    decide(reports_store, open_case(reports_store, "case-1", held))
    state = reports_store.target_state(COMMENT, [held])
    assert state.held == {"report-1"}
    assert state.latest_case is not None and state.latest_case.decision_id == "d-1"


def test_adding_to_a_case_at_the_revision_read_updates_it(reports_store: ReportsStore) -> None:
    # Given a case with one report
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    # When a second report is added at the revision read
    second = filed(reports_store, "report-2", "r-2", priority=Priority.HIGH)
    grown = add_to(reports_store, case, second)
    # Then the case is the grown one, and it holds both reports
    assert reports_store.get_case("case-1") == grown
    assert reports_store.target_state(COMMENT, [second]).held == {"report-2"}
    assert read(reports_store, "report-2").case_id == "case-1"


def test_adding_to_a_case_from_a_stale_revision_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a case that grew after another writer read it
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    grown = add_to(reports_store, case, filed(reports_store, "report-2", "r-2"))
    # When the other writer adds its report from the stale revision
    late = filed(reports_store, "report-3", "r-3")
    with pytest.raises(VersionConflict):
        add_to(reports_store, case, late)
    # Then nothing of it was written
    assert reports_store.get_case("case-1") == grown
    assert reports_store.target_state(COMMENT, [late]).held == frozenset()
    assert [e.revision for e in reports_store.case_events("case-1")] == [1, 2]


def test_adding_to_a_decided_case_is_a_version_conflict(reports_store: ReportsStore) -> None:
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    decide(reports_store, case)
    late = filed(reports_store, "report-2", "r-2")
    with pytest.raises(VersionConflict):
        add_to(reports_store, case, late)
    assert read(reports_store, "report-2").status is ReportStatus.RECEIVED


def test_opening_a_case_while_another_is_the_latest_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a target whose latest case another writer opened after this one read the target
    open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    # When this writer opens its own case / Then it is refused, and the first stays the latest
    with pytest.raises(VersionConflict):
        open_case(reports_store, "case-2", filed(reports_store, "report-2", "r-2"))
    assert reports_store.get_case("case-2") is None
    assert reports_store.target_state(COMMENT, []).latest_case_id == "case-1"


def test_a_new_case_may_replace_the_decided_case_it_read(reports_store: ReportsStore) -> None:
    # Given a decided case
    decide(reports_store, open_case(reports_store, "case-1", filed(reports_store, "report-1")))
    # When a later report opens a new case in its place
    later = open_case(reports_store, "case-2", filed(reports_store, "report-2", "r-2"), replaces="case-1")
    # Then that is the target's latest case
    assert reports_store.target_state(COMMENT, []).latest_case == later


def test_replacing_a_case_that_is_no_longer_the_latest_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a decided case that another writer already replaced
    decide(reports_store, open_case(reports_store, "case-1", filed(reports_store, "report-1")))
    open_case(reports_store, "case-2", filed(reports_store, "report-2", "r-2"), replaces="case-1")
    # When this writer replaces the decided case too / Then it is refused
    with pytest.raises(VersionConflict):
        open_case(reports_store, "case-3", filed(reports_store, "report-3", "r-3"), replaces="case-1")
    assert reports_store.get_case("case-3") is None
    assert reports_store.target_state(COMMENT, []).latest_case_id == "case-2"


def test_opening_a_case_under_a_taken_id_is_a_version_conflict(reports_store: ReportsStore) -> None:
    first = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    with pytest.raises(VersionConflict):
        open_case(reports_store, "case-1", filed(reports_store, "report-2", target=VIDEO))
    assert reports_store.get_case("case-1") == first


def test_a_cases_events_come_in_the_order_they_happened(reports_store: ReportsStore) -> None:
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    grown = add_to(reports_store, case, filed(reports_store, "report-2", "r-2"))
    assert reports_store.case_events("case-1") == [reported(case), reported(grown)]
    assert reports_store.case_events("case-2") == []


def test_a_case_never_saved_reads_as_none(reports_store: ReportsStore) -> None:
    assert reports_store.get_case("nothing") is None


# -- the queue -----------------------------------------------------------------------------------------------------
def queue_of(store: ReportsStore, *cases: tuple[str, Priority, int]) -> None:
    """Cases (id, priority, minutes after NOW of the first report), each on its own target."""
    for case_id, priority, minutes in cases:
        at = NOW + timedelta(minutes=minutes)
        open_case(
            store, case_id, filed(store, f"r-{case_id}", target=Target("comment", case_id), at=at, priority=priority)
        )


def test_the_queue_lists_open_cases_most_urgent_first_then_oldest_first(reports_store: ReportsStore) -> None:
    queue_of(
        reports_store,
        ("normal-old", Priority.NORMAL, 0),
        ("low", Priority.LOW, -10),
        ("urgent", Priority.URGENT, 5),
        ("normal-new", Priority.NORMAL, 3),
        ("high", Priority.HIGH, 9),
    )
    cases, _ = reports_store.queue_page(10, None)
    assert ids(cases) == ["urgent", "high", "normal-old", "normal-new", "low"]


def test_the_queue_leaves_decided_cases_out(reports_store: ReportsStore) -> None:
    queue_of(reports_store, ("open", Priority.NORMAL, 0), ("decided", Priority.URGENT, 0))
    decide(reports_store, case_of(reports_store, "decided"))
    assert ids(every_page(reports_store.queue_page, 10)) == ["open"]


def test_a_case_moves_up_the_queue_when_a_more_urgent_report_joins_it(reports_store: ReportsStore) -> None:
    queue_of(reports_store, ("first", Priority.NORMAL, 0), ("second", Priority.NORMAL, 1))
    second = case_of(reports_store, "second")
    add_to(reports_store, second, filed(reports_store, "urgent", target=second.target, priority=Priority.URGENT))
    assert ids(every_page(reports_store.queue_page, 10)) == ["second", "first"]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7])
def test_paging_the_queue_yields_each_open_case_once_in_order(reports_store: ReportsStore, limit: int) -> None:
    # Given open cases in every priority, and decided ones among them
    queue_of(
        reports_store,
        *((f"{priority.label}-{n}", priority, n) for priority in Priority for n in range(2)),
        ("decided", Priority.HIGH, -1),
    )
    decide(reports_store, case_of(reports_store, "decided"))
    decide(reports_store, case_of(reports_store, "normal-0"), "d-2")
    # When the queue is paged / Then each open case comes once, most urgent first, then oldest first
    expected = [f"{p.label}-{n}" for p in Priority for n in range(2) if f"{p.label}-{n}" != "normal-0"]
    assert ids(every_page(reports_store.queue_page, limit)) == expected


def test_an_edited_or_malformed_queue_cursor_is_refused(reports_store: ReportsStore) -> None:
    queue_of(reports_store, ("a", Priority.NORMAL, 0), ("b", Priority.NORMAL, 1))
    cursor = reports_store.queue_page(1, None)[1]
    assert cursor is not None
    for bad in tampered(cursor):
        with pytest.raises(InvalidCursor):
            reports_store.queue_page(1, bad)


def test_a_cursor_of_another_list_does_not_page_the_queue(reports_store: ReportsStore) -> None:
    for n in range(2):
        filed(reports_store, f"report-{n}", target=Target("comment", f"c-{n}"))
    cursor = reports_store.reports_by("r-1", 1, None)[1]
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        reports_store.queue_page(1, cursor)


_QUEUE_POSITIONS = [*QUEUE_FORGERIES, {"p": 4, "k": None}, {"p": -1, "k": None}, {"p": "0", "k": None}]


@pytest.mark.parametrize("position", _QUEUE_POSITIONS, ids=range(len(_QUEUE_POSITIONS)))
def test_a_sealed_queue_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    queue_of(reports_store, ("a", Priority.NORMAL, 0))
    with pytest.raises(InvalidCursor):
        reports_store.queue_page(1, sealed(sealer, "queue", position))


_QUEUE_KEY = {"pk": {"S": "CASE#a"}, "sk": {"S": "CASE"}, "queue_pk": {"S": "Q#2"}, "queue_sk": {"S": "x#a"}}


def test_a_sealed_queue_position_with_a_fractional_priority_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer
) -> None:
    queue_of(reports_store, ("a", Priority.NORMAL, 0))
    with pytest.raises(InvalidCursor):
        reports_store.queue_page(1, sealed(sealer, "queue", {"p": 2.0, "k": _QUEUE_KEY}))


# -- decisions -----------------------------------------------------------------------------------------------------
def test_a_decision_at_the_revision_read_decides_the_case(reports_store: ReportsStore) -> None:
    # Given an open case / When it is decided at its revision
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    decision = decide(reports_store, case, affected="owner-1")
    # Then the case names the decision, and the decision reads back
    assert reports_store.get_case("case-1") == replace(case, decision_id="d-1", decided_at=decision.decided_at)
    assert reports_store.get_decision("d-1") == decision


def test_a_decision_from_a_stale_revision_is_a_version_conflict_and_writes_nothing(
    reports_store: ReportsStore,
) -> None:
    # Given a case that gained a report after the moderator read it
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    grown = add_to(reports_store, case, filed(reports_store, "report-2", "r-2"))
    # When the moderator decides the revision they read
    with pytest.raises(VersionConflict):
        decide(reports_store, case)
    # Then the case is still open and no decision exists
    assert reports_store.get_case("case-1") == grown
    assert reports_store.get_decision("d-1") is None


def test_deciding_a_decided_case_is_a_version_conflict_and_keeps_the_first_decision(
    reports_store: ReportsStore,
) -> None:
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    first = decide(reports_store, case)
    with pytest.raises(VersionConflict):
        decide(reports_store, case, "d-2", outcome=ACTION_TAKEN)
    assert case_of(reports_store, "case-1").decision_id == first.decision_id
    assert reports_store.get_decision("d-2") is None


def test_deciding_a_case_that_does_not_exist_is_a_version_conflict(reports_store: ReportsStore) -> None:
    ghost = opened_case("ghost", [report("report-1")])
    with pytest.raises(VersionConflict):
        decide(reports_store, ghost)
    assert reports_store.get_decision("d-1") is None


def test_a_decision_never_made_reads_as_none(reports_store: ReportsStore) -> None:
    assert reports_store.get_decision("nothing") is None


def test_a_reversal_becomes_the_cases_decision_and_marks_the_old_one_superseded(reports_store: ReportsStore) -> None:
    # Given a decided case / When its decision is reversed
    first = decide(reports_store, open_case(reports_store, "case-1", filed(reports_store, "report-1")))
    reversal = reverse(reports_store, first, "d-2")
    # Then the case names the reversal, which reads back, and the old decision stays, superseded
    case = case_of(reports_store, "case-1")
    assert (case.decision_id, case.decided_at) == ("d-2", reversal.decided_at)
    assert reports_store.get_decision("d-2") == reversal
    assert reports_store.get_decision("d-1") == replace(first, superseded_by="d-2")


def test_reversing_a_decision_that_is_no_longer_the_cases_is_a_version_conflict(reports_store: ReportsStore) -> None:
    # Given a decision already reversed once
    first = decide(reports_store, open_case(reports_store, "case-1", filed(reports_store, "report-1")))
    reverse(reports_store, first, "d-2")
    # When it is reversed again / Then it is refused and the first reversal stands
    with pytest.raises(VersionConflict):
        reverse(reports_store, first, "d-3", outcome=NO_VIOLATION)
    assert case_of(reports_store, "case-1").decision_id == "d-2"
    assert reports_store.get_decision("d-3") is None


def test_reversing_the_decision_of_an_open_case_is_a_version_conflict(reports_store: ReportsStore) -> None:
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    with pytest.raises(VersionConflict):
        reverse(reports_store, decision_on(case, "d-1"), "d-2")
    assert case_of(reports_store, "case-1").is_open


def decided_for(store: ReportsStore, account: str, count: int) -> list[Decision]:
    """`count` decisions addressed to `account`, an hour apart, each on its own case."""
    decisions = []
    for n in range(count):
        target = Target("video", f"{account}-{n}")
        case = open_case(store, f"{account}-case-{n}", filed(store, f"{account}-report-{n}", target=target))
        at = NOW + timedelta(hours=n + 1)
        decisions.append(decide(store, case, f"{account}-d-{n}", outcome=ACTION_TAKEN, at=at, affected=account))
    return decisions


def test_decisions_for_an_account_come_newest_first_and_only_its_own(reports_store: ReportsStore) -> None:
    mine = decided_for(reports_store, "owner-1", 3)
    decided_for(reports_store, "owner-2", 1)
    decide(reports_store, open_case(reports_store, "case-x", filed(reports_store, "report-x")), "unaddressed")
    assert reports_store.decisions_for("owner-1", 10, None) == (mine[::-1], None)


def test_a_reversal_addressed_to_an_account_is_listed_before_the_decision_it_replaced(
    reports_store: ReportsStore,
) -> None:
    (first,) = decided_for(reports_store, "owner-1", 1)
    case = case_of(reports_store, first.case_id)
    reversal = decision_on(
        case,
        "d-2",
        NO_VIOLATION,
        at=first.decided_at + timedelta(days=1),
        affected="owner-1",
        supersedes=first.decision_id,
    )
    reverse_on_appeal(reports_store, reversal)
    assert ids(reports_store.decisions_for("owner-1", 10, None)[0]) == ["d-2", first.decision_id]


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_paging_an_accounts_decisions_yields_each_once_newest_first(reports_store: ReportsStore, limit: int) -> None:
    mine = decided_for(reports_store, "owner-1", 4)
    listed = every_page(lambda size, cursor: reports_store.decisions_for("owner-1", size, cursor), limit)
    assert listed == mine[::-1]


def test_a_decisions_cursor_does_not_page_another_accounts_decisions(reports_store: ReportsStore) -> None:
    decided_for(reports_store, "owner-1", 2)
    decided_for(reports_store, "owner-2", 2)
    cursor = reports_store.decisions_for("owner-1", 1, None)[1]
    assert cursor is not None
    for other in ("owner-2", "ghost"):
        with pytest.raises(InvalidCursor):
            reports_store.decisions_for(other, 1, cursor)
    for bad in tampered(cursor):
        with pytest.raises(InvalidCursor):
            reports_store.decisions_for("owner-1", 1, bad)


_DECISION_POSITIONS = [
    *GENERIC_FORGERIES,
    ["2026-11-25T12:00:00+00:00", ""],
    ["not a time", "d-1"],
    {
        "pk": {"S": "DECISION#d"},
        "sk": {"S": "DECISION"},
        "affected_pk": {"S": "ACCOUNT#owner-2"},
        "affected_sk": {"S": "x"},
    },
    {"pk": {"S": "DECISION#d"}, "sk": {"S": "DECISION"}},
]


@pytest.mark.parametrize("position", _DECISION_POSITIONS, ids=range(len(_DECISION_POSITIONS)))
def test_a_sealed_decisions_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    decided_for(reports_store, "owner-1", 1)
    with pytest.raises(InvalidCursor):
        reports_store.decisions_for("owner-1", 1, sealed(sealer, "decisions:owner-1", position))


# -- transparency statements ---------------------------------------------------------------------------------------
def decided_at(store: ReportsStore, *moments: datetime) -> list[str]:
    """A decision with a statement at each moment; returns their ids."""
    made = []
    for n, at in enumerate(moments):
        case = open_case(store, f"case-{n}", filed(store, f"report-{n}", target=Target("video", f"v-{n}")))
        made.append(decide(store, case, f"d-{n}", outcome=ACTION_TAKEN, at=at, affected="owner-1").decision_id)
    return made


def test_statements_are_those_of_decisions_made_in_the_range_oldest_first(reports_store: ReportsStore) -> None:
    # Given decisions before, at the start of, inside, at the end of and after a range over two day boundaries
    day = datetime(2026, 11, 25, tzinfo=UTC)
    since, until = day + timedelta(hours=12), day + timedelta(days=2, hours=12)
    decided_at(
        reports_store,
        since - timedelta(microseconds=1),
        day + timedelta(days=2),
        since,
        day + timedelta(days=1, hours=23, minutes=59),
        until - timedelta(microseconds=1),
        until,
    )
    # When the range's statements are read / Then they are those in [since, until), oldest first
    records, cursor = reports_store.statements(since, until, 10, None)
    assert records == [statement(d) for d in ("d-2", "d-3", "d-1", "d-4")]
    assert cursor is None


def test_a_decision_without_a_statement_is_not_listed(reports_store: ReportsStore) -> None:
    decide(reports_store, open_case(reports_store, "case-1", filed(reports_store, "report-1")))
    assert reports_store.statements(NOW, NOW + timedelta(days=1), 10, None) == ([], None)


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_paging_statements_yields_each_once_oldest_first(reports_store: ReportsStore, limit: int) -> None:
    made = decided_at(reports_store, *(NOW + timedelta(hours=11 * n) for n in range(5)))
    records = every_page(
        lambda size, cursor: reports_store.statements(NOW, NOW + timedelta(days=3), size, cursor), limit
    )
    assert records == [statement(d) for d in made]


def test_a_statements_cursor_does_not_page_another_range(reports_store: ReportsStore) -> None:
    decided_at(reports_store, NOW, NOW + timedelta(hours=1))
    cursor = reports_store.statements(NOW, NOW + timedelta(days=1), 1, None)[1]
    assert cursor is not None
    with pytest.raises(InvalidCursor):
        reports_store.statements(NOW, NOW + timedelta(days=2), 1, cursor)
    for bad in tampered(cursor):
        with pytest.raises(InvalidCursor):
            reports_store.statements(NOW, NOW + timedelta(days=1), 1, bad)


_STATEMENT_POSITIONS = [*GENERIC_FORGERIES, {"d": 5, "k": None}, {"d": "not a day", "k": None}, ["x", "d-1"]]


@pytest.mark.parametrize("position", _STATEMENT_POSITIONS, ids=range(len(_STATEMENT_POSITIONS)))
def test_a_sealed_statements_position_of_the_wrong_shape_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    since, until = NOW, NOW + timedelta(days=1)
    decided_at(reports_store, NOW)
    with pytest.raises(InvalidCursor):
        reports_store.statements(
            since, until, 1, sealed(sealer, f"statements:{since.isoformat()}:{until.isoformat()}", position)
        )


_OUT_OF_RANGE = [
    # a position in the next day's partition, handed over as one in the first day's
    {
        "d": "2026-11-25",
        "k": {
            "pk": {"S": "DECISION#d-1"},
            "sk": {"S": "DECISION"},
            "stmt_pk": {"S": "STMT#2026-11-26"},
            "stmt_sk": {"S": "2026-11-26T12:00:00+00:00#d-1"},
        },
    },
    {"d": "2026-11-01", "k": None},  # a day before the range: every day from it would be queried
]


@pytest.mark.parametrize("position", _OUT_OF_RANGE, ids=["foreign-partition", "day-before-range"])
def test_a_sealed_statements_position_outside_its_range_is_refused(
    reports_store: ReportsStore, sealer: CursorSealer, position: Any
) -> None:
    since, until = NOW, NOW + timedelta(days=2)
    decided_at(reports_store, NOW, NOW + timedelta(days=1))
    with pytest.raises(InvalidCursor):
        reports_store.statements(
            since, until, 5, sealed(sealer, f"statements:{since.isoformat()}:{until.isoformat()}", position)
        )


def test_changing_a_statement_passed_in_or_read_does_not_change_what_is_stored(reports_store: ReportsStore) -> None:
    # Given a decision recorded with a statement the caller still holds
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    record = statement("d-1")
    decision = decision_on(case, "d-1", ACTION_TAKEN, at=NOW, affected="o-1")
    reports_store.record_decision(decision, 1, record, decided_event(decision, 1))
    # When the caller edits it, and the copy it reads back
    record["category"] = "edited"
    reports_store.statements(NOW, NOW + timedelta(days=1), 10, None)[0][0]["category"] = "edited too"
    # Then the stored statement is unchanged
    assert reports_store.statements(NOW, NOW + timedelta(days=1), 10, None)[0] == [statement("d-1")]


# -- close-out -----------------------------------------------------------------------------------------------------
def test_a_cases_reports_are_those_it_holds_as_stored(reports_store: ReportsStore) -> None:
    # Given a case grown from two reports, and another target's case
    first, second = filed(reports_store, "report-1"), filed(reports_store, "report-2", "r-2")
    case = add_to(reports_store, open_case(reports_store, "case-1", first), second)
    open_case(reports_store, "case-2", filed(reports_store, "report-3", target=VIDEO))
    # When its reports are read / Then they are its two, as filed
    assert sorted(reports_store.case_reports(case), key=lambda r: r.report_id) == [first, second]


def test_a_case_spanning_days_holds_every_report_and_shares_no_minute_with_the_next_case(
    reports_store: ReportsStore,
) -> None:
    # Given a case grown over three days, decided, and the next case opened in its last minute
    spread = [filed(reports_store, f"report-{n}", f"r-{n}", at=NOW + timedelta(days=n, seconds=n)) for n in range(4)]
    case = open_case(reports_store, "case-1", spread[0])
    for later in spread[1:]:
        case = add_to(reports_store, case, later)
    decision = decide(reports_store, case)
    late = filed(reports_store, "report-late", "r-9", at=NOW + timedelta(days=3, seconds=30))
    open_case(reports_store, "case-2", late, replaces="case-1")
    # When the first case's reports are read / Then they are its four, and the next case's report is not one of them
    assert sorted(reports_store.case_reports(case), key=lambda r: r.report_id) == spread
    reports_store.finish_decision(decision, case_of(reports_store, "case-1"), NOW + timedelta(days=400))
    assert reports_store.case_reports(case_of(reports_store, "case-2")) == [late]


def test_a_case_holds_twenty_thousand_reports_received_in_one_minute(reports_store: ReportsStore) -> None:
    # Given 20,000 reports on one target within one minute: more ids than one 400 KB item holds
    burst = [report(f"report-{n:05d}-{'x' * 20}", f"r-{n}", at=NOW + timedelta(microseconds=n)) for n in range(20_000)]
    # When one case takes them all, and is decided and finished
    case = open_case(reports_store, "case-1", *burst)
    decision = decide(reports_store, case)
    reports_store.finish_decision(decision, case_of(reports_store, "case-1"), NOW + timedelta(days=400))
    # Then the target's state holds every one of them, once
    assert reports_store.target_state(COMMENT, burst[:100]).held == {r.report_id for r in burst[:100]}
    assert reports_store.target_state(COMMENT, burst[-100:]).held == {r.report_id for r in burst[-100:]}
    assert case_of(reports_store, "case-1").report_count == 20_000


def test_marking_reports_decided_writes_the_decision_onto_them_and_may_be_repeated(
    reports_store: ReportsStore,
) -> None:
    # Given a decided case's reports
    new = filed(reports_store, "report-1")
    case = open_case(reports_store, "case-1", new)
    decision = decide(reports_store, case)
    # When they are marked decided, twice
    for _ in range(2):
        reports_store.mark_decided(reports_store.case_reports(case), decision, NOW + timedelta(days=400))
    # Then each reads decided, as stored and as read, and is listed once
    decided = replace(new, status=ReportStatus.DECIDED, case_id="case-1", decision=decision)
    assert reports_store.case_reports(case) == [decided]
    assert reports_store.reports_by("r-1", 10, None) == ([decided], None)


def test_an_unfounded_outcome_counts_once_per_decision(reports_store: ReportsStore) -> None:
    # Given a no_violation decision
    case = open_case(reports_store, "case-1", filed(reports_store, "report-1"))
    decision = decide(reports_store, case)
    # When it is counted against the reporters twice (a repeated close-out), naming one reporter twice
    for _ in range(2):
        reports_store.record_unfounded(["r-1", "r-2", "r-1"], decision, WINDOW_DAYS)
    # Then each reporter has it once, at the decision's time
    assert unfounded_of(reports_store, "r-1") == {"d-1": decision.decided_at}
    assert unfounded_of(reports_store, "r-2") == {"d-1": decision.decided_at}
    assert unfounded_of(reports_store, "r-3") == {}


def test_counting_an_unfounded_outcome_drops_those_past_the_window(reports_store: ReportsStore) -> None:
    # Given outcomes counted 31 and 29 days before a new one
    case = opened_case("case-1", [report("report-1")])
    new_at = NOW + timedelta(days=60)
    for decision_id, days in (("lapsed", WINDOW_DAYS + 1), ("recent", WINDOW_DAYS - 1), ("edge", WINDOW_DAYS)):
        reports_store.record_unfounded(
            ["r-1"], decision_on(case, decision_id, at=new_at - timedelta(days=days)), WINDOW_DAYS
        )
    # When the new one is counted / Then only those inside the window are kept with it
    reports_store.record_unfounded(["r-1"], decision_on(case, "new", at=new_at), WINDOW_DAYS)
    assert unfounded_of(reports_store, "r-1") == {
        "recent": new_at - timedelta(days=WINDOW_DAYS - 1),
        "new": new_at,
    }


def test_withdrawing_an_unfounded_outcome_removes_only_that_one(reports_store: ReportsStore) -> None:
    case = opened_case("case-1", [report("report-1")])
    for decision_id in ("d-1", "d-2"):
        reports_store.record_unfounded(["r-1", "r-2"], decision_on(case, decision_id), WINDOW_DAYS)
    reports_store.withdraw_unfounded(["r-1", "r-3"], "d-1")
    assert set(unfounded_of(reports_store, "r-1")) == {"d-2"}
    assert set(unfounded_of(reports_store, "r-2")) == {"d-1", "d-2"}
    assert unfounded_of(reports_store, "r-3") == {}


def test_finishing_a_decision_changes_nothing_the_port_reads_and_may_be_repeated(
    reports_store: ReportsStore,
) -> None:
    # Given a decided, closed-out case
    new = filed(reports_store, "report-1")
    case = open_case(reports_store, "case-1", new)
    decision = decide(reports_store, case, affected="owner-1")
    reports_store.mark_decided([new], decision, NOW + timedelta(days=400))

    def seen() -> tuple[Any, ...]:
        return (
            reports_store.get_report("report-1"),
            reports_store.get_case("case-1"),
            reports_store.case_events("case-1"),
            reports_store.get_decision("d-1"),
            reports_store.target_state(COMMENT, [new]),
            reports_store.case_reports(case_of(reports_store, "case-1")),
            reports_store.decisions_for("owner-1", 10, None)[0],
            reports_store.queue_page(10, None)[0],
        )

    before = seen()
    # When the decision is finished, twice
    for _ in range(2):
        reports_store.finish_decision(decision, case_of(reports_store, "case-1"), NOW + timedelta(days=400))
    # Then everything reads as before
    assert seen() == before
