"""Family pairing, as pure rules: pairing codes, who may be a guardian of whom, and how many links each may hold.

A guardian is an adult account (18+, not restricted) whose age is known at least as well as the policy asks; a teen
is an account under 18. A code made by either side links them when the other redeems it: the teen always takes
part, so no adult can pair with a child on their own. Links end at 18 (a guardian's access ends with the band
before any job has run: `is_minor_band`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.models import Account, AgeAssurance
from chalicelib.policy import GuardianRules

# No 0/O, 1/I/L: a code read out over a kitchen table is typed right the first time. 31 symbols, 8 of them: about
# 8.5e11 codes, against at most 10 guesses an hour per account.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_VALID_FOR = timedelta(minutes=10)
CODES_PER_HOUR = 5
FAILED_REDEMPTIONS_PER_HOUR = 10
REDEMPTION_LOCK = timedelta(hours=1)
ADULT_BAND = "18+"

_ASSURANCE_ORDER = (
    AgeAssurance.SELF_DECLARED,
    AgeAssurance.GUARDIAN_DECLARED,
    AgeAssurance.ESTIMATED,
    AgeAssurance.VERIFIED,
)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalised_code(text: str) -> str | None:
    """The code as typed (any case, with spaces or dashes between groups), or None if it cannot be one."""
    code = text.replace("-", "").replace(" ", "").upper()
    if len(code) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in code):
        return None
    return code


def is_minor_band(band: str) -> bool:
    return band != ADULT_BAND


@dataclass(frozen=True)
class Pairing:
    teen: Account
    guardian: Account


def pairing_of(creator: Account, redeemer: Account, rules: GuardianRules) -> Pairing:
    """Who is the teen and who the guardian, or `ValidationFailed` naming why these two cannot be paired."""
    if creator.account_id == redeemer.account_id:
        raise PairingRefused("pairing_same_account", "a code pairs two accounts: the other person redeems it")
    minors = [account for account in (creator, redeemer) if is_minor_band(account.age_band)]
    if not minors:
        raise PairingRefused("pairing_needs_a_minor", "a guardian pairs with an account under 18")
    if len(minors) == 2:
        raise PairingRefused("pairing_needs_an_adult", "a guardian must be an adult account (18 or over)")
    teen = minors[0]
    guardian = redeemer if teen is creator else creator
    refusal = guardian_refusal(guardian, rules)
    if refusal is not None:
        raise PairingRefused(*refusal)
    return Pairing(teen=teen, guardian=guardian)


def guardian_refusal(account: Account, rules: GuardianRules) -> tuple[str, str] | None:
    """Why `account` cannot be a guardian (code, detail), or None."""
    if is_minor_band(account.age_band):
        return "pairing_needs_an_adult", "a guardian must be an adult account (18 or over)"
    if account.restricted or account.deactivation is not None:
        return "guardian_not_eligible", "this account cannot be a guardian"
    if _ASSURANCE_ORDER.index(account.age_assurance) < _ASSURANCE_ORDER.index(AgeAssurance(rules.min_assurance)):
        return "guardian_assurance_required", f"a guardian's age must be confirmed ({rules.min_assurance} or better)"
    return None


def code_expires(created: datetime) -> datetime:
    return created + CODE_VALID_FOR


def hour_window(now: datetime) -> str:
    """The fixed one-hour window a rate counter counts in (UTC)."""
    return now.strftime("%Y%m%d%H")


class PairingRefused(ValidationFailed):
    """These two accounts cannot be paired (422)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
