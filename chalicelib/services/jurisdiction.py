"""A move reported by the platform: the account's rules become those where it now lives, through the one conform rule,
in one atomic write with a `jurisdiction_changed` event listing every setting that changed.

Moving somewhere stricter clamps what the new place forbids; moving somewhere looser unlocks options and changes no
value (nothing is ever loosened for the account). A report of the place the account already lives in writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from chalicelib.domain.deactivation import reconsidered
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.models import Account, Actor, AuditEvent, EventKind, Move, Place
from chalicelib.domain.settings import account_rules, band_defaults, conform
from chalicelib.identity import Caller
from chalicelib.services.accounts import AccountsDeps
from chalicelib.services.ports import VersionConflict
from chalicelib.services.signup import check_jurisdiction

MAX_ATTEMPTS = 3


def change_jurisdiction(deps: AccountsDeps, account_id: str, place: Place, caller: Caller, request_id: str) -> Account:
    policy = deps.policy
    check_jurisdiction(policy, place.country, place.subdivision or None)
    for _ in range(MAX_ATTEMPTS):
        account = deps.store.get_account(account_id)
        if account is None:
            raise NotFound("no such account")
        if (account.country, account.subdivision) == (place.country, place.subdivision):
            return account
        today = deps.clock().date()
        before = account_rules(policy, account, today)
        after = policy.rules_in(place.country, place.subdivision or None, today)
        # What the account showed under the old rules stays unless the new ones forbid it.
        shown = {**band_defaults(before, account.age_band), **account.settings}
        moved = replace(account, country=place.country, subdivision=place.subdivision)
        # Below the minimum age there: notice, or a deactivation kept (moving away and back escapes nothing); no
        # longer below it: lifted.
        moved, deactivation = reconsidered(after, moved, today)
        settings, changes = conform(after, account.age_band, shown, restricted=moved.restricted)
        updated = replace(
            moved,
            settings=settings,
            version=account.version + 1,
            policy_version=policy.version,  # brought into line with the policy in force
        )
        event = AuditEvent(
            event_id=str(uuid.uuid4()),
            account_id=account_id,
            version=updated.version,
            at=deps.clock(),
            actor=Actor(id=caller.sub, role=caller.role),
            kind=EventKind.JURISDICTION_CHANGED,
            changes=changes,
            age_band=account.age_band,
            policy_version=policy.version,
            request_id=request_id,
            move=Move(Place(account.country, account.subdivision), place),
            deactivation=deactivation,
        )
        try:
            deps.store.apply_change(updated, account.version, event)
        except VersionConflict:
            continue
        return updated
    raise Conflict("the account kept changing while its jurisdiction was changed; retry")
