"""Requests that carry an `Idempotency-Key`: run once, replayed after, refused when reused for another body."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import IdempotencyKeyReused, RequestInProgress
from chalicelib.services.ports import Idempotency, IdempotencyInProgress, IdempotencyKeyMismatch, IdempotentRequest


def request_fingerprint(key: bytes, body: Any) -> str:
    """A keyed hash of a request body (canonical JSON): equal bodies match, and nothing about the body can be
    recovered from it without the key."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def run_idempotent(
    idempotency: Idempotency, request: IdempotentRequest, work: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """`work`'s result, run once for the request's key; (result, replayed)."""
    try:
        return idempotency.run_once(request, work)
    except IdempotencyKeyMismatch:
        raise IdempotencyKeyReused("this Idempotency-Key was already used with a different body") from None
    except IdempotencyInProgress:
        raise RequestInProgress("a request with this Idempotency-Key is still being processed; retry") from None
