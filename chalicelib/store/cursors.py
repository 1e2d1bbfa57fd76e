"""Opaque paging cursors: a store's position, signed (HMAC) and bound to what is being paged.

A client can only hand back a cursor this service gave out for the same list: a forged, edited or borrowed cursor
is refused before it reaches DynamoDB. Each store also checks that an unsealed position has exactly the shape it
writes (`key_position`), so even a cursor sealed with a leaked key cannot become an arbitrary `ExclusiveStartKey`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.services.ports import InvalidCursor

MAX_CURSOR_CHARS = 2048


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


class CursorSealer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:  # never print a key
        return "CursorSealer(<secret>)"

    def _mac(self, scope: str, body: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\x00" + body, hashlib.sha256).digest()[:16]

    def seal(self, scope: str, position: Any) -> str:
        body = json.dumps(position, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(body)}.{_b64(self._mac(scope, body))}"

    def unseal(self, scope: str, cursor: str) -> Any:
        if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
            raise InvalidCursor("cursor too long or not ASCII")
        body_text, _, mac_text = cursor.partition(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError) as error:
            raise InvalidCursor("cursor is not base64") from error
        if not hmac.compare_digest(mac, self._mac(scope, body)):
            raise InvalidCursor("cursor seal does not match")
        try:
            return json.loads(body)
        except ValueError as error:
            raise InvalidCursor("cursor is not JSON") from error


def key_position(position: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A DynamoDB key (`{name: {"S": text}}`) with exactly `names`, each a non-empty string; else `InvalidCursor`."""
    if not isinstance(position, dict) or set(position) != set(names):
        raise InvalidCursor("cursor does not hold the expected key")
    for name in names:
        attr = position[name]
        if not isinstance(attr, dict) or set(attr) != {"S"}:
            raise InvalidCursor("cursor key is not a string attribute")
        value = attr["S"]
        if not isinstance(value, str) or not 0 < len(value) <= 1024:
            raise InvalidCursor("cursor key value out of range")
    return position
