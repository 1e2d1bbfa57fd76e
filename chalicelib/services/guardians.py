"""Family pairing: one-time codes, links between a teen and a guardian, and ending them.

Either side makes a code (5 an hour); the other redeems it (10 failed redemptions in an hour lock redemption for an
hour, so a code cannot be guessed). Only the redeeming removes the code, in the same transaction as the link, so a
code links once. A caller who is neither side of a link gets the same 404 as for an account that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.errors import Conflict, NotFound, RateLimited
from chalicelib.domain.guardians import (
    CODES_PER_HOUR,
    FAILED_REDEMPTIONS_PER_HOUR,
    REDEMPTION_LOCK,
    PairingRefused,
    code_expires,
    guardian_refusal,
    hour_window,
    is_minor_band,
    new_code,
    normalised_code,
    pairing_of,
)
from chalicelib.domain.models import (
    Account,
    Actor,
    AuditEvent,
    EventKind,
    GuardianFacts,
    GuardianLink,
    LinkReason,
)
from chalicelib.policy import Policy
from chalicelib.services.ports import SettingsStore, VersionConflict


class StoredCodeView(Protocol):
    @property
    def creator_id(self) -> str: ...

    @property
    def expires_at(self) -> datetime: ...


class GuardianStore(Protocol):
    def put_code(self, code_hash: str, creator_id: str, expires_at: datetime) -> None: ...

    def get_code(self, code_hash: str) -> StoredCodeView | None: ...

    def count_in_window(self, account_id: str, what: str, window: str, limit: int, window_ends: datetime) -> bool: ...

    def locked_until(self, account_id: str) -> datetime | None: ...

    def lock_redemption(self, account_id: str, until: datetime) -> None: ...

    def link(
        self,
        teen: tuple[Account, int, AuditEvent],
        guardian: tuple[Account, int, AuditEvent],
        code_hash: str,
        now: datetime,
    ) -> None: ...

    def unlink(self, teen: tuple[Account, int, AuditEvent], guardian: tuple[Account, int, AuditEvent]) -> None: ...

    def teens_of(self, guardian_id: str) -> list[GuardianLink]: ...


@dataclass(frozen=True)
class GuardiansDeps:
    accounts: SettingsStore
    links: GuardianStore
    policy: Policy
    clock: Callable[[], datetime]
    code_key: bytes  # keys the hash codes are stored as


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


class PairingCodeInvalid(NotFound):
    """No such code, or it expired, or it was used: one answer for all three."""

    code = "pairing_code_invalid"


class AlreadyLinked(Conflict):
    code = "already_linked"


def create_code(deps: GuardiansDeps, caller_id: str) -> IssuedCode:
    """A new code for the caller's own account, to be redeemed by the other side within 10 minutes."""
    account = _own_account(deps, caller_id)
    if not is_minor_band(account.age_band):
        refusal = guardian_refusal(account, deps.policy.guardians)
        if refusal is not None:  # an adult who could never be a guardian is told now, not the teen later
            raise PairingRefused(*refusal)
    now = deps.clock()
    if not deps.links.count_in_window(caller_id, "codes", hour_window(now), CODES_PER_HOUR, _window_end(now)):
        raise RateLimited(f"at most {CODES_PER_HOUR} pairing codes an hour", _seconds_to_window_end(now))
    code = new_code()
    expires = code_expires(now)
    deps.links.put_code(_hash(deps, code), caller_id, expires)
    return IssuedCode(code=code, expires_at=expires)


def redeem_code(deps: GuardiansDeps, caller_id: str, typed: str, request_id: str) -> tuple[Account, Account]:
    """Links the caller and the code's creator (one of them the teen); returns (teen, guardian) as now stored."""
    now = deps.clock()
    locked = deps.links.locked_until(caller_id)
    if locked is not None and locked > now:
        raise RateLimited("too many wrong codes: try again later", int((locked - now).total_seconds()) + 1)
    redeemer = _own_account(deps, caller_id)
    code = normalised_code(typed)
    code_hash = _hash(deps, code) if code is not None else ""
    stored = deps.links.get_code(code_hash) if code is not None else None
    if stored is None or stored.expires_at <= now:
        _count_failure(deps, caller_id, now)
        raise PairingCodeInvalid("no such pairing code, or it expired or was used: ask for a new one")
    creator = deps.accounts.get_account(stored.creator_id)
    if creator is None:  # the creator's account is gone: the code is worth nothing
        _count_failure(deps, caller_id, now)
        raise PairingCodeInvalid("no such pairing code, or it expired or was used: ask for a new one")
    pairing = pairing_of(creator, redeemer, deps.policy.guardians)
    teen, guardian = pairing.teen, pairing.guardian
    _check_limits(deps, teen, guardian)
    facts = GuardianFacts(teen_id=teen.account_id, guardian_id=guardian.account_id, reason=LinkReason.PAIRING_CODE)
    on_teen, on_guardian = _actors(caller_id, teen, guardian)
    teen_after = replace(
        teen, version=teen.version + 1, guardians=(*teen.guardians, GuardianLink(guardian.account_id, now))
    )
    guardian_after = replace(guardian, version=guardian.version + 1, teens=guardian.teens + 1)
    try:
        event = _Event(EventKind.GUARDIAN_LINKED, facts, now, deps.policy.version, request_id)
        deps.links.link(
            event.side(teen_after, teen.version, on_teen),
            event.side(guardian_after, guardian.version, on_guardian),
            code_hash,
            now,
        )
    except VersionConflict:
        if deps.links.get_code(code_hash) is None:  # redeemed at the same moment by someone else
            raise PairingCodeInvalid("no such pairing code, or it expired or was used: ask for a new one") from None
        raise Conflict("one of the two accounts changed at the same moment: redeem the code again") from None
    return teen_after, guardian_after


def unlink(deps: GuardiansDeps, caller_id: str, teen_id: str, guardian_id: str, request_id: str) -> Account:
    """Ends the link, by either side; the other is told by an event on their history. Returns the teen's record."""
    if caller_id not in (teen_id, guardian_id):
        raise NotFound("no such account")
    accounts = deps.accounts.get_accounts([teen_id, guardian_id]) if teen_id != guardian_id else {}
    teen, guardian = accounts.get(teen_id), accounts.get(guardian_id)
    if teen is None or guardian is None or guardian_id not in {link.account_id for link in teen.guardians}:
        raise NotFound("no such account")
    link = LinkEnd(deps.links, deps.policy.version, deps.clock(), request_id)
    return end_link(link, teen, guardian, caller_id, LinkReason.UNLINKED)


@dataclass(frozen=True)
class LinkEnd:
    """What ending links needs: the store, and the policy, time and request the events record."""

    links: GuardianStore
    policy_version: str
    now: datetime
    request_id: str


def end_links_at_18(
    end: LinkEnd, read_accounts: Callable[[list[str]], dict[str, Account]], teen: Account, actor_id: str
) -> Account:
    """Ends every link of an account that has turned 18, each with an event on both histories (the birthday job's
    step after the band change; a guardian's access already ended with the band). Returns the record as stored."""
    guardians = read_accounts([link.account_id for link in teen.guardians]) if teen.guardians else {}
    for link in teen.guardians:
        guardian = guardians.get(link.account_id)
        if guardian is not None:
            teen = end_link(end, teen, guardian, actor_id, LinkReason.TURNED_18)
    return teen


def end_link(end: LinkEnd, teen: Account, guardian: Account, caller_id: str, reason: LinkReason) -> Account:
    """Ends one link with an event on both histories (`caller_id`: who ended it)."""
    now = end.now
    on_teen, on_guardian = _actors(caller_id, teen, guardian)
    facts = GuardianFacts(teen_id=teen.account_id, guardian_id=guardian.account_id, reason=reason)
    teen_after = replace(
        teen,
        version=teen.version + 1,
        guardians=tuple(link for link in teen.guardians if link.account_id != guardian.account_id),
    )
    guardian_after = replace(guardian, version=guardian.version + 1, teens=max(0, guardian.teens - 1))
    try:
        event = _Event(EventKind.GUARDIAN_UNLINKED, facts, now, end.policy_version, end.request_id)
        end.links.unlink(
            event.side(teen_after, teen.version, on_teen), event.side(guardian_after, guardian.version, on_guardian)
        )
    except VersionConflict:
        raise Conflict("one of the two accounts changed at the same moment: try again") from None
    return teen_after


def teens_of(deps: GuardiansDeps, guardian_id: str) -> list[GuardianLink]:
    """The caller's teens; a link to an account that has turned 18 is not shown (its guardian no longer sees it)."""
    links = deps.links.teens_of(guardian_id)
    if not links:
        return []
    accounts = deps.accounts.get_accounts([link.account_id for link in links])
    return [
        link
        for link in links
        if link.account_id in accounts
        and is_minor_band(accounts[link.account_id].age_band)
        and guardian_id in {g.account_id for g in accounts[link.account_id].guardians}
    ]


def is_guardian_of(teen: Account, caller_id: str) -> bool:
    """Whether `caller_id` is a guardian of `teen` now: linked, and the teen still under 18."""
    return is_minor_band(teen.age_band) and caller_id in {link.account_id for link in teen.guardians}


def _check_limits(deps: GuardiansDeps, teen: Account, guardian: Account) -> None:
    rules = deps.policy.guardians
    if guardian.account_id in {link.account_id for link in teen.guardians}:
        raise AlreadyLinked("these two accounts are already linked")
    if len(teen.guardians) >= rules.max_guardians_per_teen:
        most = rules.max_guardians_per_teen
        raise PairingRefused("guardian_limit_reached", f"an account has at most {most} guardians")
    if guardian.teens >= rules.max_teens_per_guardian:
        raise PairingRefused("teen_limit_reached", f"a guardian has at most {rules.max_teens_per_guardian} teens")


def _own_account(deps: GuardiansDeps, caller_id: str) -> Account:
    account = deps.accounts.get_account(caller_id)
    if account is None:
        raise NotFound("no such account")
    if account.restricted and account.deactivation is not None:
        raise PairingRefused("account_deactivated", "a deactivated account cannot pair")
    return account


def _count_failure(deps: GuardiansDeps, caller_id: str, now: datetime) -> None:
    window = hour_window(now)
    if not deps.links.count_in_window(caller_id, "redeem", window, FAILED_REDEMPTIONS_PER_HOUR - 1, _window_end(now)):
        deps.links.lock_redemption(caller_id, now + REDEMPTION_LOCK)  # the tenth failure this hour


def _actors(caller_id: str, teen: Account, guardian: Account) -> tuple[Actor, Actor]:
    """Who acted, as each history names them: `self` on the acting side's own, `guardian` or `teen` on the other's."""
    if caller_id == teen.account_id:
        return Actor(id=caller_id, role="self"), Actor(id=caller_id, role="teen")
    if caller_id == guardian.account_id:
        return Actor(id=caller_id, role="guardian"), Actor(id=caller_id, role="self")
    return Actor(id=caller_id, role="system"), Actor(id=caller_id, role="system")  # the birthday job at 18


@dataclass(frozen=True)
class _Event:
    """One link event, written on both histories."""

    kind: EventKind
    facts: GuardianFacts
    at: datetime
    policy_version: str
    request_id: str

    def side(self, account: Account, read_version: int, actor: Actor) -> tuple[Account, int, AuditEvent]:
        """What one side's write is: its new record, the version it was read at, and its event."""
        event = AuditEvent(
            event_id=str(uuid.uuid4()),
            account_id=account.account_id,
            version=account.version,
            at=self.at,
            actor=actor,
            kind=self.kind,
            changes=(),
            age_band=account.age_band,
            policy_version=self.policy_version,
            request_id=self.request_id,
            guardian=self.facts,
        )
        return account, read_version, event


def _hash(deps: GuardiansDeps, code: str) -> str:
    return hmac.new(deps.code_key, code.encode(), hashlib.sha256).hexdigest()


def _window_end(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _seconds_to_window_end(now: datetime) -> int:
    return max(1, int((_window_end(now) - now).total_seconds()))
