"""Bearer-token authentication for the admin API, compared in constant time."""

import hmac

import msgspec
from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/openapi.json"})
_UNAUTHORIZED = msgspec.json.encode(
    {"error": "unauthorized", "detail": "send Authorization: Bearer TOKEN"}
)


def token_matches(header: bytes, token: bytes) -> bool:
    """Whether an Authorization header value carries ``token`` as a bearer token."""
    scheme, _, presented = header.partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    return hmac.compare_digest(presented.strip(), token)


class BearerAuth:
    """ASGI middleware: 401 for any request but ``OPEN_PATHS`` without the right token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("the admin API needs a token")
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 401."""
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        if token_matches(header, self._token):
            await self.app(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(_UNAUTHORIZED)).encode()),
                    (b"www-authenticate", b'Bearer realm="openbid-admin"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": _UNAUTHORIZED})
