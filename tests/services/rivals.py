"""Fakes that lose races on purpose: just before each of the next writes, a rival's write lands first.

A rival is any callable; what it writes goes through the same store (its own writes are never raced), so the write
that follows sees the store as a real race would leave it.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.models import Account, AuditEvent
from chalicelib.services.ports import VersionConflict
from tests.fakes import FakeSettingsStore

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
