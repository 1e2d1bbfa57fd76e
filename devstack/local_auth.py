"""The local built-in authorizer's check of HS256 tokens (in AWS, API Gateway's Cognito authorizer does this).

Only `make run` and the tests use it, by building their app with `devstack.local_app`; it is not in `chalicelib/`,
so a packaged or deployed artefact can never contain it. It never raises (chalice local drops the connection when
an authorizer raises) and never denies outright: a bad or missing token is passed on as `auth_error`, and the app
answers 401 problem+json for every route that needs a caller. Context values are scalars only, as API Gateway allows.
"""

from __future__ import annotations

from typing import Any

from chalicelib.identity import InvalidClaims, checked_sub, parse_groups


def claims_context(authorization: str | None, secret: str) -> tuple[str, dict[str, Any]]:
    """(principal id, authorizer context) for an `Authorization` header value."""
    import jwt  # imported here: only local runs pay for it

    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "anonymous", {"auth_error": "missing_token"}
    try:
        claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        return "anonymous", {"auth_error": "expired_token"}
    except jwt.PyJWTError:
        return "anonymous", {"auth_error": "invalid_token"}
    try:
        sub, groups = _checked_claims(claims)
    except InvalidClaims:
        return "anonymous", {"auth_error": "invalid_claims"}
    return sub, {"sub": sub, "groups": ",".join(sorted(groups))}


def _checked_claims(claims: dict[str, Any]) -> tuple[str, frozenset[str]]:
    """The claims' types and sizes, as Cognito issues them: `exp` a number, `sub` a short id, groups a list."""
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise InvalidClaims("exp must be a number")
    groups = claims.get("cognito:groups")
    if groups is not None and not isinstance(groups, list):
        raise InvalidClaims("cognito:groups must be a list of strings")
    return checked_sub(claims.get("sub")), parse_groups(groups)
