"""Opaque paging cursors: the store's position, signed (HMAC) and bound to what is being paged.

A client can only hand back a cursor this service gave out for the same list: a forged, edited or borrowed cursor
is refused before it reaches DynamoDB, so no client-chosen key ever becomes an `ExclusiveStartKey`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from functools import cache
from typing import Any

from chalicelib.config import get_config


class InvalidCursor(ValueError):
    pass


@cache
def _key() -> bytes:
    # Derived from the service's secret, so it is set (and secret) wherever the service runs in AWS.
    return hmac.new(get_config().fingerprint_key, b"paging-cursors", hashlib.sha256).digest()


def _mac(scope: str, body: bytes) -> bytes:
    return hmac.new(_key(), scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def seal(scope: str, position: Any) -> str:
    body = json.dumps(position, sort_keys=True, separators=(",", ":")).encode()
    return f"{_b64(body)}.{_b64(_mac(scope, body))}"


def unseal(scope: str, cursor: str) -> Any:
    body_text, _, mac_text = cursor.partition(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor(cursor) from error
    if not hmac.compare_digest(mac, _mac(scope, body)):
        raise InvalidCursor(cursor)
    return json.loads(body)
