"""The same random sequence of operations, run on a fake and on its DynamoDB adapter, reads back the same.

The hand-written contract tests pin each promise; these look for what they did not think of. Operations include
races: a submission state read now and recorded after other writes, a round read now and decided later. Each step
must succeed or fail with `VersionConflict` on both alike, and at the end everything a service can read is equal.
The clock only moves forward: for reports written out of the order of their times, a queue item's first and last
report times are the earliest and latest on the fake but the first and last written on the adapter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

pytest.importorskip("hypothesis")  # installed by hand until it is a declared dev dependency

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.reports import Decision, Priority, Report, StatementOfReasons, Target
from chalicelib.services.ports import Mute, ReportsStore, SubmissionState, VersionConflict
from chalicelib.store.cursors import CursorSealer
from tests.contract.conftest import CURSOR_KEY, dynamodb
from tests.fakes import FakeReportsStore

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REPORTERS = ["r-0", "r-1", "r-2"]
TARGETS = [Target("comment", "c-0"), Target("video", "v-0")]
REASONS = ["spam", "hate"]
SINCE = START - timedelta(days=30)

reporter = st.sampled_from(REPORTERS)
target = st.sampled_from(TARGETS)
slot = st.integers(0, 1)
outcome = st.sampled_from(["no_violation", "action_taken"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("report"), reporter, target, st.sampled_from(REASONS), st.sampled_from(list(Priority))),
        st.tuples(st.just("read"), slot, reporter, target, st.sampled_from(REASONS)),
        st.tuples(st.just("record"), slot, st.sampled_from(list(Priority))),
        st.tuples(st.just("decide"), target, outcome),
        st.tuples(st.just("read_round"), st.just(0), target),
        st.tuples(st.just("decide_read"), st.just(0), outcome),
        st.tuples(st.just("close_out"), target),
        st.tuples(st.just("mute"), reporter, st.integers(1, 48)),
        st.tuples(st.just("wait"), st.integers(1, 26 * 60)),
    ),
    max_size=20,
)


class Run:
    """One backend's side of a sequence: its store, its read states and rounds, and the ids it made (the same on
    both sides, since they come from the same counter)."""

    def __init__(self, store: ReportsStore) -> None:
        self.store = store
        self.states: dict[int, tuple[str, Target, str, SubmissionState]] = {}
        self.rounds: dict[int, tuple[Target, str]] = {}

    def step(self, operation: tuple[Any, ...], now: datetime, serial: int) -> Any:
        """What the operation returned, or the name of what it raised."""
        try:
            return getattr(self, operation[0])(*operation[1:], now=now, serial=serial)
        except VersionConflict:
            return "VersionConflict"

    def report(self, reporter: str, target: Target, reason: str, priority: Priority, **at: Any) -> Any:
        self.read(0, reporter, target, reason, **at)
        return self.record(0, priority, **at)

    def read(self, slot: int, reporter: str, target: Target, reason: str, **_: Any) -> Any:
        state = self.store.submission_state("none", reporter, target, reason, SINCE, 3)
        self.states[slot] = (reporter, target, reason, state)
        return state

    def record(self, slot: int, priority: Priority, now: datetime, serial: int) -> Any:
        if slot not in self.states:
            return None
        reporter, target, reason, state = self.states[slot]
        report = Report(
            report_id=f"report-{serial}",
            reporter_id=reporter,
            target=target,
            claimed_owner_id=None,
            reason=reason,
            details=None,
            evidence_ids=(),
            received_at=now,
            priority=priority,
            flags=frozenset(),
            round_id=state.open_round.round_id if state.open_round else f"round-{serial}",
        )
        self.store.record_report(report, state, state.rate.with_report(now, 20), now + timedelta(hours=24), now)
        return report.report_id

    def read_round(self, slot: int, target: Target, **_: Any) -> Any:
        open_round = self.store.open_round(target)
        self.rounds.pop(slot, None)
        if open_round is not None:
            self.rounds[slot] = (target, open_round.round_id)
        return open_round

    def decide(self, target: Target, outcome: str, now: datetime, serial: int) -> Any:
        """Decides the target's round as it is now."""
        self.read_round(2, target)
        return self.decide_read(2, outcome, now=now, serial=serial)

    def decide_read(self, slot: int, outcome: str, now: datetime, serial: int) -> Any:
        """Decides the round read earlier (since decided, or reopened, it is refused)."""
        if slot not in self.rounds:
            return None
        target, round_id = self.rounds.pop(slot)
        decision = Decision(
            decision_id=f"decision-{serial}",
            target=target,
            round_id=round_id,
            outcome=outcome,
            action=None if outcome == "no_violation" else "remove_content",
            statement=StatementOfReasons(facts="f", ground="g", automated=False, redress="r"),
            moderator_id="m-1",
            decided_at=now,
        )
        return self.store.record_decision(decision, now + timedelta(days=400))

    def close_out(self, target: Target, now: datetime, **_: Any) -> Any:
        """What a decision's close-out does, for every unfinished decision on the target."""
        closed = []
        for decision in sorted(self.store.unfinished_decisions(target), key=lambda d: d.decision_id):
            reports = self.store.reports_in_round(target, decision.round_id)
            self.store.mark_decided(reports, decision, now + timedelta(days=400))
            if decision.outcome == "no_violation":
                self.store.record_unfounded([r.reporter_id for r in reports], decision, now + timedelta(days=30))
            self.store.finish_decision(decision)
            closed.append((decision.decision_id, sorted(r.report_id for r in reports)))
        return closed

    def mute(self, reporter: str, hours: int, now: datetime, **_: Any) -> Any:
        mute = Mute(muted_until=now + timedelta(hours=hours), reason="r", moderator_id="m-1", muted_at=now)
        self.store.set_mute(reporter, mute, mute.muted_until + timedelta(days=1))
        return None

    def wait(self, minutes: int, **_: Any) -> Any:
        return None

    def everything(self, report_ids: list[str]) -> dict[str, Any]:
        """All a service can read back, with list orders a store does not promise taken out."""
        store = self.store
        seen: dict[str, Any] = {"queue": paged(lambda cursor: store.queue_page(2, cursor))}
        for name in REPORTERS:
            seen[f"reports of {name}"] = [
                as_read(r) for r in paged(lambda cursor, name=name: store.reports_by(name, 2, cursor))
            ]
            for target in TARGETS:
                for reason in REASONS:
                    seen[f"state {name} {target} {reason}"] = store.submission_state(
                        "none", name, target, reason, SINCE, 3
                    )
        for target in TARGETS:
            seen[f"open {target}"] = store.open_round(target)
            seen[f"unfinished {target}"] = sorted(store.unfinished_decisions(target), key=lambda d: d.decision_id)
        for report_id in report_ids:
            report = store.get_report(report_id)
            seen[report_id] = None if report is None else as_read(report)
            if report is not None:
                in_round = store.reports_in_round(report.target, report.round_id)
                seen[f"round of {report_id}"] = sorted((r.report_id, r.status) for r in in_round)
        return seen


def paged(page: Any) -> list[Any]:
    items: list[Any] = []
    cursor = None
    while True:
        found, cursor = page(cursor)
        items += found
        if cursor is None:
            return items


def as_read(report: Report) -> Report:
    return replace(report, claim_names_an_account=False)


@contextmanager
def both() -> Iterator[tuple[Run, Run]]:
    from chalicelib.store.reports_store import ReportsStore as DynamoReportsStore
    from infra.tables import REPORTS

    sealer = CursorSealer(CURSOR_KEY)
    with dynamodb() as client:
        yield Run(FakeReportsStore(sealer)), Run(DynamoReportsStore(REPORTS.default_name, lambda: client, sealer))


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(operations=OPERATIONS)
def test_a_sequence_of_reports_races_and_decisions_reads_back_the_same_on_the_fake_and_on_dynamodb(
    operations: list[tuple[Any, ...]],
) -> None:
    now = START
    report_ids = []
    with both() as (fake, adapter):
        for serial, operation in enumerate(operations):
            if operation[0] == "wait":
                now += timedelta(minutes=operation[1])
            else:
                now += timedelta(seconds=1)
            results = [run.step(operation, now, serial) for run in (fake, adapter)]
            assert results[0] == results[1], (serial, operation)
            if operation[0] in ("report", "record") and isinstance(results[0], str) and results[0] != "VersionConflict":
                report_ids.append(results[0])
        assert fake.everything(report_ids) == adapter.everything(report_ids)
