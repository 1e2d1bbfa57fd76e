"""Compliance exports as pure functions: an account's line, the conformance check, the tally a segment keeps and the
manifest the finaliser writes from the tallies of every segment.

A line never holds a birth date, a band-end day or anything they could be computed from (no sealed value, no month):
only the band, how the age is known, the restriction, where the account lives and its settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from chalicelib.domain.models import Account, AgeFacts, AuditEvent, Deactivation, GuardianFacts, Place
from chalicelib.policy import Rules, SettingValue
from chalicelib.policy.loader import same_value

ACCOUNTS_FILE = "accounts.jsonl.gz"
HISTORY_FILE = "history.jsonl.gz"
STATEMENTS_FILE = "statements.jsonl.gz"
MANIFEST_FILE = "manifest.json"
REPORT_FILE = "report.html"
# The first day the service could have decided anything: a statements window without a start begins here.
SERVICE_EPOCH = date(2025, 1, 1)
# A manifest lists at most this many violations (and says how many there were): expected to be none.
MAX_VIOLATIONS_LISTED = 10_000


class ExportStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class ExportRequest:
    """What an auditor asked for: the history too, and the window (days, inclusive) of history and statements."""

    include_history: bool
    history_from: date | None = None
    history_to: date | None = None

    def window(self, today: date) -> tuple[date, date]:
        return self.history_from or SERVICE_EPOCH, self.history_to or today

    def covers_creation(self, today: date) -> bool:
        """Whether the history runs from every account's creation to the request (so a replay can prove it
        complete)."""
        reaches_today = self.history_to is None or self.history_to >= today
        return self.include_history and self.history_from is None and reaches_today

    def as_dict(self) -> dict[str, Any]:
        return {
            "include_history": self.include_history,
            "history_from": None if self.history_from is None else self.history_from.isoformat(),
            "history_to": None if self.history_to is None else self.history_to.isoformat(),
        }


@dataclass(frozen=True)
class Export:
    """An export's record: who asked for what and when (never changed), and how far it has got."""

    export_id: str
    requested_by: str
    requested_at: datetime
    request: ExportRequest
    policy_version: str  # the policy in force when it was asked for: the one conformance is checked against
    segments: int
    status: ExportStatus = ExportStatus.RUNNING
    done: frozenset[int] = frozenset()  # the segments counted done
    accounts: int = 0
    events: int = 0
    failure: str | None = None
    completed_at: datetime | None = None
    last_error: str | None = None  # the latest failure of a part (retried; the reason if the export fails)

    @property
    def segments_done(self) -> int:
        return len(self.done)

    @property
    def all_done(self) -> bool:
        return len(self.done) == self.segments


def value_key(value: SettingValue) -> str:
    """A setting's value as the JSON text it has in the files (`true`, `"friends"`): a key for the value shares."""
    return json.dumps(value)


def account_line(account: Account, rules: Rules) -> dict[str, Any]:
    """The account's line in `accounts.jsonl.gz`: its stored facts and every catalogue setting's value (a setting it
    has no stored value for shows the default where it lives, and is named in `unset`)."""
    settings = dict(account.settings)
    unset = sorted(name for name in rules.settings if name not in settings)
    for name in unset:
        settings[name] = rules.limits(name, account.age_band).default
    return {
        "account_id": account.account_id,
        "age_band": account.age_band,
        "age_assurance": account.age_assurance.value,
        "restricted": account.restricted,
        "deactivation": None if account.deactivation is None else account.deactivation.state.value,
        "jurisdiction": {"country": account.country or None, "subdivision": account.subdivision or None},
        "policy_version": account.policy_version,
        "version": account.version,
        "created_at": _instant(account.created_at),
        "updated_at": _instant(account.updated_at or account.created_at),
        "settings": {name: settings[name] for name in sorted(settings)},
        "unset": unset,
    }


def _instant(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def violations(rules: Rules, account: Account) -> list[dict[str, Any]]:
    """Each setting whose value is looser than the account's rules allow (its band where it lives, and a restriction:
    strictest). Without a guardian nothing may be looser than `self_max`; no guardian approval exists yet (guardians
    come later), so a value beyond `self_max` is a violation."""
    found = []
    for name, rule in rules.settings.items():
        limits = rules.limits(name, account.age_band)
        loosest = rule.options[0] if account.restricted else limits.self_max
        value = account.settings.get(name, limits.default)
        rank = rule.rank(value)
        if rank is None or rank > rule.rank_of(loosest):
            found.append(
                {"account_id": account.account_id, "setting": name, "value": value, "loosest_allowed": loosest}
            )
    return found


@dataclass
class Tally:
    """What a segment counts of its accounts, in a form that adds up across segments (`merge`)."""

    accounts: int = 0
    by_band: dict[str, int] = field(default_factory=dict)
    by_jurisdiction: dict[str, int] = field(default_factory=dict)
    policy_versions: dict[str, int] = field(default_factory=dict)
    # band -> setting -> value (as JSON text) -> accounts
    values: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # band -> accounts with every setting at the default where they live
    all_default: dict[str, int] = field(default_factory=dict)
    # band -> setting -> accounts at the default
    at_default: dict[str, dict[str, int]] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    violations_total: int = 0
    violating_accounts: int = 0

    def add(self, line: Mapping[str, Any], rules: Rules, found: list[dict[str, Any]]) -> None:
        band = line["age_band"]
        self.accounts += 1
        _bump(self.by_band, band)
        _bump(self.by_jurisdiction, jurisdiction_label(line["jurisdiction"]))
        _bump(self.policy_versions, line["policy_version"])
        values = self.values.setdefault(band, {})
        defaults = self.at_default.setdefault(band, {})
        every_default = True
        for name, value in line["settings"].items():
            if name not in rules.settings:
                continue
            _bump(values.setdefault(name, {}), value_key(value))
            if same_value(value, rules.limits(name, band).default):
                _bump(defaults, name)
            else:
                every_default = False
        if every_default:
            _bump(self.all_default, band)
        self.violations_total += len(found)
        self.violating_accounts += 1 if found else 0
        self.violations.extend(found[: max(0, MAX_VIOLATIONS_LISTED - len(self.violations))])

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "by_band": self.by_band,
            "by_jurisdiction": self.by_jurisdiction,
            "policy_versions": self.policy_versions,
            "values": self.values,
            "all_default": self.all_default,
            "at_default": self.at_default,
            "violations": self.violations,
            "violations_total": self.violations_total,
            "violating_accounts": self.violating_accounts,
        }

    @classmethod
    def merge(cls, parts: Iterable[Mapping[str, Any]]) -> Tally:
        total = cls()
        for part in parts:
            total.accounts += int(part["accounts"])
            for name in ("by_band", "by_jurisdiction", "policy_versions", "all_default"):
                _add_counts(getattr(total, name), part[name])
            for band, settings in part["values"].items():
                for setting, counts in settings.items():
                    _add_counts(total.values.setdefault(band, {}).setdefault(setting, {}), counts)
            for band, counts in part["at_default"].items():
                _add_counts(total.at_default.setdefault(band, {}), counts)
            room = max(0, MAX_VIOLATIONS_LISTED - len(total.violations))
            total.violations.extend(part["violations"][:room])
            total.violations_total += int(part["violations_total"])
            total.violating_accounts += int(part["violating_accounts"])
        return total


def jurisdiction_label(place: Mapping[str, Any]) -> str:
    """`US-NY`, `GB`, or `unknown` for an account stored without a country."""
    return str(place.get("subdivision") or place.get("country") or "unknown")


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


def _add_counts(into: dict[str, int], counts: Mapping[str, Any]) -> None:
    for key, count in counts.items():
        into[key] = into.get(key, 0) + int(count)


def shares(tally: Tally) -> dict[str, dict[str, dict[str, float]]]:
    """Per band, the share of its accounts on each value of each setting (4 decimals)."""
    return {
        band: {
            setting: {value: round(count / tally.by_band[band], 4) for value, count in sorted(counts.items())}
            for setting, counts in sorted(settings.items())
        }
        for band, settings in sorted(tally.values.items())
    }


def default_shares(tally: Tally) -> dict[str, dict[str, Any]]:
    """Per band, the share of accounts with every setting at its default, and the share at the default per setting."""
    return {
        band: {
            "all_settings": round(tally.all_default.get(band, 0) / count, 4),
            "per_setting": {
                setting: round(at / count, 4) for setting, at in sorted(tally.at_default.get(band, {}).items())
            },
        }
        for band, count in sorted(tally.by_band.items())
    }


def manifest(export: Export, tally: Tally, files: list[dict[str, Any]], completed_at: datetime) -> dict[str, Any]:
    """The manifest: what was asked and by whom, what was found, and each file's records, size and SHA-256."""
    return {
        "export_id": export.export_id,
        "requested_by": export.requested_by,
        "requested_at": _instant(export.requested_at),
        "completed_at": _instant(completed_at),
        "request": export.request.as_dict(),
        "policy_in_force": export.policy_version,
        "policy_versions_seen": dict(sorted(tally.policy_versions.items())),
        "segments": export.segments,
        "accounts": tally.accounts,
        "counts": {
            "by_band": dict(sorted(tally.by_band.items())),
            "by_jurisdiction": dict(sorted(tally.by_jurisdiction.items())),
        },
        "shares": shares(tally),
        "defaults": default_shares(tally),
        "conformance": {
            "policy_version": export.policy_version,
            "accounts_checked": tally.accounts,
            "violations": sorted(tally.violations, key=lambda v: (v["account_id"], v["setting"])),
            "violations_total": tally.violations_total,
            "violations_listed": len(tally.violations),
            "accounts_with_violations": tally.violating_accounts,
        },
        "replayable": export.request.covers_creation(export.requested_at.date()),
        "files": files,
    }


def event_record(event: AuditEvent) -> dict[str, Any]:
    """An event in the history route's shape (`EventOut`, a test keeps the two equal), as a line of the history."""
    return {
        "event_id": event.event_id,
        "account_id": event.account_id,
        "at": _instant(event.at),
        "actor": {"id": event.actor.id, "role": event.actor.role},
        "kind": event.kind.value,
        "changes": [{"setting": c.setting, "from": c.from_value, "to": c.to_value} for c in event.changes],
        "age_band": event.age_band,
        "policy_version": event.policy_version,
        "request_id": event.request_id,
        "age": None if event.age is None else age_record(event.age),
        "move": None
        if event.move is None
        else {"before": _place(event.move.before), "after": _place(event.move.after)},
        "from_policy_version": event.from_policy_version,
        "deactivation": None if event.deactivation is None else deactivation_record(event.deactivation),
        "guardian": None if event.guardian is None else guardian_record(event.guardian),
        "version": event.version,
    }


def guardian_record(facts: GuardianFacts) -> dict[str, Any]:
    """A link event's accounts and reason, as the history and the table both hold it."""
    return {"teen_id": facts.teen_id, "guardian_id": facts.guardian_id, "reason": facts.reason.value}


def age_record(age: AgeFacts) -> dict[str, Any]:
    """How an age is known, as the history and the table both hold it (never a date)."""
    return {
        "assurance": age.assurance.value,
        "source": age.source.value,
        "restricted": age.restricted,
        "band_end_known": age.band_end_known,
    }


def _place(place: Place) -> dict[str, str | None]:
    return {"country": place.country or None, "subdivision": place.subdivision or None}


def deactivation_record(deactivation: Deactivation) -> dict[str, Any]:
    """A deactivation as the settings document, the history and the table all hold it."""
    return {
        "state": deactivation.state.value,
        "notice_until": deactivation.notice_until.isoformat(),
        "minimum_age": deactivation.minimum_age,
        "jurisdiction": deactivation.jurisdiction,
        "basis": deactivation.basis,
    }
