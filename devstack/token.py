"""Local bearer tokens: HS256 JWTs shaped like Cognito's, signed with LOCAL_JWT_SECRET (`make token`).

Only the local stack and the tests use these; in AWS, Cognito issues the tokens and API Gateway checks them.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Iterable, Sequence

import jwt

LOCAL_JWT_SECRET_DEFAULT = "local-dev-secret"


def local_jwt_secret() -> str:
    """The secret the local stack checks tokens with: LOCAL_JWT_SECRET, else the documented default."""
    return os.environ.get("LOCAL_JWT_SECRET") or LOCAL_JWT_SECRET_DEFAULT


def make_token(
    sub: str,
    groups: Iterable[str] = (),
    ttl_seconds: int = 3600,
    secret: str | None = None,
    expired: bool = False,
) -> str:
    """A signed token for `sub`; `expired=True` dates it so that it expired a minute ago (for 401 tests)."""
    now = int(time.time())
    if expired:
        # Both in the past, so the token was valid once and is now simply out of date.
        issued_at, expires_at = now - ttl_seconds - 60, now - 60
    else:
        issued_at, expires_at = now, now + ttl_seconds
    claims: dict[str, object] = {"sub": sub, "iat": issued_at, "exp": expires_at}
    group_list = [group for group in groups if group]
    if group_list:  # Cognito omits the claim for a user in no group, so we do too
        claims["cognito:groups"] = group_list
    with warnings.catch_warnings():
        # The documented default secret is short on purpose (typed by hand); PyJWT's advice is for real keys.
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        return jwt.encode(claims, secret or local_jwt_secret(), algorithm="HS256")


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.token", description=__doc__)
    parser.add_argument("--sub", required=True, help="the caller's id (an account id for a user)")
    parser.add_argument("--groups", default="", help="comma-separated groups, e.g. auditor,moderator")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires")
    parser.add_argument("--secret", default=None, help="signing secret (default: $LOCAL_JWT_SECRET)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    groups = [group.strip() for group in args.groups.split(",")]
    print(make_token(args.sub, groups, ttl_seconds=args.ttl, secret=args.secret))


if __name__ == "__main__":
    main()
