"""Closing out a decision: each report of the case marked decided with its retention TTL, unfounded outcomes counted
(or withdrawn after a reversal), and the case's records given their retention.

It runs from the decision record's stream record, with ordinary retries, and every step is idempotent: run twice, or
after a partial run, it ends in the same state. Until it has run, reports read as decided through their case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.domain.reports import NO_VIOLATION
from chalicelib.policy import Policy
from chalicelib.services.ports import ReportsStore


@dataclass(frozen=True)
class CloseOutDeps:
    reports: ReportsStore
    policy: Policy


def close_out(deps: CloseOutDeps, decision_id: str) -> int:
    """Closes out the decision; returns how many reports it marked (0 when there is nothing, or nothing left, to do)."""
    store, rules = deps.reports, deps.policy.reports
    decision = store.get_decision(decision_id)
    if decision is None or decision.superseded_by is not None:  # a newer decision's close-out does the work
        return 0
    case = store.get_case(decision.case_id)
    if case is None:
        return 0
    reports = store.case_reports(case)
    retention_until = decision.decided_at + timedelta(days=rules.retention_days_after_decision)
    store.mark_decided(reports, decision, retention_until)
    reporter_ids = sorted({report.reporter_id for report in reports})
    if decision.supersedes is not None:
        previous = store.get_decision(decision.supersedes)
        if previous is not None and previous.outcome == NO_VIOLATION and decision.outcome != NO_VIOLATION:
            store.withdraw_unfounded(reporter_ids, previous.decision_id)
        # A reversal to no_violation counts against nobody: the reporters were right the first time it was judged,
        # and a child who reported should not be discouraged by a later change of mind.
    elif decision.outcome == NO_VIOLATION:
        store.record_unfounded(reporter_ids, decision, rules.unfounded_window_days)
    store.finish_decision(decision, case, retention_until)
    return len(reports)
