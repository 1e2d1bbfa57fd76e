"""Every route, declared once: method, path, who may call it, the view, request and response models, and the errors
it can answer. The Chalice registration (`chalicelib.api.application`), the access table and the OpenAPI document
(`chalicelib.api.openapi`) are all derived from this tuple; adding a route is one entry here plus `make openapi`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chalicelib.api import accounts, appeals, decisions, exports, guardians, meta, moderation, reports, schemas
from chalicelib.api.access import ACCOUNT_HOLDER, ANYONE, GUARDIAN, SIGNED_IN
from chalicelib.api.call import View
from chalicelib.identity import AGE_VERIFIER, AUDITOR, MODERATOR, SIGNUP_SERVICE

# Every route can answer these: an unknown method, a body, URL or headers too large, a bug (500, always logged).
COMMON_ERRORS = (405, 413, 414, 431, 500)
# And every route that needs a caller: no valid token, storage busy.
SECURED_ERRORS = (401, 503)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation_id: str
    summary: str
    access: frozenset[str]
    view: View
    responses: dict[int, tuple[str, type[BaseModel] | None]]
    errors: tuple[int, ...] = ()
    request: type[BaseModel] | None = None
    parameters: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def public(self) -> bool:
        return ANYONE in self.access

    @property
    def all_errors(self) -> tuple[int, ...]:
        statuses = {*self.errors, *COMMON_ERRORS, *(() if self.public else SECURED_ERRORS)}
        if self.request is not None:
            statuses |= {400, 415, 422}
        return tuple(sorted(statuses))


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def _header(name: str, required: bool, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "schema": {"type": "string", **schema},
        "description": description,
    }


_ACCOUNT_ID = _path_param("account_id", "1-64 letters, digits, '-' or '_'")
_CASE_ID = _path_param("case_id", "The case's id (from the queue)")
_PAGING = (
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {"name": "next", "in": "query", "schema": {"type": "string"}},
)
_IDEMPOTENCY_KEY = dict(minLength=1, maxLength=64)

ROUTES: tuple[Route, ...] = (
    Route(
        "GET", "/v1/health", "getHealth", "Liveness", frozenset({ANYONE}), meta.health, {200: ("OK", schemas.Health)}
    ),
    Route(
        "GET",
        "/v1/policy",
        "getPolicy",
        "The policy in force",
        frozenset({ANYONE}),
        meta.policy,
        {200: ("The policy document", None)},
    ),
    Route(
        "GET",
        "/v1/policy/versions/{version}",
        "getPolicyVersion",
        "Any policy version the service has ever served (what applied to an account at any time)",
        frozenset({ANYONE}),
        meta.policy_version,
        {200: ("The policy document of that version", None)},
        (404,),
        parameters=(_path_param("version", "A version, e.g. 2026-11-25"),),
    ),
    Route(
        "GET",
        "/v1/openapi.json",
        "getOpenApi",
        "This document",
        frozenset({ANYONE}),
        meta.openapi,
        {200: ("OpenAPI 3.1", None)},
    ),
    Route(
        "POST",
        "/v1/accounts",
        "createAccount",
        "Sign-up: apply the age band's defaults (group signup-service)",
        frozenset({SIGNUP_SERVICE}),
        accounts.create_account,
        {
            201: (
                "Created with the band's defaults; a retry with the same Idempotency-Key and body replays it",
                schemas.SignUpResponse,
            )
        },
        (403, 409, 422),
        request=schemas.SignUpRequest,
        parameters=(
            _header(
                "Idempotency-Key",
                False,
                "16-64 characters (send a random UUID). Makes a retry safe: the same key and body replay the "
                "original answer; the same key with another body is 422 idempotency_key_reused. Any other sign-up "
                "for an existing account is 409 account_exists.",
                minLength=16,
                maxLength=64,
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/accounts/{account_id}/settings",
        "getSettings",
        "The settings screen (account holder, a linked guardian while the account is under 18, or auditor)",
        frozenset({ACCOUNT_HOLDER, GUARDIAN, AUDITOR}),
        accounts.get_settings,
        {200: ("Values and what each option allows", schemas.SettingsDocument)},
        (404,),
        parameters=(_ACCOUNT_ID,),
    ),
    Route(
        "PATCH",
        "/v1/accounts/{account_id}/settings",
        "changeSettings",
        "Change settings within the band's limits, all or nothing (account holder)",
        frozenset({ACCOUNT_HOLDER}),
        accounts.patch_settings,
        {200: ("The new document", schemas.SettingsDocument)},
        (403, 404, 409, 412),
        request=schemas.SettingsPatch,
        parameters=(_ACCOUNT_ID, _header("If-Match", False, 'The ETag read, e.g. "3"; a stale one is 412')),
    ),
    Route(
        "PUT",
        "/v1/accounts/{account_id}/age",
        "correctAge",
        "Correct the age or relay an age signal: the holder may only make the account younger or keep it; group "
        "age-verifier any age, estimated or verified (auditors 403 forbidden)",
        frozenset({ACCOUNT_HOLDER, AGE_VERIFIER, AUDITOR}),
        accounts.put_age,
        {200: ("The settings document as it now stands", schemas.SettingsDocument)},
        (403, 404, 409),
        request=schemas.AgeCorrectionRequest,
        parameters=(_ACCOUNT_ID,),
    ),
    Route(
        "PUT",
        "/v1/accounts/{account_id}/jurisdiction",
        "changeJurisdiction",
        "The platform reports where the account now lives (group signup-service): the rules there apply through the "
        "one conform rule, with a jurisdiction_changed event listing every clamped setting",
        frozenset({SIGNUP_SERVICE}),
        accounts.put_jurisdiction,
        {200: ("The settings document under the new rules", schemas.SettingsDocument)},
        (403, 404, 409),
        request=schemas.JurisdictionRequest,
        parameters=(_ACCOUNT_ID,),
    ),
    Route(
        "GET",
        "/v1/accounts/{account_id}/settings/history",
        "getHistory",
        "Audit history, newest first (account holder or auditor)",
        frozenset({ACCOUNT_HOLDER, AUDITOR}),
        accounts.get_history,
        {200: ("A page of events", schemas.HistoryPage)},
        (400, 404, 422),
        parameters=(_ACCOUNT_ID, *_PAGING),
    ),
    Route(
        "POST",
        "/v1/reports",
        "fileReport",
        "File an abuse report and get a receipt (any signed-in user)",
        frozenset({SIGNED_IN}),
        reports.create_report,
        {
            201: ("The receipt", schemas.ReportReceipt),
            200: (
                "The same report again (replayed key, or the same target and reason within 24 h)",
                schemas.ReportReceipt,
            ),
        },
        (409, 429),
        request=schemas.ReportRequest,
        parameters=(
            _header(
                "Idempotency-Key", True, "Required: a retry with the same key is not filed twice", **_IDEMPOTENCY_KEY
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/reports",
        "listMyReports",
        "The caller's own reports, newest first",
        frozenset({SIGNED_IN}),
        reports.list_reports,
        {200: ("A page of reports", schemas.ReportList)},
        (400, 422),
        parameters=_PAGING,
    ),
    Route(
        "GET",
        "/v1/reports/{report_id}",
        "getReport",
        "One report, with the decision once made (its reporter or a moderator)",
        frozenset({SIGNED_IN}),  # the service lets only the reporter or a moderator see it
        reports.get_report,
        {200: ("The report", schemas.ReportView)},
        (404,),
        parameters=(_path_param("report_id", "The id from the receipt"),),
    ),
    Route(
        "GET",
        "/v1/moderation/queue",
        "getModerationQueue",
        "Open cases (the reports on one target), most urgent first, then oldest (moderators)",
        frozenset({MODERATOR}),
        moderation.queue,
        {200: ("A page of queue items", schemas.QueuePage)},
        (400, 403, 422),
        parameters=_PAGING,
    ),
    Route(
        "GET",
        "/v1/moderation/cases/{case_id}",
        "getCase",
        "One case with its activity log; the ETag is its revision (moderators, auditors)",
        frozenset({MODERATOR, AUDITOR}),
        moderation.get_case,
        {200: ("The case", schemas.CaseDetail)},
        (403, 404),
        parameters=(_CASE_ID,),
    ),
    Route(
        "POST",
        "/v1/moderation/cases/{case_id}/decision",
        "decideCase",
        "Decide exactly the reports of the case at the revision reviewed, with a statement of reasons (moderators)",
        frozenset({MODERATOR}),
        moderation.decide_case,
        {200: ("The recorded decision", schemas.DecisionOut)},
        (403, 404, 409, 412, 428),
        request=schemas.DecisionRequestIn,
        parameters=(
            _CASE_ID,
            _header(
                "If-Match",
                True,
                'Required: the case\'s revision as read, e.g. "3". Missing: 428 precondition_required; the case '
                "gained reports since: 412 case_changed, nothing decided; already decided: 409 already_decided.",
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/decisions/{decision_id}",
        "getDecision",
        "A decision: the affected account holder reads outcome, statement of reasons and redress (also moderators, "
        "auditors); anyone else 404",
        frozenset({SIGNED_IN}),  # the service lets only the affected holder, moderators and auditors see it
        decisions.get_decision,
        {200: ("The decision (moderators and auditors get DecisionOut)", schemas.AffectedDecisionOut)},
        (404,),
        parameters=(_path_param("decision_id", "The decision's id"),),
    ),
    Route(
        "GET",
        "/v1/accounts/{account_id}/decisions",
        "listAccountDecisions",
        "Decisions addressed to the account, newest first (account holder or auditor)",
        frozenset({ACCOUNT_HOLDER, AUDITOR}),
        decisions.list_account_decisions,
        {200: ("A page of decisions", schemas.DecisionList)},
        (400, 404, 422),
        parameters=(_ACCOUNT_ID, *_PAGING),
    ),
    Route(
        "GET",
        "/v1/moderation/statements",
        "listStatements",
        "Statements of reasons in the transparency database's schema, decided in [from, to) (moderators, auditors)",
        frozenset({MODERATOR, AUDITOR}),
        decisions.list_statements,
        {200: ("A page of statements, oldest first", schemas.StatementList)},
        (400, 403, 422),
        parameters=(
            {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}},
            {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}},
            *_PAGING,
        ),
    ),
    Route(
        "POST",
        "/v1/decisions/{decision_id}/appeals",
        "fileAppeal",
        "Appeal a decision within the policy's window (a reporter of the case or the affected account holder)",
        frozenset({SIGNED_IN}),  # the service lets only a reporter of the case or the affected holder appeal
        appeals.create_appeal,
        {201: ("The appeal; a retry with the same Idempotency-Key and body replays it", schemas.AppealReceiptOut)},
        (404, 409, 422),
        request=schemas.AppealRequest,
        parameters=(
            _path_param("decision_id", "The decision's id"),
            _header(
                "Idempotency-Key",
                True,
                "Required. One appeal per appellant and decision: another key is 409 appeal_exists; after the "
                "window, 409 appeal_window_closed.",
                **_IDEMPOTENCY_KEY,
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/appeals/{appeal_id}",
        "getAppeal",
        "An appeal's status and the outcome in force, for its appellant (also moderators, auditors); anyone else 404",
        frozenset({SIGNED_IN}),  # the service lets only the appellant, moderators and auditors see it
        appeals.get_appeal,
        {200: ("The appeal", schemas.AppealStatusOut)},
        (404,),
        parameters=(_path_param("appeal_id", "The appeal's id"),),
    ),
    Route(
        "GET",
        "/v1/moderation/appeals",
        "getAppealsQueue",
        "Open appeals, oldest first (moderators)",
        frozenset({MODERATOR}),
        appeals.queue,
        {200: ("A page of appeals", schemas.AppealsPage)},
        (400, 403, 422),
        parameters=_PAGING,
    ),
    Route(
        "POST",
        "/v1/moderation/appeals/{appeal_id}/decision",
        "decideAppeal",
        "Uphold or reverse a decision on appeal (moderators other than the one who decided)",
        frozenset({MODERATOR}),
        appeals.decide,
        {200: ("The closed appeal, and the replacing decision when reversed", schemas.AppealDecisionOut)},
        (403, 404, 409),
        request=schemas.AppealDecisionIn,
        parameters=(_path_param("appeal_id", "The appeal's id"),),
    ),
    Route(
        "POST",
        "/v1/moderation/reporters/{account_id}/mute",
        "muteReporter",
        "Mute a reporter: their new reports get low priority, except child safety and self-harm (moderators)",
        frozenset({MODERATOR}),
        moderation.mute,
        {200: ("The mute", schemas.MuteOut)},
        (403, 404),
        request=schemas.MuteRequest,
        parameters=(_ACCOUNT_ID,),
    ),
    Route(
        "POST",
        "/v1/exports",
        "startExport",
        "Start a compliance export of every account's settings (and history, statements) to S3 (auditors; anyone "
        "else 404). The work runs on queue workers, not in the request.",
        frozenset({AUDITOR}),
        exports.create_export,
        {202: ("Started; a retry with the same Idempotency-Key and body replays it", schemas.ExportAccepted)},
        (404, 409, 422),
        request=schemas.ExportRequestIn,
        parameters=(
            _header(
                "Idempotency-Key",
                True,
                "Required: a retry with the same key starts no second export",
                **_IDEMPOTENCY_KEY,
            ),
        ),
    ),
    Route(
        "GET",
        "/v1/exports",
        "listExports",
        "Every export, newest first: who asked for what, and when (auditors; anyone else 404)",
        frozenset({AUDITOR}),
        exports.list_all,
        {200: ("A page of exports", schemas.ExportList)},
        (400, 404, 422),
        parameters=_PAGING,
    ),
    Route(
        "GET",
        "/v1/exports/{export_id}",
        "getExport",
        "An export's progress; once complete its manifest and download URLs (auditors; anyone else 404)",
        frozenset({AUDITOR}),
        exports.get_export,
        {200: ("The export", schemas.ExportOut)},
        (404,),
        parameters=(_path_param("export_id", "The id from POST /v1/exports"),),
    ),
    Route(
        "POST",
        "/v1/pairing-codes",
        "createPairingCode",
        "Family pairing: a one-time code (10 minutes) for the other side to redeem; a teen or an adult who could "
        "be a guardian makes it for their own account (5 an hour)",
        frozenset({SIGNED_IN}),
        guardians.create_pairing_code,
        {201: ("The code; it is never shown again", schemas.PairingCodeOut)},
        (404, 422, 429),
    ),
    Route(
        "POST",
        "/v1/pairing-codes/{code}/redeem",
        "redeemPairingCode",
        "Family pairing: redeem the other side's code, linking a teen (under 18) and a guardian (an adult). 10 wrong "
        "codes in an hour lock redeeming for an hour",
        frozenset({SIGNED_IN}),
        guardians.redeem_pairing_code,
        {201: ("Linked", schemas.LinkedOut)},
        (404, 409, 422, 429),
        parameters=(_path_param("code", "The 8-character code (any case; spaces and dashes are ignored)"),),
    ),
    Route(
        "GET",
        "/v1/guardians/me/teens",
        "listMyTeens",
        "The teens the caller is a guardian of (links to accounts now 18 or over are not listed)",
        frozenset({SIGNED_IN}),
        guardians.list_my_teens,
        {200: ("The caller's teens, oldest link first", schemas.TeensOut)},
    ),
    Route(
        "DELETE",
        "/v1/accounts/{account_id}/guardians/{guardian_id}",
        "deleteGuardian",
        "End a link (the teen or the guardian); the other side is told by an event on their history",
        frozenset({SIGNED_IN}),
        guardians.delete_guardian,
        {204: ("Unlinked", None)},
        (404, 409),
        parameters=(_ACCOUNT_ID, _path_param("guardian_id", "The guardian's account id")),
    ),
)
