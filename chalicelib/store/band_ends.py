"""The days an account's age bands end, sealed at field level under a KMS key (AWS Encryption SDK, envelope encryption).

The day a minor's band ends is a birthday, and so gives the birth date away: it is stored only sealed. What is sealed
is the account id and the days its remaining bands end (one or two; none for an adult, who then has nothing sealed),
and opening checks the account id, so a sealed value copied onto another account does not open there.

- `BandEndSealer` only seals: it needs `kms:GenerateDataKey` and is what the API uses (sign-up, age corrections).
- `BandEndOpener` also opens: it needs `kms:Decrypt`, which only the transition function's role is given.

The key is found by its alias (`BAND_END_KEY_ALIAS`, see infra/keys.py), the same in AWS and on the local moto. Data
keys are cached (the Encryption SDK's caching materials manager) for at most five minutes and 10,000 messages, so
sealing seldom calls KMS and opening many values sealed together calls it once. The algorithm commits to its key and
is not signed: everyone who holds the key is trusted alike. The Encryption SDK (and `cryptography`) are imported on
first use only, so no entry point pays for them at cold start unless it seals.
"""

from __future__ import annotations

import base64
import json
import threading
from datetime import date
from typing import Any

from chalicelib.domain.errors import Unavailable
from chalicelib.services.ports import SealBroken

# Bound into every message (authenticated, not secret): a value sealed for another purpose does not open here.
_CONTEXT = {"purpose": "safety-settings/band-ends", "version": "1"}
_CACHE_SECONDS = 300.0
# A value seals at most this many earlier ones inside it (chalicelib.services.age_correction refuses more first).
MAX_FLOORS = 8
_CACHE_MESSAGES = 10_000


class BandEndSealer:
    def __init__(self, key_alias: str, region: str, kms: Any = None) -> None:
        self._alias = key_alias
        self._region = region
        self._kms = kms  # a boto3 KMS client; built on first use when not given
        self._lock = threading.Lock()
        self._parts: tuple[Any, Any] | None = None  # (EncryptionSDKClient, caching materials manager)

    def seal(self, account_id: str, ends: tuple[date, ...], floor: str = "") -> str:
        """The sealed form of `ends` for `account_id` (base64 text); `Unavailable` when KMS cannot be reached.

        A `floor` (sealed before, for the same account) is sealed inside: opening gives, day by day, the later of
        the two (a holder's correction within a band can delay a birthday move, never bring it forward)."""
        from aws_encryption_sdk.identifiers import Algorithm

        client, materials = self._sdk()
        content: dict[str, Any] = {"account": account_id, "ends": [day.isoformat() for day in ends]}
        if floor:
            content["floor"] = floor
        plaintext = json.dumps(content).encode()
        try:
            ciphertext, _ = client.encrypt(
                source=plaintext,
                materials_manager=materials,
                encryption_context=_CONTEXT,
                algorithm=Algorithm.AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
            )
        except Exception as error:  # throttled, unreachable or refused: nothing is stored unsealed, try again
            raise Unavailable("the service could not protect this account's data yet; try again shortly") from error
        return base64.b64encode(ciphertext).decode("ascii")

    def _sdk(self) -> tuple[Any, Any]:
        with self._lock:
            if self._parts is None:
                try:
                    self._parts = self._build()
                except Exception as error:
                    raise Unavailable("the service's key could not be found yet; try again shortly") from error
            return self._parts

    def _build(self) -> tuple[Any, Any]:
        import boto3
        import botocore.session
        from aws_encryption_sdk import (
            CachingCryptoMaterialsManager,
            CommitmentPolicy,
            EncryptionSDKClient,
            LocalCryptoMaterialsCache,
            StrictAwsKmsMasterKeyProvider,
        )

        kms = self._kms or boto3.client("kms", region_name=self._region)
        key_arn = kms.describe_key(KeyId=self._alias)["KeyMetadata"]["Arn"]
        provider = StrictAwsKmsMasterKeyProvider(key_ids=[key_arn], botocore_session=botocore.session.Session())
        materials = CachingCryptoMaterialsManager(
            master_key_provider=provider,
            cache=LocalCryptoMaterialsCache(capacity=100),
            max_age=_CACHE_SECONDS,
            max_messages_encrypted=_CACHE_MESSAGES,
        )
        client = EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
        return client, materials


class BandEndOpener(BandEndSealer):
    """Seals and opens: only the transition function is composed with one (and only its role may decrypt)."""

    def open(self, account_id: str, sealed: str, _depth: int = 0) -> tuple[date, ...]:
        if _depth > MAX_FLOORS:
            raise SealBroken("a band end holds more corrections than any the service seals")
        client, materials = self._sdk()
        try:
            message = base64.b64decode(sealed, validate=True)
            plaintext, header = client.decrypt(source=message, materials_manager=materials)
            opened = json.loads(plaintext)
        except Exception as error:  # the SDK raises many kinds; every one means this value cannot be trusted
            raise SealBroken(f"a band end did not open ({type(error).__name__})") from None
        if any(header.encryption_context.get(name) != value for name, value in _CONTEXT.items()):
            raise SealBroken("a band end was sealed for another purpose")
        if not isinstance(opened, dict) or opened.get("account") != account_id:
            raise SealBroken("a band end was sealed for another account")
        ends = tuple(date.fromisoformat(day) for day in opened["ends"])
        floor = opened.get("floor")
        if isinstance(floor, str) and floor:
            below = self.open(account_id, floor, _depth + 1)
            if len(below) == len(ends):
                return tuple(max(day, under) for day, under in zip(ends, below, strict=True))
        return ends
