"""Local tokens (`make token`): Cognito-shaped HS256 JWTs signed with LOCAL_JWT_SECRET."""

from __future__ import annotations

import jwt
import pytest

from devstack.token import main, make_token

SECRET = "a-secret-for-these-tests-only-32-bytes"


def decode(token: str, verify_exp: bool = True) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": verify_exp})
    return claims


def test_a_token_carries_the_subject_its_groups_and_an_expiry() -> None:
    # When a token is made for an auditor who is also a moderator
    claims = decode(make_token("u-1", ["auditor", "moderator"], ttl_seconds=600, secret=SECRET))

    # Then it names them, their groups as Cognito does, and expires after the ttl
    assert claims["sub"] == "u-1"
    assert claims["cognito:groups"] == ["auditor", "moderator"]
    assert claims["exp"] == claims["iat"] + 600  # type: ignore[operator]


def test_a_token_for_no_group_has_no_groups_claim() -> None:
    # When a token is made with an empty group list (as `make token GROUPS=` passes)
    claims = decode(make_token("u-1", [""], secret=SECRET))

    # Then the claim is absent, as in a Cognito token for a user in no group
    assert "cognito:groups" not in claims


def test_an_expired_token_is_refused_by_a_checker() -> None:
    # When a token is made already expired
    token = make_token("u-1", secret=SECRET, expired=True)

    # Then a checker refuses it as expired (and it would otherwise be valid)
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(token)
    assert decode(token, verify_exp=False)["sub"] == "u-1"


def test_the_command_prints_a_token_signed_with_the_given_secret(capsys: pytest.CaptureFixture[str]) -> None:
    # When the command is run as `make token` runs it
    main(["--sub", "u-2", "--groups", "auditor", "--ttl", "60", "--secret", SECRET])

    # Then it prints one token for that caller
    claims = decode(capsys.readouterr().out.strip())
    assert claims["sub"] == "u-2"
    assert claims["cognito:groups"] == ["auditor"]
