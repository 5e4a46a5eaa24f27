"""HMAC signatures on the notice URLs the bidder hands out, with key ids for rotation."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping

SIGNATURE_BYTES = 16


def _signature(key: bytes, message: bytes) -> str:
    digest = hmac.digest(key, message, hashlib.sha256)
    return base64.urlsafe_b64encode(digest[:SIGNATURE_BYTES]).rstrip(b"=").decode()


class SigningKeys:
    """Signs with the active key; verifies with any key still listed (the rotation overlap)."""

    __slots__ = ("_keys", "active_id")

    def __init__(self, keys: Mapping[str, bytes], active_id: str) -> None:
        if active_id not in keys:
            raise ValueError(f"active signing key {active_id!r} is not among the keys")
        if any(len(secret) < SIGNATURE_BYTES for secret in keys.values()):
            raise ValueError(f"signing keys must be at least {SIGNATURE_BYTES} bytes")
        self._keys = dict(keys)
        self.active_id = active_id

    @classmethod
    def parse(cls, spec: str) -> "SigningKeys":
        """From ``id:secret[,id:secret...]``; the first key is the active one."""
        keys: dict[str, bytes] = {}
        for part in spec.split(","):
            key_id, sep, secret = part.strip().partition(":")
            if not sep or not key_id or not secret:
                raise ValueError("signing keys are written id:secret[,id:secret...]")
            keys[key_id] = secret.encode()
        return cls(keys, next(iter(keys)))

    @classmethod
    def ephemeral(cls) -> "SigningKeys":
        """A random key for this process only: its notices verify nowhere else."""
        return cls({"local": secrets.token_bytes(32)}, "local")

    def sign(self, message: bytes) -> str:
        """Web-safe base64 of a truncated HMAC-SHA256 of ``message`` under the active key."""
        return _signature(self._keys[self.active_id], message)

    def verify(self, key_id: str, message: bytes, signature: str) -> bool:
        """Whether ``signature`` is ``message`` signed by listed key ``key_id`` (constant time)."""
        key = self._keys.get(key_id)
        if key is None:
            return False
        return hmac.compare_digest(_signature(key, message), signature)
