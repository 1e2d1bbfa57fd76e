"""Changing settings within the band's limits: all or nothing, with its audit event in the same atomic write."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import replace

from chalicelib.domain.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from chalicelib.domain.models import Account, Actor, AuditEvent, EventKind
from chalicelib.domain.settings import account_rules, decide_changes
from chalicelib.identity import Caller
from chalicelib.policy import SettingValue
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.ports import VersionConflict

# Without If-Match, a change that loses a race is re-read and re-checked against the policy: this many attempts in all.
MAX_ATTEMPTS = 3


class AccountRestricted(Forbidden):
    code = "account_restricted"


def change_settings(
    deps: AccountsDeps,
    account_id: str,
    requested: Mapping[str, SettingValue],
    caller: Caller,
    expected_version: int | Collection[int] | None,
    request_id: str,
) -> Account:
    """Applies `requested` if every value is allowed; `expected_version` is the client's If-Match, if any."""
    expected = {expected_version} if isinstance(expected_version, int) else expected_version
    store, policy = deps.store, deps.policy
    for _ in range(MAX_ATTEMPTS):
        account = store.get_account(account_id)
        if account is None:
            raise NotFound("no such account")
        if account.restricted and account.deactivation is not None:
            raise AccountRestricted(
                f"this account is deactivated: the minimum age in {account.deactivation.jurisdiction} is "
                f"{account.deactivation.minimum_age}; its settings can be changed from that birthday"
            )
        if account.restricted:
            raise AccountRestricted("this account's settings cannot be changed until its age is confirmed")
        if expected is not None and account.version not in expected:
            raise PreconditionFailed("the settings changed since you read them; read them again")
        now = deps.clock()
        rules = account_rules(policy, account, now.date())
        changes = decide_changes(rules, account.age_band, account.settings, requested)
        if not changes:
            return account
        updated = replace(
            account,
            version=account.version + 1,  # policy_version stays: a holder's change does not bring it into line
            settings={**account.settings, **{change.setting: change.to_value for change in changes}},
        )
        event = AuditEvent(
            event_id=str(uuid.uuid4()),
            account_id=account_id,
            version=updated.version,
            at=now,
            actor=Actor(id=caller.sub, role="self" if caller.is_account_holder(account_id) else caller.role),
            kind=EventKind.SETTINGS_CHANGED,
            changes=changes,
            age_band=account.age_band,
            policy_version=policy.version,
            request_id=request_id,
        )
        try:
            store.apply_change(updated, account.version, event)
        except VersionConflict:
            if expected is not None:
                raise PreconditionFailed("the settings changed since you read them; read them again") from None
            continue
        return updated
    raise Conflict("the settings kept changing while this change was made; read them again and retry")
