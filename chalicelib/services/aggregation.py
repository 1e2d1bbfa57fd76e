"""The aggregator: puts filed reports into their target's open case, off the request path.

It reads reports from the reports table's stream (at least once, out of order across shards) and writes one
transaction per target per batch, so a viral target costs one write per batch, not one per report. A report some
case of the target already holds is dropped, so a record applied twice, or late, changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from chalicelib.domain.errors import Unavailable
from chalicelib.domain.reports import (
    CaseEvent,
    CaseEventKind,
    Report,
    Source,
    Target,
    membership_bucket,
    opened_case,
    with_reports,
)
from chalicelib.services.ports import Clock, ReportsStore, VersionConflict
from chalicelib.services.retry import pause_before_retry

MAX_ATTEMPTS = 5
MAX_BUCKETS_PER_WRITE = 50  # each membership record is one item in the transaction (at most 100 items)


@dataclass(frozen=True)
class AggregationDeps:
    reports: ReportsStore
    clock: Clock


def reports_by_target(reports: Iterable[Report]) -> dict[Target, list[Report]]:
    grouped: dict[Target, dict[str, Report]] = {}
    for report in reports:
        grouped.setdefault(report.target, {})[report.report_id] = report  # a record twice in one batch counts once
    return {target: list(by_id.values()) for target, by_id in grouped.items()}


def aggregate(deps: AggregationDeps, target: Target, reports: list[Report]) -> int:
    """Adds the reports the target's cases do not hold yet to its open case (or a new one); returns how many."""
    return sum(_add_chunk(deps, target, chunk) for chunk in _chunks(reports))


def _chunks(reports: list[Report]) -> Iterator[list[Report]]:
    by_bucket: dict[str, list[Report]] = {}
    for report in sorted(reports, key=lambda r: r.received_at):
        by_bucket.setdefault(membership_bucket(report), []).append(report)
    buckets = list(by_bucket.values())
    for start in range(0, len(buckets), MAX_BUCKETS_PER_WRITE):
        yield [report for bucket in buckets[start : start + MAX_BUCKETS_PER_WRITE] for report in bucket]


def _add_chunk(deps: AggregationDeps, target: Target, reports: list[Report]) -> int:
    store = deps.reports
    for attempt in range(MAX_ATTEMPTS):
        state = store.target_state(target, reports)
        new = [report for report in reports if report.report_id not in state.held]
        if not new:
            return 0
        latest = state.latest_case
        if latest is not None and latest.is_open:
            case, previous, replaces = with_reports(latest, new), latest.revision, None
        else:  # none yet, or the latest was decided: later reports open a new case
            case, previous, replaces = opened_case(str(uuid.uuid4()), new), None, state.latest_case_id
        trusted = sum(1 for report in new if report.source is Source.TRUSTED_FLAGGER)
        detail = f"{len(new)} report(s)" + (f", {trusted} from trusted flaggers" if trusted else "")
        event = CaseEvent(case.case_id, CaseEventKind.REPORTED, deps.clock(), "reporter", detail, case.revision)
        try:
            store.save_case(case, previous, new, event, replaces)
        except VersionConflict:  # another batch or a decision got there first: read again
            pause_before_retry(attempt)
            continue
        return len(new)
    raise Unavailable("the target's case kept changing; the records will be delivered again")
