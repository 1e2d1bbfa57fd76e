"""Request and response models. They validate what comes in, shape what goes out, and generate the OpenAPI document."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    StrictBool,
    model_validator,
)
from pydantic_core import core_schema

from chalicelib.policy import policy_document

ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
AccountId = Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN, min_length=1, max_length=64)]
SettingValueJson = str | bool | int | None
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _calendar_date(value: Any) -> date:
    """Exactly `YYYY-MM-DD`, a real calendar date: never a timestamp, a signed number or another date format."""
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return date.fromisoformat(value)  # refuses 2023-02-29 and 2024-13-01


CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]


class PolicyList:
    """Restricts a string to a list in the policy file's `reports` section (reasons, target types), so the request
    schema and the OpenAPI document follow the policy a reviewer reads."""

    def __init__(self, key: str) -> None:
        self.names = tuple(policy_document()["reports"][key])

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        return {"type": "string", "enum": list(self.names)}

    def _check(self, value: str) -> str:
        if value not in self.names:
            raise ValueError(f"must be one of: {', '.join(self.names)}")
        return value


class RequestModel(BaseModel):
    # Strict: no coercion of types, and no field the client should not set. Built on first use (cold start).
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


# -- requests --------------------------------------------------------------------------------------------------------
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")]
SubdivisionCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$",
        description="ISO 3166-2 subdivision code of the country (US-NY); its rules add to the country's",
    ),
]


class SignUpRequest(RequestModel):
    account_id: AccountId
    birth_date: CalendarDate = Field(description="YYYY-MM-DD. Used once to place the account in an age band.")
    country: CountryCode
    subdivision: SubdivisionCode | None = None


class JurisdictionRequest(RequestModel):
    country: CountryCode
    subdivision: SubdivisionCode | None = None


class SettingsPatch(RequestModel):
    settings: Annotated[
        dict[str, JsonValue],
        Field(
            min_length=1,
            max_length=64,
            description="Setting name to its new value (one of the setting's options); all or nothing.",
        ),
    ]


AssuranceName = Literal["self_declared", "guardian_declared", "estimated", "verified"]
SourceName = Literal["self", "apple_declared_age_range", "google_play_age_signals", "age_verifier"]
AgeYears = Annotated[int, Field(ge=0, le=150)]


class AgeRange(RequestModel):
    lower: AgeYears = Field(description="The youngest age of the range, in whole years")
    upper: AgeYears | None = Field(default=None, description="The oldest age of the range; null or absent: no limit")

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.upper is not None and self.upper < self.lower:
            raise ValueError("upper must not be below lower")
        return self


class AgeCorrectionRequest(RequestModel):
    """A birth date or an age range (exactly one), how sure it is, and where it came from. Used once: the service
    keeps the band it gives, never the date or the range."""

    birth_date: CalendarDate | None = Field(default=None, description="YYYY-MM-DD")
    age_range: AgeRange | None = Field(default=None, description="An app store's age range; counts as its youngest age")
    assurance: AssuranceName
    source: SourceName

    @model_validator(mode="after")
    def _one_age(self) -> AgeCorrectionRequest:
        if (self.birth_date is None) == (self.age_range is None):
            raise ValueError("give exactly one of birth_date and age_range")
        return self


# -- responses -------------------------------------------------------------------------------------------------------
class Health(ResponseModel):
    status: Literal["ok"]


class LockReason(ResponseModel):
    kind: Literal["age", "jurisdiction", "restricted"] = Field(
        description="age: the age band's limits; jurisdiction: a law where the account lives; restricted: the "
        "account is restricted until its age is confirmed"
    )
    jurisdiction: str | None = Field(default=None, description="The jurisdiction whose rule it is (kind jurisdiction)")
    source: str | None = Field(default=None, description="The law or code and its article (kind jurisdiction)")


class OptionOut(ResponseModel):
    value: SettingValueJson
    status: Literal["allowed", "guardian_approval", "locked"]
    reason: LockReason | None = Field(default=None, description="Why it is not allowed; absent when it is")


class SettingOut(ResponseModel):
    value: SettingValueJson
    default: SettingValueJson
    options: list[OptionOut]


class AgeOut(ResponseModel):
    """What the service holds of the holder's age: never a date."""

    band: str
    assurance: AssuranceName
    source: SourceName
    restricted: bool = Field(description="Below the country's minimum age: every setting at its strictest, locked")
    band_end_known: bool = Field(
        description="False while only an age range, no birth date, is known: no birthday moves the account on"
    )


class JurisdictionOut(ResponseModel):
    country: str | None = Field(description="ISO 3166-1 alpha-2; null for an account older than stored countries")
    subdivision: str | None = Field(description="ISO 3166-2, when the platform gave one")


class DeactivationOut(ResponseModel):
    state: Literal["pending", "deactivated", "lifted"] = Field(
        description="pending: notified, deactivated on notice_until; deactivated: every setting strictest and locked "
        "until the birthday that reaches minimum_age; lifted (events only): that birthday came"
    )
    notice_until: str = Field(description="YYYY-MM-DD: the last day of the notice")
    minimum_age: int
    jurisdiction: str = Field(description="Where the minimum age applies (the overlay's jurisdiction)")
    basis: Literal["band_below_minimum", "band_reaches_below_minimum"] = Field(
        description="band_reaches_below_minimum: the stored age band cannot tell, so it is treated as below"
    )


class SettingsDocument(ResponseModel):
    account_id: str
    age_band: str
    age: AgeOut
    jurisdiction: JurisdictionOut = Field(description="Where the account lives: which overlays of the policy apply")
    deactivation: DeactivationOut | None = Field(
        default=None, description="Under notice of deactivation, or deactivated, by a raised minimum age"
    )
    policy_version: str = Field(description="The policy the settings were last brought into line with")
    version: int
    settings: dict[str, SettingOut]
    guardians: list[GuardianLinkOut] = Field(
        default_factory=list, description="The account's guardians (family pairing), oldest first"
    )


class SignUpResponse(SettingsDocument):
    requires_parental_consent: bool = Field(
        description="True when the person is under the digital age of consent of their country."
    )


class ActorOut(ResponseModel):
    id: str
    role: str


class ChangeOut(ResponseModel):
    setting: str
    from_: SettingValueJson = Field(alias="from")
    to: SettingValueJson


class EventOut(ResponseModel):
    event_id: str
    account_id: str
    version: int = Field(description="The account version the event produced (1: the sign-up)")
    at: str = Field(description="RFC 3339 UTC time")
    actor: ActorOut
    kind: Literal[
        "defaults_applied",
        "settings_changed",
        "band_changed",
        "age_changed",
        "jurisdiction_changed",
        "policy_migrated",
        "deactivated",
        "overlay_applied",
        "guardian_linked",
        "guardian_unlinked",
    ]
    changes: list[ChangeOut]
    age_band: str
    policy_version: str
    request_id: str
    age: AgeFactsOut | None = Field(default=None, description="On age_changed events: how the age is now known")
    move: MoveOut | None = Field(default=None, description="On jurisdiction_changed events: from where to where")
    from_policy_version: str | None = Field(
        default=None, description="On policy_migrated events: the version the account was on (policy_version: now)"
    )
    deactivation: DeactivationOut | None = Field(
        default=None, description="When the event gave notice of deactivation, deactivated, or lifted it"
    )
    guardian: GuardianFactsOut | None = Field(
        default=None, description="On guardian_linked and guardian_unlinked events: the two accounts and why"
    )


class GuardianFactsOut(ResponseModel):
    teen_id: str
    guardian_id: str
    reason: Literal["pairing_code", "unlinked", "turned_18"]


class GuardianLinkOut(ResponseModel):
    account_id: str
    since: str = Field(description="RFC 3339 UTC time the link was made")


class PairingCodeOut(ResponseModel):
    code: str = Field(description="8 characters (no 0, O, 1, I or L); the other person redeems it within 10 minutes")
    expires_at: str = Field(description="RFC 3339 UTC time")


class LinkedOut(ResponseModel):
    teen_id: str
    guardian_id: str
    since: str


class TeensOut(ResponseModel):
    teens: list[GuardianLinkOut]


class MoveOut(ResponseModel):
    before: JurisdictionOut
    after: JurisdictionOut


class AgeFactsOut(ResponseModel):
    assurance: AssuranceName
    source: SourceName
    restricted: bool
    band_end_known: bool


class HistoryPage(ResponseModel):
    events: list[EventOut]
    next: str | None = Field(description="Pass as ?next= for the following page; null on the last page.")


class ProblemItem(ResponseModel):
    code: str
    message: str
    field: str | None = None
    setting: str | None = None


class ProblemDetails(ResponseModel):
    """RFC 9457 problem details, served as application/problem+json."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemItem] | None = None


# -- reports ---------------------------------------------------------------------------------------------------------
CONTENT_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"
ContentId = Annotated[str, Field(pattern=CONTENT_ID_PATTERN, min_length=1, max_length=128)]
TargetType = Annotated[str, PolicyList("target_types")]
ReportReason = Annotated[str, PolicyList("reasons")]


Outcome = Literal["action_taken", "no_violation"]
PriorityLabel = Literal["urgent", "high", "normal", "low"]


def _must_be_true(value: bool) -> bool:
    if value is not True:
        raise ValueError("must be true")
    return value


class ReportTarget(RequestModel):
    type: TargetType
    id: ContentId
    account_id: AccountId | None = Field(
        default=None, description="The owner of the content as the reporter believes it to be (a claim)."
    )


class ReportRequest(RequestModel):
    target: ReportTarget
    reason: ReportReason
    details: Annotated[str, Field(max_length=1000)] | None = None
    evidence_ids: Annotated[list[ContentId], Field(max_length=10)] | None = None
    good_faith: Annotated[
        StrictBool,
        AfterValidator(_must_be_true),
        Field(
            json_schema_extra={"const": True},
            description="Must be true: the reporter states the report is made in good faith (DSA 16(2)(d)).",
        ),
    ]


class ReportReceipt(ResponseModel):
    report_id: str
    status: Literal["received", "in_review", "decided"]
    received_at: str


class StatementOfReasonsIn(RequestModel):
    facts: Annotated[str, Field(min_length=1, max_length=5000)]
    ground: Annotated[str, Field(min_length=1, max_length=500, description="The law or rule applied")]
    ground_kind: Literal["incompatible_content", "illegal_content"] = Field(
        "incompatible_content", description="Whether the ground is the terms of service or a law (DSA Art. 17(3)(d))"
    )
    automated: bool
    redress: Annotated[str, Field(min_length=1, max_length=2000)]


class StatementOfReasonsOut(ResponseModel):
    facts: str
    ground: str
    automated: bool
    redress: str


ModerationAction = Literal[
    "remove_content", "age_restrict_content", "restrict_interactions", "restrict_account", "warn"
]


class DecisionRequestIn(RequestModel):
    outcome: Outcome
    action: ModerationAction | None
    statement_of_reasons: StatementOfReasonsIn
    affected_account_id: AccountId | None = Field(
        default=None,
        description="The account a moderator verified owns the target; required when the action restricts something.",
    )


class TargetOut(ResponseModel):
    type: str
    id: str


class ReportView(ResponseModel):
    """A report as its reporter (or a moderator) sees it; never the moderator's identity."""

    report_id: str
    status: Literal["received", "in_review", "decided"]
    received_at: str
    target: TargetOut
    claimed_account_id: str | None
    reason: str
    details: str | None
    evidence_ids: list[str]
    outcome: Outcome | None = None
    action: str | None = None
    statement_of_reasons: StatementOfReasonsOut | None = None
    decided_at: str | None = None
    decision_id: str | None = Field(None, description="Appeal it at POST /v1/decisions/{decision_id}/appeals")


class ReportList(ResponseModel):
    reports: list[ReportView]
    next: str | None


class QueueTarget(ResponseModel):
    type: str
    id: str
    claimed_account_ids: list[str] = Field(description="Owners as claimed by reporters; unverified.")


class CaseOut(ResponseModel):
    case_id: str
    revision: int = Field(description="Changes whenever the case's reports change")
    etag: str = Field(description='The revision as an entity tag: send it as If-Match on the decision, e.g. "3"')
    target: QueueTarget
    report_count: int
    reasons: list[str]
    priority: PriorityLabel
    sources: list[Literal["user", "trusted_flagger"]]
    first_reported_at: str
    last_reported_at: str
    flags: list[str]


class QueuePage(ResponseModel):
    items: list[CaseOut]
    next: str | None


class CaseEventOut(ResponseModel):
    kind: Literal["reported", "decided", "appealed", "appeal_upheld", "reversed"]
    at: str
    role: str = Field(description="Who acted, by role only (reporter, moderator, appellant); never an identity")
    detail: str
    revision: int


class CaseDetail(CaseOut):
    status: Literal["open", "decided"]
    decision_id: str | None
    events: list[CaseEventOut]


class DecisionOut(ResponseModel):
    """A decision as moderators and auditors see it; never who made it."""

    decision_id: str
    case_id: str
    target: TargetOut
    outcome: Outcome
    action: str | None
    statement_of_reasons: StatementOfReasonsOut
    decided_at: str
    report_count: int
    affected_account_id: str | None
    supersedes: str | None = None
    superseded_by: str | None = None


class AffectedDecisionOut(ResponseModel):
    """A decision as the affected account holder reads it (DSA Art. 17): no reporter or moderator, ever."""

    decision_id: str
    target: TargetOut
    outcome: Outcome
    action: str | None
    statement_of_reasons: StatementOfReasonsOut
    decided_at: str
    appeal_until: str = Field(description="The last moment an appeal is accepted (DSA Art. 20)")
    superseded_by: str | None = Field(None, description="The decision that replaced this one on appeal")


class DecisionList(ResponseModel):
    decisions: list[AffectedDecisionOut]
    next: str | None


class StatementList(ResponseModel):
    statements: list[dict[str, JsonValue]] = Field(
        description="Records in the Commission transparency database's statement schema (DSA Art. 24(5))"
    )
    next: str | None


class AppealRequest(RequestModel):
    explanation: Annotated[str, Field(min_length=1, max_length=2000, description="Why the decision is wrong")]


class AppealReceiptOut(ResponseModel):
    appeal_id: str
    decision_id: str
    status: Literal["open", "upheld", "reversed"]
    filed_at: str


class AppealOut(ResponseModel):
    """An appeal as moderators see it: the appellant by role only."""

    appeal_id: str
    decision_id: str
    case_id: str
    appellant_role: Literal["reporter", "affected_account"]
    explanation: str
    filed_at: str
    status: Literal["open", "upheld", "reversed"]


class AppealStatusOut(ResponseModel):
    """An appeal as its appellant follows it: never who decided."""

    appeal_id: str
    decision_id: str = Field(description="The decision appealed")
    status: Literal["open", "upheld", "reversed"]
    filed_at: str
    decided_at: str | None
    outcome: Literal["no_violation", "action_taken"] = Field(
        description="The outcome in force: the replacing decision's when reversed (on this or another appeal), else "
        "the appealed decision's"
    )
    replaced_by: str | None = Field(
        description="The decision in force in place of the appealed one, when it was reversed (on this appeal or "
        "another appellant's)"
    )


class AppealsPage(ResponseModel):
    items: list[AppealOut]
    next: str | None


class AppealDecisionIn(RequestModel):
    outcome: Literal["upheld", "reversed"]
    action: ModerationAction | None = Field(
        default=None, description="Required when reversing a no_violation; null when reversing action_taken"
    )
    statement_of_reasons: StatementOfReasonsIn
    affected_account_id: AccountId | None = Field(
        default=None, description="Defaults to the original decision's; needed if a reversal restricts"
    )


class AppealDecisionOut(ResponseModel):
    appeal_id: str
    status: Literal["upheld", "reversed"]
    decision: DecisionOut | None = Field(description="The decision that replaces the one appealed, when reversed")


class MuteRequest(RequestModel):
    hours: Annotated[int, Field(ge=1, description="From 1 to the policy's reports.mute_max_hours (720).")]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class MuteOut(ResponseModel):
    account_id: str
    muted_until: str


# -- compliance exports ----------------------------------------------------------------------------------------------
class ExportRequestIn(RequestModel):
    include_history: StrictBool = Field(description="Also export every audit event in the window")
    history_from: CalendarDate | None = Field(
        default=None, description="YYYY-MM-DD, first day of the history and statements window (default: the start)"
    )
    history_to: CalendarDate | None = Field(
        default=None, description="YYYY-MM-DD, last day of the window (default: the day of the request)"
    )


class ExportAccepted(ResponseModel):
    export_id: str
    status: Literal["running"]


class ExportProgressOut(ResponseModel):
    segments_done: int
    segments: int
    accounts: int = Field(description="Accounts exported so far")


class ExportRequestOut(ResponseModel):
    include_history: bool
    history_from: str | None
    history_to: str | None


class ExportOut(ResponseModel):
    export_id: str
    status: Literal["running", "complete", "failed"]
    requested_by: str = Field(description="Who asked for it (the auditor's id)")
    requested_at: str
    request: ExportRequestOut
    policy_version: str = Field(description="The policy in force when asked for: conformance is checked against it")
    progress: ExportProgressOut
    completed_at: str | None = None
    failure: str | None = Field(default=None, description="Why it failed (failed exports only)")
    manifest: dict[str, Any] | None = Field(default=None, description="The manifest, once complete")
    downloads: dict[str, str] | None = Field(
        default=None, description="File name to a presigned URL (SigV4, valid 15 minutes), once complete"
    )


class ExportList(ResponseModel):
    exports: list[ExportOut]
    next: str | None = None
