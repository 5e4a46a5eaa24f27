"""Who the user is, for frequency caps: a hashed key from the request's user and device ids.

``user.id`` (the exchange's id) comes first, then ``user.buyeruid`` (ours, matched by the
exchange), then the device's advertising id and its hashed forms. The key is a 64-bit BLAKE2b
of the kind and the value, so raw ids never reach URLs, logs or Redis.
"""

import hashlib

from openbid.openrtb.model import BidRequest

KEY_BYTES = 8
_ZERO_IFA = "00000000-0000-0000-0000-000000000000"  # limit-ad-tracking devices all send this


def _hash(kind: str, value: str) -> str:
    return hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=KEY_BYTES).hexdigest()


def user_key(request: BidRequest) -> str | None:
    """The hashed user key of ``request`` (16 hex digits), or None when it names nobody."""
    user = request.user
    if user is not None:
        if user.id:
            return _hash("user", user.id)
        if user.buyeruid:
            return _hash("buyer", user.buyeruid)
    device = request.device
    if device is None:
        return None
    if device.ifa and device.ifa != _ZERO_IFA:
        return _hash("ifa", device.ifa.lower())
    for kind, value in (
        ("dpidsha1", device.dpidsha1),
        ("dpidmd5", device.dpidmd5),
        ("didsha1", device.didsha1),
        ("didmd5", device.didmd5),
        ("macsha1", device.macsha1),
        ("macmd5", device.macmd5),
    ):
        if value:
            return _hash(kind, value.lower())
    return None
