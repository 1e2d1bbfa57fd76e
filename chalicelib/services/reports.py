"""Filing abuse reports with a receipt, and a reporter's view of their own reports (DSA Art. 16 notices).

A receipt never says anything about the reported account, so reporting cannot be used to probe accounts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidCursorError, NotFound, RateLimited
from chalicelib.domain.reports import (
    Report,
    ReportContext,
    ReportStatus,
    Target,
    report_flags,
    report_priority,
)
from chalicelib.identity import MODERATOR, Caller
from chalicelib.policy import Policy
from chalicelib.services.idempotent import request_fingerprint, run_idempotent
from chalicelib.services.ports import (
    Clock,
    Idempotency,
    IdempotentRequest,
    InvalidCursor,
    ReportsStore,
    SettingsStore,
    SubmissionState,
    VersionConflict,
)
from chalicelib.services.retry import pause_before_retry

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ReportingDeps:
    reports: ReportsStore
    accounts: SettingsStore  # age bands of reporter and claimed owners, for priorities
    policy: Policy
    clock: Clock
    idempotency: Idempotency
    report_id_key: bytes = field(repr=False)  # derives report ids from reporter, key and body
    fingerprint_key: bytes = field(repr=False)  # keys the hash that tells a replay from a reused Idempotency-Key


@dataclass(frozen=True)
class Receipt:
    status_code: int
    report_id: str
    status: str
    received_at: str
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "body": {"report_id": self.report_id, "status": self.status, "received_at": self.received_at},
        }


def file_report(deps: ReportingDeps, reporter: Caller, idempotency_key: str, body: dict[str, Any]) -> Receipt:
    """Files a report once per (reporter, Idempotency-Key); a replay returns the original receipt."""
    request = IdempotentRequest(
        operation="file_report",
        caller_id=reporter.sub,
        key=idempotency_key,
        fingerprint=request_fingerprint(deps.fingerprint_key, body),
    )
    stored, replayed = run_idempotent(
        deps.idempotency, request, lambda: submit_report(deps, reporter.sub, idempotency_key, body)
    )
    return Receipt(status_code=int(stored["status_code"]), **stored["body"], replayed=replayed)


def submit_report(deps: ReportingDeps, reporter_id: str, idempotency_key: str, body: dict[str, Any]) -> dict[str, Any]:
    """The report itself (run once per idempotency key): dedupe, rate limit, priority, one atomic write."""
    rules = deps.policy.reports
    now = deps.clock()
    target = Target(body["target"]["type"], body["target"]["id"])
    store = deps.reports
    report_id = _report_id(deps.report_id_key, reporter_id, idempotency_key, body)
    for attempt in range(MAX_ATTEMPTS):
        state = store.submission_state(
            report_id,
            reporter_id,
            target,
            body["reason"],
            unfounded_since=now - timedelta(days=rules.unfounded_window_days),
            unfounded_cap=rules.unfounded_flag_threshold,
        )
        if state.own_report is not None:  # stored by an attempt whose answer was lost: the same receipt again
            own = state.own_report
            return Receipt(201, own.report_id, own.status.value, _rfc3339(own.received_at)).as_dict()
        if state.duplicate_of and state.duplicate_until and state.duplicate_until > now:
            existing = store.get_report(state.duplicate_of)
            # The same report again within the window: no new report, not counted. Once the first one is decided, a
            # new report is new abuse and opens a new queue item.
            if existing is not None and existing.status is not ReportStatus.DECIDED:
                return Receipt(200, existing.report_id, existing.status.value, _rfc3339(existing.received_at)).as_dict()
        retry_after = state.rate.retry_after_seconds(now, rules.rate_limit_per_hour)
        if retry_after is not None:
            raise RateLimited(f"at most {rules.rate_limit_per_hour} reports an hour; try again later", retry_after)
        report = _new_report(deps, report_id, reporter_id, body, target, state, now)
        try:
            store.record_report(
                report,
                state,
                state.rate.with_report(now, rules.rate_limit_per_hour),
                now + timedelta(hours=rules.duplicate_window_hours),
                now,
            )
        except VersionConflict:  # another report by this reporter or on this target landed first: re-read, retry
            pause_before_retry(attempt)
            continue
        return Receipt(201, report.report_id, report.status.value, _rfc3339(report.received_at)).as_dict()
    raise Conflict("too many reports arrived at once; retry")


def _report_id(key: bytes, reporter_id: str, idempotency_key: str, body: dict[str, Any]) -> str:
    """The same submission always gets the same id (so a retry after a lost answer finds it), and nobody can
    derive another reporter's ids: a keyed hash of reporter, key and body."""
    canonical = json.dumps([reporter_id, idempotency_key, body], sort_keys=True, separators=(",", ":")).encode()
    digest = hmac.new(key, b"report-id\x00" + canonical, hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _new_report(
    deps: ReportingDeps,
    report_id: str,
    reporter_id: str,
    body: dict[str, Any],
    target: Target,
    state: SubmissionState,
    now: datetime,
) -> Report:
    policy = deps.policy
    claimed_owner: str | None = body["target"].get("account_id")
    # Who may own the target: the reporter's claim, and for an account report the account itself. A claim may raise
    # a priority but never lower one, so the target counts as a minor's when any candidate is a minor.
    owners = {owner for owner in (claimed_owner, target.id if target.type == "account" else None) if owner}
    bands = deps.accounts.age_bands([reporter_id, *owners])
    context = ReportContext(
        reason=body["reason"],
        reporter_is_minor=reporter_id in bands and policy.is_minor_band(bands[reporter_id]),
        claimed_owner_is_minor=any(owner in bands and policy.is_minor_band(bands[owner]) for owner in owners),
        reporter_muted=state.mute is not None and state.mute.muted_until > now,
        reporter_unfounded_recently=state.unfounded_recently,
    )
    return Report(
        report_id=report_id,
        reporter_id=reporter_id,
        target=target,
        claimed_owner_id=claimed_owner or (target.id if target.type == "account" else None),
        reason=body["reason"],
        details=body.get("details"),
        evidence_ids=tuple(body.get("evidence_ids") or ()),
        received_at=now,
        priority=report_priority(policy.reports, context),
        flags=report_flags(policy.reports, context),
        round_id=state.open_round.round_id if state.open_round else str(uuid.uuid4()),
        claim_names_an_account=claimed_owner in bands,
    )


def read_report(reports: ReportsStore, report_id: str, caller: Caller) -> Report:
    """The reporter or a moderator; anyone else gets the same 404 as a missing report."""
    report = reports.get_report(report_id)
    if report is None or (report.reporter_id != caller.sub and MODERATOR not in caller.groups):
        raise NotFound("no such report")
    return report


def my_reports(
    reports: ReportsStore, caller: Caller, limit: int, cursor: str | None
) -> tuple[list[Report], str | None]:
    try:
        return reports.reports_by(caller.sub, limit, cursor)
    except InvalidCursor:
        raise InvalidCursorError() from None


def _rfc3339(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
