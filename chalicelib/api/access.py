"""Who may call what: one table of route -> allowed callers, checked before any view runs. Deny by default.

Callers are named by kind: `anyone` (no token needed), `signed_in` (any valid token), `account_holder` (the token's
`sub` is the `{account_id}` in the path) or a group name. A route missing from this table answers 403 to everyone.
A caller who may not see an account gets the same 404 as a missing account, so accounts cannot be discovered.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.identity import AUDITOR, MODERATOR, SIGNUP_SERVICE, Caller

ANYONE = "anyone"
SIGNED_IN = "signed_in"
ACCOUNT_HOLDER = "account_holder"

ACCESS: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/v1/health"): frozenset({ANYONE}),
    ("GET", "/v1/policy"): frozenset({ANYONE}),
    ("GET", "/v1/openapi.json"): frozenset({ANYONE}),
    ("POST", "/v1/accounts"): frozenset({SIGNUP_SERVICE}),
    ("GET", "/v1/accounts/{account_id}/settings"): frozenset({ACCOUNT_HOLDER, AUDITOR}),
    ("PATCH", "/v1/accounts/{account_id}/settings"): frozenset({ACCOUNT_HOLDER}),
    ("GET", "/v1/accounts/{account_id}/settings/history"): frozenset({ACCOUNT_HOLDER, AUDITOR}),
    ("POST", "/v1/reports"): frozenset({SIGNED_IN}),
    ("GET", "/v1/reports"): frozenset({SIGNED_IN}),
    ("GET", "/v1/reports/{report_id}"): frozenset(
        {SIGNED_IN}
    ),  # the service lets only the reporter or a moderator see it
    ("GET", "/v1/moderation/queue"): frozenset({MODERATOR}),
    ("POST", "/v1/moderation/targets/{target_type}/{target_id}/decision"): frozenset({MODERATOR}),
    ("POST", "/v1/moderation/reporters/{account_id}/mute"): frozenset({MODERATOR}),
}


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    status: int = 200  # when refused: 401, 403 or 404
    code: str = ""


def methods_of(route: str) -> list[str]:
    return sorted(method for method, path in ACCESS if path == route)


def decide_access(method: str, route: str, caller: Caller | None, path_params: dict[str, str]) -> AccessDecision:
    allowed = ACCESS.get((method, route))
    if allowed is None:
        if methods_of(route):  # a known route, another method: says nothing about any account
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
    if account_id is not None and route.startswith("/v1/accounts/"):
        return AccessDecision(False, 404, "not_found")
    return AccessDecision(False, 403, "forbidden")
