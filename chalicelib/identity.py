"""Who is calling: the claims API Gateway (Cognito) or the local authorizer put in the request context.

Claims are checked here, at the edge, before anything uses them: a `sub` that could not be an id (too long, odd
characters, not a string) or groups that are not names make the caller anonymous, so the route answers 401. The
local built-in authorizer passes scalar context values only (as API Gateway does): `sub` and `groups` as a
comma-separated string, or `auth_error` when the token was missing, bad or expired.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNUP_SERVICE = "signup-service"
AUDITOR = "auditor"
MODERATOR = "moderator"
AGE_VERIFIER = "age-verifier"
TRUSTED_FLAGGER = "trusted-flagger"  # DSA Art. 22: an entity awarded the status; its notices are handled first
KNOWN_GROUPS = frozenset({SIGNUP_SERVICE, AUDITOR, MODERATOR, AGE_VERIFIER, TRUSTED_FLAGGER})

# Account ids, Cognito subs (UUIDs) and app client ids all fit; nothing longer reaches a DynamoDB key.
SUB_PATTERN = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")
_GROUPS_TEXT = re.compile(r"[A-Za-z0-9_\-\[\], ]{0,1024}")
_GROUP_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class Caller:
    sub: str
    groups: frozenset[str]

    def is_account_holder(self, account_id: str) -> bool:
        return self.sub == account_id

    @property
    def role(self) -> str:
        """The role a log line or an audit event names: a group for services and staff, else `user`."""
        for group in (SIGNUP_SERVICE, AGE_VERIFIER, MODERATOR, AUDITOR):
            if group in self.groups:
                return group
        return "user"


class InvalidClaims(ValueError):
    """A token's claims are not of the shape the service accepts."""


def caller_from_context(request_context: Mapping[str, Any]) -> Caller | None:
    """The authenticated caller, or None when the request carried no valid identity."""
    authorizer = request_context.get("authorizer") or {}
    if not isinstance(authorizer, Mapping) or authorizer.get("auth_error"):
        return None
    cognito_claims = authorizer.get("claims")
    if cognito_claims is not None:  # API Gateway's Cognito authorizer: groups only ever from cognito:groups
        if not isinstance(cognito_claims, Mapping):
            return None
        claims, groups_claim = cognito_claims, "cognito:groups"
    else:  # the local authorizer's scalar context
        claims, groups_claim = authorizer, "groups"
    try:
        sub = checked_sub(claims.get("sub"))
        groups = parse_groups(claims.get(groups_claim))
    except InvalidClaims:
        return None
    return Caller(sub=sub, groups=groups)


def checked_sub(raw: object) -> str:
    if not isinstance(raw, str) or not SUB_PATTERN.fullmatch(raw):
        raise InvalidClaims("sub must be 1-128 letters, digits or _ . : @ -")
    return raw


def parse_groups(raw: object) -> frozenset[str]:
    """Groups arrive as a list of strings (JWT), `a,b` (local context) or `[a b]` (API Gateway's Cognito claims);
    anything else is refused. Names the service does not know are dropped."""
    if raw is None:
        return frozenset()
    if isinstance(raw, list | tuple):
        if len(raw) > 64 or not all(isinstance(item, str) and _GROUP_NAME.fullmatch(item) for item in raw):
            raise InvalidClaims("cognito:groups must be a list of group names")
        names = list(raw)
    elif isinstance(raw, str):
        if not _GROUPS_TEXT.fullmatch(raw):
            raise InvalidClaims("groups must be group names")
        names = raw.strip("[]").replace(",", " ").split()
    else:
        raise InvalidClaims("cognito:groups must be a list of strings")
    return frozenset(name for name in names if name in KNOWN_GROUPS)
