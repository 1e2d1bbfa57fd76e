"""The `Idempotency-Key` request header: 1-64 printable characters, not all spaces."""

from __future__ import annotations

from chalicelib.api.call import Call
from chalicelib.domain.errors import BadRequest


def idempotency_key(call: Call, *, required: bool) -> str | None:
    key = call.header("Idempotency-Key")
    if key is None:
        if required:
            raise BadRequest("send an Idempotency-Key header (1-64 characters)", "idempotency_key_missing")
        return None
    if not 1 <= len(key) <= 64 or not key.strip() or not key.isprintable():
        raise BadRequest(
            "the Idempotency-Key header must be 1-64 printable characters, not all spaces",
            "idempotency_key_invalid",
        )
    return key


def lend_lambda_context(call: Call) -> None:
    """Lets an interrupted attempt's "in progress" record expire with the invocation that made it."""
    register = getattr(call.deps.idempotency, "register_lambda_context", None)
    if register is not None and call.lambda_context is not None:
        register(call.lambda_context)
