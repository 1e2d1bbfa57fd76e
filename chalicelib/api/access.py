"""Who may call what: route -> allowed callers, derived from the route declarations and checked before any view
runs. Deny by default.

Callers are named by kind: `anyone` (no token needed), `signed_in` (any valid token), `account_holder` (the token's
`sub` is the `{account_id}` in the path) or a group name. A route missing from the table answers 403 to everyone.
A caller who may not see an account gets the same 404 as a missing account, so accounts cannot be discovered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chalicelib.identity import Caller

ANYONE = "anyone"
SIGNED_IN = "signed_in"
ACCOUNT_HOLDER = "account_holder"
# A signed-in caller who may be a guardian of the `{account_id}` in the path: let through with `as_guardian`, and the
# view confirms the link from the account's record (a stranger then gets the same 404 as for a missing account).
GUARDIAN = "guardian"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    status: int = 200  # when refused: 401, 403, 404 or 405
    code: str = ""
    as_guardian: bool = False  # allowed only if the view finds the caller linked as the account's guardian


class AccessTable:
    def __init__(self, entries: Iterable[tuple[str, str, frozenset[str]]]) -> None:
        self.entries: Mapping[tuple[str, str], frozenset[str]] = {
            (method, path): callers for method, path, callers in entries
        }

    def methods_of(self, route: str) -> list[str]:
        return sorted(method for method, path in self.entries if path == route)

    def decide(self, method: str, route: str, caller: Caller | None, path_params: dict[str, str]) -> AccessDecision:
        allowed = self.entries.get((method, route))
        if allowed is None:
            if self.methods_of(route):  # a known route, another method: says nothing about any account
                return AccessDecision(False, 405, "method_not_allowed")
            return AccessDecision(False, 403, "forbidden")
        if ANYONE in allowed:
            return AccessDecision(True)
        if caller is None:
            return AccessDecision(False, 401, "unauthenticated")
        if SIGNED_IN in allowed or allowed & caller.groups:
            return AccessDecision(True)
        account_id = path_params.get("account_id")
        if ACCOUNT_HOLDER in allowed and account_id is not None and caller.is_account_holder(account_id):
            return AccessDecision(True)
        if GUARDIAN in allowed and account_id is not None:
            return AccessDecision(True, as_guardian=True)
        if account_id is not None and route.startswith("/v1/accounts/"):
            return AccessDecision(False, 404, "not_found")
        if route.startswith("/v1/exports"):  # exports are not even shown to exist to anyone but auditors
            return AccessDecision(False, 404, "not_found")
        return AccessDecision(False, 403, "forbidden")
