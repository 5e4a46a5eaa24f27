"""The price encryption of Google Authorized Buyers (``${AUCTION_PRICE}`` as ciphertext).

A price is 28 bytes in unpadded web-safe base64: a 16-byte initialization vector, the 8-byte
big-endian price in micros XORed with the first 8 bytes of HMAC-SHA1(encryption key, IV), and a
4-byte signature, the first 4 bytes of HMAC-SHA1(integrity key, price || IV). Both keys are the
32-byte secrets the exchange issues, themselves written in web-safe base64.
"""

import base64
import binascii
import hashlib
import hmac

IV_BYTES = 16
PRICE_BYTES = 8
SIGNATURE_BYTES = 4
MESSAGE_BYTES = IV_BYTES + PRICE_BYTES + SIGNATURE_BYTES
MAX_TEXT_CHARS = 64


def websafe_b64decode(text: str) -> bytes:
    """Decode web-safe base64 with or without its ``=`` padding; raises ValueError."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"not web-safe base64: {error}") from None


class PriceCrypto:
    """Decrypts (and, for tests and simulators, encrypts) prices under one pair of keys."""

    __slots__ = ("_encryption", "_integrity")

    def __init__(self, encryption_key: bytes, integrity_key: bytes) -> None:
        if not encryption_key or not integrity_key:
            raise ValueError("price encryption needs both an encryption and an integrity key")
        self._encryption = hmac.new(encryption_key, digestmod=hashlib.sha1)
        self._integrity = hmac.new(integrity_key, digestmod=hashlib.sha1)

    @classmethod
    def from_text(cls, encryption_key: str, integrity_key: str) -> "PriceCrypto":
        """From the keys as the exchange hands them out (web-safe base64)."""
        return cls(
            websafe_b64decode(encryption_key.strip()), websafe_b64decode(integrity_key.strip())
        )

    def _mac(self, template: "hmac.HMAC", message: bytes) -> bytes:
        mac = template.copy()
        mac.update(message)
        return mac.digest()

    def decrypt(self, text: str | None) -> int | None:
        """The price in micros; None when the text is malformed or its signature is wrong."""
        if not text or len(text) > MAX_TEXT_CHARS:
            return None
        try:
            message = websafe_b64decode(text)
        except ValueError:
            return None
        if len(message) != MESSAGE_BYTES:
            return None
        iv = message[:IV_BYTES]
        masked = message[IV_BYTES : IV_BYTES + PRICE_BYTES]
        signature = message[IV_BYTES + PRICE_BYTES :]
        pad = self._mac(self._encryption, iv)
        price = bytes(m ^ p for m, p in zip(masked, pad, strict=False))
        expected = self._mac(self._integrity, price + iv)[:SIGNATURE_BYTES]
        if not hmac.compare_digest(expected, signature):
            return None
        return int.from_bytes(price, "big")

    def encrypt(self, micros: int, iv: bytes) -> str:
        """``micros`` encrypted under ``iv`` (16 bytes), as unpadded web-safe base64."""
        if len(iv) != IV_BYTES:
            raise ValueError(f"the initialization vector is {IV_BYTES} bytes")
        price = micros.to_bytes(PRICE_BYTES, "big")
        pad = self._mac(self._encryption, iv)
        masked = bytes(p ^ k for p, k in zip(price, pad, strict=False))
        signature = self._mac(self._integrity, price + iv)[:SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(iv + masked + signature).decode().rstrip("=")
