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

from chalicelib.domain.errors import Conflict, IdempotencyKeyReused, InvalidCursorError, NotFound, RateLimited
from chalicelib.domain.reports import (
    Report,
    ReportContext,
    ReportStatus,
    Source,
    Target,
    report_flags,
    report_priority,
)
from chalicelib.identity import MODERATOR, TRUSTED_FLAGGER, Caller
from chalicelib.policy import Policy
from chalicelib.services.idempotent import request_fingerprint
from chalicelib.services.ports import (
    Clock,
    Filing,
    InvalidCursor,
    KeyUse,
    ReportsStore,
    SettingsStore,
    SubmissionState,
    VersionConflict,
)
from chalicelib.services.retry import pause_before_retry

MAX_ATTEMPTS = 3
KEY_LIFETIME = timedelta(hours=24)  # an Idempotency-Key is remembered this long (as Powertools' default was)


@dataclass(frozen=True)
class ReportingDeps:
    reports: ReportsStore
    accounts: SettingsStore  # age bands of reporter and claimed owners, for priorities
    policy: Policy
    clock: Clock
    report_id_key: bytes = field(repr=False)  # derives report ids from reporter, key and body
    fingerprint_key: bytes = field(repr=False)  # keys the hash that tells a replay from a reused Idempotency-Key


@dataclass(frozen=True)
class Receipt:
    status_code: int
    report_id: str
    status: str
    received_at: str
    replayed: bool = False


def file_report(deps: ReportingDeps, reporter: Caller, idempotency_key: str, body: dict[str, Any]) -> Receipt:
    """Files a report once per (reporter, Idempotency-Key): dedupe, rate limit, priority, one atomic write of the
    reporter's own items (the report, their list entry, the key's answer, the rate window, the duplicate guard).

    Three DynamoDB calls on the common path: the reporter's state, the age bands, the transaction. Nothing here is
    shared with other reporters; the aggregator puts the report into its target's case from the table's stream.
    """
    rules = deps.policy.reports
    now = deps.clock()
    target = Target(body["target"]["type"], body["target"]["id"])
    store = deps.reports
    fingerprint = request_fingerprint(deps.fingerprint_key, body)
    report_id = _report_id(deps.report_id_key, reporter.sub, idempotency_key, body)
    for attempt in range(MAX_ATTEMPTS):
        state = store.submission_state(report_id, reporter.sub, idempotency_key, target, body["reason"])
        if state.key_use is not None:
            return _replayed(state.key_use, fingerprint)
        if state.own_report is not None:  # stored by an attempt whose answer was lost: the same receipt again
            own = state.own_report
            return Receipt(201, own.report_id, ReportStatus.RECEIVED.value, _rfc3339(own.received_at))
        duplicate = _open_duplicate(store, state, now)
        if duplicate is not None:
            # The same report again within the window: no new report, not counted. Once the first one is decided, a
            # new report is new abuse and opens a new case.
            use = KeyUse(fingerprint, 200, duplicate.report_id, duplicate.received_at, duplicate.status.value)
            try:
                store.record_key_use(reporter.sub, idempotency_key, use, now + KEY_LIFETIME)
            except VersionConflict:  # the same key, used at the same moment: answer as the first use did
                pause_before_retry(attempt)
                continue
            return Receipt(200, duplicate.report_id, duplicate.status.value, _rfc3339(duplicate.received_at))
        retry_after = state.rate.retry_after_seconds(now, rules.rate_limit_per_hour)
        if retry_after is not None:
            raise RateLimited(f"at most {rules.rate_limit_per_hour} reports an hour; try again later", retry_after)
        report = _new_report(deps, report_id, reporter, body, target, state, now)
        filing = Filing(
            report=report,
            key=idempotency_key,
            state=state,
            rate=state.rate.with_report(now, rules.rate_limit_per_hour),
            key_use=KeyUse(fingerprint, 201, report_id, now, ReportStatus.RECEIVED.value),
            key_expires_at=now + KEY_LIFETIME,
            duplicate_until=now + timedelta(hours=rules.duplicate_window_hours),
        )
        try:
            store.record_filing(filing)
        except VersionConflict:  # another report by this reporter landed first: re-read, retry
            pause_before_retry(attempt)
            continue
        return Receipt(201, report.report_id, report.status.value, _rfc3339(report.received_at))
    raise Conflict("too many reports arrived at once; retry")


def _replayed(use: KeyUse, fingerprint: str) -> Receipt:
    if use.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different body")
    return Receipt(use.status_code, use.report_id, use.status, _rfc3339(use.received_at), replayed=True)


def _open_duplicate(store: ReportsStore, state: SubmissionState, now: datetime) -> Report | None:
    if not (state.duplicate_of and state.duplicate_until and state.duplicate_until > now):
        return None
    existing = store.get_report(state.duplicate_of)
    return existing if existing is not None and existing.status is not ReportStatus.DECIDED else None


def _report_id(key: bytes, reporter_id: str, idempotency_key: str, body: dict[str, Any]) -> str:
    """The same submission always gets the same id (so a retry after a lost answer finds it), and nobody can
    derive another reporter's ids: a keyed hash of reporter, key and body."""
    canonical = json.dumps([reporter_id, idempotency_key, body], sort_keys=True, separators=(",", ":")).encode()
    digest = hmac.new(key, b"report-id\x00" + canonical, hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _new_report(
    deps: ReportingDeps,
    report_id: str,
    reporter: Caller,
    body: dict[str, Any],
    target: Target,
    state: SubmissionState,
    now: datetime,
) -> Report:
    policy = deps.policy
    reporter_id = reporter.sub
    trusted = TRUSTED_FLAGGER in reporter.groups
    window = timedelta(days=policy.reports.unfounded_window_days)
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
        reporter_unfounded_recently=sum(1 for at in state.unfounded.values() if now - window < at),
        trusted_flagger=trusted,
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
        source=Source.TRUSTED_FLAGGER if trusted else Source.USER,
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
