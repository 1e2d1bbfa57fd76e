"""The local built-in authorizer's check of HS256 tokens (in AWS, API Gateway's Cognito authorizer does this).

It never raises (chalice local drops the connection when an authorizer raises) and never denies outright: a bad or
missing token is passed on as `auth_error`, and the app answers 401 problem+json for every route that needs a caller.
Context values are scalars only, as API Gateway allows.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import get_config
from chalicelib.identity import parse_groups


def claims_context(authorization: str | None) -> tuple[str, dict[str, Any]]:
    """(principal id, authorizer context) for an `Authorization` header value."""
    import jwt  # imported here: only local runs pay for it

    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "anonymous", {"auth_error": "missing_token"}
    try:
        claims = jwt.decode(
            token.strip(),
            get_config().local_jwt_secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        return "anonymous", {"auth_error": "expired_token"}
    except jwt.PyJWTError:
        return "anonymous", {"auth_error": "invalid_token"}
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        return "anonymous", {"auth_error": "invalid_token"}
    groups = ",".join(sorted(parse_groups(claims.get("cognito:groups"))))
    return sub, {"sub": sub, "groups": groups}
