"""The `Idempotency-Key` request header: 1-64 printable characters, not all spaces."""

from __future__ import annotations

from chalicelib.api.call import Call
from chalicelib.domain.errors import BadRequest


def idempotency_key(call: Call, *, required: bool, min_length: int = 1) -> str | None:
    """The header's key. Where a replay answers differently from a reuse (sign-up: 201 against 422), a guessable
    key would let whoever guesses it test a body against the stored one, so such routes ask for at least 16
    characters (send a random UUID)."""
    key = call.header("Idempotency-Key")
    if key is None:
        if required:
            raise BadRequest("send an Idempotency-Key header (1-64 characters)", "idempotency_key_missing")
        return None
    if not min_length <= len(key) <= 64 or not key.strip() or not key.isprintable():
        raise BadRequest(
            f"the Idempotency-Key header must be {min_length}-64 printable characters, not all spaces",
            "idempotency_key_invalid",
        )
    return key


def lend_lambda_context(call: Call) -> None:
    """Lets an interrupted attempt's "in progress" record expire with the invocation that made it."""
    register = getattr(call.deps.idempotency, "register_lambda_context", None)
    if register is not None and call.lambda_context is not None:
        register(call.lambda_context)
