"""Shapes domain results into response models."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from chalicelib.api.schemas import (
    AffectedDecisionOut,
    CaseDetail,
    CaseEventOut,
    CaseOut,
    DecisionOut,
    EventOut,
    HistoryPage,
    Outcome,
    PriorityLabel,
    QueueTarget,
    ReportView,
    StatementOfReasonsOut,
    TargetOut,
)
from chalicelib.domain.exports import deactivation_record, event_record
from chalicelib.domain.models import Account, AuditEvent, Deactivation, EventPage
from chalicelib.domain.reports import Case, CaseEvent, Decision, Report, StatementOfReasons
from chalicelib.domain.settings import OptionView, Reason, account_rules, restriction_reason, settings_screen
from chalicelib.policy import Policy


def settings_document(account: Account, policy: Policy, today: date) -> dict[str, Any]:
    """The settings screen as JSON-ready data, in the shape of `SettingsDocument` (built directly: this is the hot
    path of every GET and PATCH, and a test checks it validates against the model)."""
    rules = account_rules(policy, account, today)
    screen = settings_screen(
        rules,
        account.age_band,
        account.settings,
        restricted=account.restricted,
        restricted_reason=restriction_reason(rules, account),
    )
    return {
        "account_id": account.account_id,
        "age_band": account.age_band,
        "age": {
            "band": account.age_band,
            "assurance": account.age_assurance.value,
            "source": account.age_source.value,
            "restricted": account.restricted,
            "band_end_known": account.band_end_known,
        },
        "jurisdiction": {"country": account.country or None, "subdivision": account.subdivision or None},
        "deactivation": _deactivation(account.deactivation),
        "policy_version": account.policy_version,
        "version": account.version,
        "settings": {
            name: {
                "value": view.value,
                "default": view.default,
                "options": [_option(option) for option in view.options],
            }
            for name, view in screen.items()
        },
        # Every link is visible to the teen (ICO Children's Code std 11: parental controls the child can see).
        "guardians": [{"account_id": link.account_id, "since": rfc3339(link.since)} for link in account.guardians],
    }


def _option(option: OptionView) -> dict[str, Any]:
    return {"value": option.value, "status": option.status.value, "reason": _reason(option.reason)}


def _reason(reason: Reason | None) -> dict[str, Any] | None:
    if reason is None:
        return None
    return {"kind": reason.kind.value, "jurisdiction": reason.jurisdiction, "source": reason.source}


def event_out(event: AuditEvent) -> EventOut:
    """The history route's event: the same record the compliance export writes (one shape, built in one place)."""
    return EventOut.model_validate(event_record(event))


def _deactivation(deactivation: Deactivation | None) -> dict[str, Any] | None:
    return None if deactivation is None else deactivation_record(deactivation)


def history_page(page: EventPage) -> HistoryPage:
    return HistoryPage(events=[event_out(event) for event in page.events], next=page.next_cursor)


MAX_CLAIMS_SHOWN = 20  # a queue page stays small however many owners reporters claim


def rfc3339(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def statement_out(statement: StatementOfReasons) -> StatementOfReasonsOut:
    return StatementOfReasonsOut(
        facts=statement.facts, ground=statement.ground, automated=statement.automated, redress=statement.redress
    )


def report_view(report: Report) -> ReportView:
    decision = report.decision
    return ReportView(
        report_id=report.report_id,
        status=report.status.value,
        received_at=rfc3339(report.received_at),
        target=TargetOut(type=report.target.type, id=report.target.id),
        claimed_account_id=report.claimed_owner_id,
        reason=report.reason,
        details=report.details,
        evidence_ids=list(report.evidence_ids),
        outcome=cast(Outcome, decision.outcome) if decision else None,
        action=decision.action if decision else None,
        statement_of_reasons=statement_out(decision.statement) if decision else None,
        decided_at=rfc3339(decision.decided_at) if decision else None,
        decision_id=decision.decision_id if decision else None,
    )


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        case_id=case.case_id,
        revision=case.revision,
        etag=f'"{case.revision}"',
        target=QueueTarget(
            type=case.target.type,
            id=case.target.id,
            claimed_account_ids=sorted(case.claimed_owner_ids)[:MAX_CLAIMS_SHOWN],
        ),
        report_count=case.report_count,
        reasons=sorted(case.reasons),
        priority=cast(PriorityLabel, case.priority.label),
        sources=sorted(cast(Any, source.value) for source in case.sources),
        first_reported_at=rfc3339(case.first_reported_at),
        last_reported_at=rfc3339(case.last_reported_at),
        flags=sorted(flag.value for flag in case.flags),
    )


def case_detail(case: Case, events: list[CaseEvent]) -> CaseDetail:
    return CaseDetail(
        **case_out(case).model_dump(),
        status="open" if case.is_open else "decided",
        decision_id=case.decision_id,
        events=[
            CaseEventOut(
                kind=cast(Any, event.kind.value),
                at=rfc3339(event.at),
                role=event.role,
                detail=event.detail,
                revision=event.revision,
            )
            for event in events
        ],
    )


def decision_out(decision: Decision) -> DecisionOut:
    return DecisionOut(
        decision_id=decision.decision_id,
        case_id=decision.case_id,
        target=TargetOut(type=decision.target.type, id=decision.target.id),
        outcome=cast(Outcome, decision.outcome),
        action=decision.action,
        statement_of_reasons=statement_out(decision.statement),
        decided_at=rfc3339(decision.decided_at),
        report_count=decision.report_count,
        affected_account_id=decision.affected_account_id,
        supersedes=decision.supersedes,
        superseded_by=decision.superseded_by,
    )


def affected_decision_out(decision: Decision, appeal_window_days: int) -> AffectedDecisionOut:
    return AffectedDecisionOut(
        decision_id=decision.decision_id,
        target=TargetOut(type=decision.target.type, id=decision.target.id),
        outcome=cast(Outcome, decision.outcome),
        action=decision.action,
        statement_of_reasons=statement_out(decision.statement),
        decided_at=rfc3339(decision.decided_at),
        appeal_until=rfc3339(decision.decided_at + timedelta(days=appeal_window_days)),
        superseded_by=decision.superseded_by,
    )
