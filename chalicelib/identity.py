"""Who is calling: the claims API Gateway (Cognito) or the local authorizer put in the request context.

The local built-in authorizer passes scalar context values only (as API Gateway does): `sub` and `groups` as a
comma-separated string, or `auth_error` when the token was missing, bad or expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNUP_SERVICE = "signup-service"
AUDITOR = "auditor"
MODERATOR = "moderator"
AGE_VERIFIER = "age-verifier"
KNOWN_GROUPS = frozenset({SIGNUP_SERVICE, AUDITOR, MODERATOR, AGE_VERIFIER})


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


def caller_from_context(request_context: Mapping[str, Any]) -> Caller | None:
    """The authenticated caller, or None when the request carried no valid identity."""
    authorizer = request_context.get("authorizer") or {}
    if authorizer.get("auth_error"):
        return None
    claims = authorizer.get("claims") or authorizer
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return None
    return Caller(sub=sub, groups=parse_groups(claims.get("cognito:groups", claims.get("groups"))))


def parse_groups(raw: object) -> frozenset[str]:
    """Groups arrive as a list (JWT), `a,b` (local context) or `[a b]` (API Gateway's Cognito claims)."""
    if isinstance(raw, list | tuple):
        names = [str(item) for item in raw]
    elif isinstance(raw, str):
        names = raw.strip("[]").replace(",", " ").split()
    else:
        names = []
    return frozenset(name for name in names if name in KNOWN_GROUPS)
