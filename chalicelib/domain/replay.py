"""Replaying an account's history (the events as the history route and the export show them) into the record they
produce: proof, when it equals the account's line, that the history is complete and unaltered.

Each event's changes must start from the value the replay holds (`from`), versions must run 1, 2, 3... from the
sign-up's `defaults_applied`, and the facts an event carries (band, age, place, deactivation) replace the replay's.
`policy_version` is not replayed: a migration that changes nothing re-stamps an account without an event (so that a
policy update writes no history for accounts it does not touch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The fields of an account's line a replay reproduces.
REPLAYED = (
    "age_band",
    "age_assurance",
    "restricted",
    "deactivation",
    "jurisdiction",
    "version",
    "created_at",
    "updated_at",
)


@dataclass
class Replay:
    account_id: str
    version: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def apply(self, event: Mapping[str, Any]) -> None:
        version = event.get("version")
        if version != self.version + 1:
            self.problems.append(f"event version {version} follows version {self.version}")
        if self.version == 0 and event.get("kind") != "defaults_applied":
            self.problems.append(f"history starts with {event.get('kind')}, not the sign-up's defaults_applied")
        self.version = version if isinstance(version, int) else self.version + 1
        self._changes(event)
        self._facts(event)

    def _changes(self, event: Mapping[str, Any]) -> None:
        for change in event.get("changes") or ():
            name = change["setting"]
            if self.settings.get(name) != change.get("from"):
                self.problems.append(
                    f"version {self.version}: {name} changes from {change.get('from')!r}, "
                    f"but the history before it left {self.settings.get(name)!r}"
                )
            self.settings[name] = change.get("to")

    def _facts(self, event: Mapping[str, Any]) -> None:
        facts = self.facts
        facts.setdefault("created_at", event.get("at"))
        facts["updated_at"] = event.get("at")
        facts["version"] = self.version
        facts["age_band"] = event.get("age_band")
        facts.setdefault("restricted", False)
        facts.setdefault("deactivation", None)
        self._deactivation(event.get("deactivation"))
        age = event.get("age")
        if age:
            facts["age_assurance"] = age.get("assurance")
            facts["restricted"] = bool(age.get("restricted"))
        move = event.get("move")
        if move:
            after = move.get("after") or {}
            facts["jurisdiction"] = {"country": after.get("country"), "subdivision": after.get("subdivision")}

    def _deactivation(self, deactivation: Mapping[str, Any] | None) -> None:
        if not deactivation:
            return
        state = deactivation.get("state")
        if state == "lifted":
            if self.facts.get("deactivation") == "deactivated":  # its restriction goes with it
                self.facts["restricted"] = False
            self.facts["deactivation"] = None
            return
        self.facts["deactivation"] = state
        if state == "deactivated":
            self.facts["restricted"] = True

    def differences(self, line: Mapping[str, Any]) -> list[str]:
        """How `line` (the account's line in the export) differs from what the history produces."""
        found = list(self.problems)
        for name in REPLAYED:
            if self.facts.get(name) != line.get(name):
                found.append(f"{name}: the line says {line.get(name)!r}, the history {self.facts.get(name)!r}")
        unset = set(line.get("unset") or ())
        stored = {name: value for name, value in (line.get("settings") or {}).items() if name not in unset}
        for name in sorted(stored.keys() | self.settings.keys()):
            if stored.get(name, _MISSING) != self.settings.get(name, _MISSING):
                found.append(
                    f"settings.{name}: the line says {stored.get(name)!r}, the history {self.settings.get(name)!r}"
                )
        return found


_MISSING = object()


def replay(account_id: str, events: Iterable[Mapping[str, Any]]) -> Replay:
    """The record `events` (oldest first) produce."""
    state = Replay(account_id)
    for event in events:
        state.apply(event)
    return state
