"""Shapes domain results into response models."""

from __future__ import annotations

from chalicelib.api.schemas import (
    ActorOut,
    ChangeOut,
    EventOut,
    HistoryPage,
    OptionOut,
    SettingOut,
    SettingsDocument,
)
from chalicelib.domain.models import Account, AuditEvent, EventPage
from chalicelib.domain.settings import settings_screen
from chalicelib.policy import Policy
from chalicelib.store.settings_store import encode_cursor


def settings_document(account: Account, policy: Policy) -> SettingsDocument:
    screen = settings_screen(policy, account.age_band, account.settings)
    return SettingsDocument.model_construct(
        account_id=account.account_id,
        age_band=account.age_band,
        policy_version=account.policy_version,
        version=account.version,
        settings={
            name: SettingOut.model_construct(
                value=view.value,
                default=view.default,
                options=[OptionOut.model_construct(value=o.value, status=o.status.value) for o in view.options],
            )
            for name, view in screen.items()
        },
    )


def event_out(event: AuditEvent) -> EventOut:
    return EventOut(
        event_id=event.event_id,
        account_id=event.account_id,
        at=event.at.isoformat().replace("+00:00", "Z"),
        actor=ActorOut(id=event.actor.id, role=event.actor.role),
        kind=event.kind.value,
        changes=[ChangeOut(setting=c.setting, **{"from": c.from_value}, to=c.to_value) for c in event.changes],
        age_band=event.age_band,
        policy_version=event.policy_version,
        request_id=event.request_id,
    )


def history_page(page: EventPage) -> HistoryPage:
    return HistoryPage(
        events=[event_out(event) for event in page.events], next=encode_cursor(page.next_before_version)
    )
