"""JSON wire codec for bid requests and responses.

Decoders and encoders are built once at import. Every way a body can be unacceptable (not
UTF-8, not JSON, wrong shape, nested too deeply, ids missing or repeated, too many impressions)
surfaces as :class:`InvalidRequest` (or :class:`InvalidResponse`) carrying a short reason fit for
a 400 response body or a log line; nothing else escapes.
"""

from __future__ import annotations

import re

import msgspec

from openbid.openrtb.compat import normalize
from openbid.openrtb.model import BidRequest, BidResponse

__all__ = [
    "InvalidMessage",
    "InvalidRequest",
    "InvalidResponse",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
]

Body = bytes | bytearray | memoryview
MAX_IMPS = 100  # more impressions than any exchange sends in one request: refused, not worked


class InvalidMessage(ValueError):  # noqa: N818 -- the name the bidder raises and catches
    """An OpenRTB message that cannot be accepted; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidRequest(InvalidMessage):
    """A bid request that is malformed per the spec: answer 400, never 5xx."""


class InvalidResponse(InvalidMessage):
    """A bid response that is malformed per the spec."""


_request_decoder = msgspec.json.Decoder(BidRequest)
_response_decoder = msgspec.json.Decoder(BidResponse)
_encoder = msgspec.json.Encoder()

_PATH = re.compile(r" - at `(?P<path>[^`]*)`$")
_NULLABLE = re.compile(r" \| null`")


def _reason(exc: Exception) -> str:
    """A short reason from a decode failure, derived from msgspec's message."""
    if isinstance(exc, UnicodeDecodeError):
        return "invalid UTF-8"
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply"
    message = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        # msgspec.DecodeError: "JSON is malformed: invalid character (byte 4)", ...
        if message == "Input data was truncated":
            return "not JSON: truncated"
        return "not JSON: " + message.removeprefix("JSON is malformed: ")
    at = ""
    found = _PATH.search(message)
    if found is not None:
        message = message[: found.start()]
        at = " at `" + found["path"] + "`"
    if message.startswith("Object missing required field"):
        return "missing field" + message.removeprefix("Object missing required field") + at
    if not at and message.startswith("Expected `object`, got "):
        return "not a JSON object (got " + message.removeprefix("Expected `object`, got ") + ")"
    message = _NULLABLE.sub("`", message)
    return message[:1].lower() + message[1:] + at


def decode_request(body: Body, *, compat: bool = True) -> BidRequest:
    """Decode and check a bid request; raises :class:`InvalidRequest`.

    With ``compat`` (the default), 2.5-era extension fields are promoted into their 2.6
    locations (:func:`openbid.openrtb.compat.normalize`).
    """
    if not body:
        raise InvalidRequest("empty body")
    try:
        req = _request_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        # msgspec.ValidationError is a subclass of DecodeError.
        raise InvalidRequest(_reason(exc)) from None
    _check_request(req)
    if compat:
        normalize(req)
    return req


def _check_request(req: BidRequest) -> None:
    """The spec's rules msgspec's types cannot express."""
    if not req.id:
        raise InvalidRequest("empty `id`")
    imps = req.imp
    if not imps:
        raise InvalidRequest("empty `imp`")
    if len(imps) > MAX_IMPS:
        raise InvalidRequest(f"too many impressions ({len(imps)} > {MAX_IMPS})")
    if len(imps) == 1:
        if not imps[0].id:
            raise InvalidRequest("empty imp id at `$.imp[0].id`")
        return
    seen: set[str] = set()
    for index, imp in enumerate(imps):
        if not imp.id:
            raise InvalidRequest(f"empty imp id at `$.imp[{index}].id`")
        if imp.id in seen:
            raise InvalidRequest(f"imp ids not unique (`{imp.id}` repeated)")
        seen.add(imp.id)


def decode_response(body: Body) -> BidResponse:
    """Decode a bid response; raises :class:`InvalidResponse`. Checks only the JSON shape."""
    if not body:
        raise InvalidResponse("empty body")
    try:
        return _response_decoder.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidResponse(_reason(exc)) from None


def encode_request(req: BidRequest) -> bytes:
    """Encode a bid request as JSON; absent fields are left out."""
    return _encoder.encode(req)


def encode_response(resp: BidResponse) -> bytes:
    """Encode a bid response as JSON; absent fields are left out."""
    return _encoder.encode(resp)
