"""HMAC-SHA512 keys for the notice URLs the bidder hands out, with key ids for rotation.

SHA-512 gives 64 bytes per MAC: enough for a separate 10-byte tag for each of the five notice
kinds of a bid (win, billing, loss, impression, click) from one MAC per bid.
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping

MIN_SECRET_BYTES = 16


class SigningKeys:
    """Signs with the active key; verifies with any key still listed (the rotation overlap)."""

    __slots__ = ("_macs", "active_id")

    def __init__(self, keys: Mapping[str, bytes], active_id: str) -> None:
        if active_id not in keys:
            raise ValueError(f"active signing key {active_id!r} is not among the keys")
        if any(len(secret) < MIN_SECRET_BYTES for secret in keys.values()):
            raise ValueError(f"signing keys must be at least {MIN_SECRET_BYTES} bytes")
        # Keyed once: each signature then costs one copy and one pass over the message.
        self._macs = {
            key_id: hmac.new(secret, digestmod=hashlib.sha512) for key_id, secret in keys.items()
        }
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

    def digest(self, message: bytes, key_id: str | None = None) -> bytes | None:
        """HMAC-SHA512 of ``message`` under ``key_id`` (the active key when None); None when
        that key is not (or no longer) listed."""
        template = self._macs.get(self.active_id if key_id is None else key_id)
        if template is None:
            return None
        mac = template.copy()
        mac.update(message)
        return mac.digest()
