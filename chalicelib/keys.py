"""The service's secret keys, one per purpose, derived from one root secret with HKDF (RFC 5869, SHA-256).

A key leaked or misused for one purpose says nothing about the others, and rotating the root rotates them all.
HKDF is a dozen lines over `hmac`; the `cryptography` package would cost cold start for no gain here.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

_SALT = b"safety-settings/v1"
MIN_ROOT_SECRET_BYTES = 32


def hkdf_sha256(root: bytes, info: bytes, length: int = 32, salt: bytes = _SALT) -> bytes:
    """RFC 5869: extract a pseudorandom key from `root`, then expand it for `info`."""
    pseudorandom_key = hmac.new(salt, root, hashlib.sha256).digest()
    output, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(pseudorandom_key, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
    return output[:length]


class WeakSecret(ValueError):
    """The root secret is missing, empty or too short to derive keys from."""


@dataclass(frozen=True, repr=False)
class ServiceKeys:
    cursors: bytes  # seals paging cursors
    report_ids: bytes  # derives report ids from reporter, Idempotency-Key and body (and appeal ids, prefixed)
    request_fingerprints: bytes  # keys the hash that tells an Idempotency-Key's replay from a reuse
    pairing_codes: bytes  # keys the hash a pairing code is stored as (the code itself never is)

    @classmethod
    def derive(cls, root: bytes) -> ServiceKeys:
        if len(root) < MIN_ROOT_SECRET_BYTES:
            raise WeakSecret(f"the root secret must be at least {MIN_ROOT_SECRET_BYTES} bytes")
        return cls(
            cursors=hkdf_sha256(root, b"paging-cursors"),
            report_ids=hkdf_sha256(root, b"report-ids"),
            request_fingerprints=hkdf_sha256(root, b"request-fingerprints"),
            pairing_codes=hkdf_sha256(root, b"pairing-codes"),
        )

    def __repr__(self) -> str:  # never print a key
        return "ServiceKeys(<secret>)"
