"""Fakes that lose races on purpose: just before each of the next writes, a rival's write lands first.

A rival is any callable; what it writes goes through the same store (its own writes are never raced), so the write
that follows sees the store as a real race would leave it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.domain.models import Account, AuditEvent
from chalicelib.domain.reports import Decision, RateWindow, Report
from chalicelib.services.ports import SubmissionState, VersionConflict
from tests.fakes import FakeReportsStore, FakeSettingsStore

Rival = Callable[[], object]


class _Rivals:
    def __init__(self) -> None:
        self.rivals: list[Rival] = []
        self.attempts = 0
        self.conflicts = 0
        self._racing = False

    def land_first(self, *rivals: Rival) -> None:
        """Each of the next writes is preceded by the next of these."""
        self.rivals += rivals

    def _race(self) -> bool:
        """Runs the next rival, if any; False when this write is itself a rival's (not raced, not counted)."""
        if self._racing:
            return False
        self.attempts += 1
        if self.rivals:
            self._racing = True
            try:
                self.rivals.pop(0)()
            finally:
                self._racing = False
        return True


class RacedSettingsStore(FakeSettingsStore, _Rivals):
    def __init__(self) -> None:
        FakeSettingsStore.__init__(self)
        _Rivals.__init__(self)

    def apply_change(self, account: Account, read_version: int, event: AuditEvent) -> None:
        counted = self._race()
        try:
            super().apply_change(account, read_version, event)
        except VersionConflict:
            self.conflicts += counted
            raise


class RacedReportsStore(FakeReportsStore, _Rivals):
    """Races the writes of reports; `refuse_decisions` makes every decision lose (a competing write each time)."""

    def __init__(self) -> None:
        FakeReportsStore.__init__(self)
        _Rivals.__init__(self)
        self.refuse_decisions = False
        self.decision_attempts = 0

    def record_report(
        self, report: Report, state: SubmissionState, rate: RateWindow, duplicate_until: datetime, now: datetime
    ) -> None:
        counted = self._race()
        try:
            super().record_report(report, state, rate, duplicate_until, now)
        except VersionConflict:
            self.conflicts += counted
            raise

    def record_decision(self, decision: Decision, retention_until: datetime) -> int:
        self.decision_attempts += 1
        if self.refuse_decisions:
            raise VersionConflict()
        return super().record_decision(decision, retention_until)
