"""Request and response models. They validate what comes in, shape what goes out, and generate the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
AccountId = Annotated[str, Field(pattern=ACCOUNT_ID_PATTERN, min_length=1, max_length=64)]
SettingValueJson = str | bool | int | None


class RequestModel(BaseModel):
    # Strict: no coercion of types, and no field the client should not set.
    model_config = ConfigDict(extra="forbid", strict=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# -- requests --------------------------------------------------------------------------------------------------------
class SignUpRequest(RequestModel):
    account_id: AccountId
    birth_date: date = Field(description="ISO date (YYYY-MM-DD). Used once to place the account in an age band.")
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")]


class SettingsPatch(RequestModel):
    settings: Annotated[
        dict[str, JsonValue],
        Field(
            min_length=1,
            max_length=64,
            description="Setting name to its new value (one of the setting's options); all or nothing.",
        ),
    ]


# -- responses -------------------------------------------------------------------------------------------------------
class Health(ResponseModel):
    status: Literal["ok"]


class OptionOut(ResponseModel):
    value: SettingValueJson
    status: Literal["allowed", "guardian_approval", "locked"]


class SettingOut(ResponseModel):
    value: SettingValueJson
    default: SettingValueJson
    options: list[OptionOut]


class SettingsDocument(ResponseModel):
    account_id: str
    age_band: str
    policy_version: str
    version: int
    settings: dict[str, SettingOut]


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
    at: str = Field(description="RFC 3339 UTC time")
    actor: ActorOut
    kind: Literal["defaults_applied", "settings_changed"]
    changes: list[ChangeOut]
    age_band: str
    policy_version: str
    request_id: str


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
