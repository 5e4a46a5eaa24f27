"""Plain request/response values exchanged between the HTTP protocol and openbid's handlers."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass


class HttpRequest:
    """One parsed HTTP request: body de-chunked and gunzipped, arrival on the monotonic clock."""

    __slots__ = ("arrival", "body", "headers", "method", "path", "query")

    def __init__(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[bytes, bytes],
        body: bytes,
        arrival: float,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers  # lower-case names
        self.body = body
        self.arrival = arrival  # time.monotonic() when the request's first byte was parsed


class HttpResponse:
    """What a handler answers; the protocol adds Content-Length, Connection and gzip."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        content_type: bytes = b"application/json",
        headers: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers


Handler = Callable[[HttpRequest], HttpResponse]
Routes = Mapping[str, Mapping[str, Handler]]  # path -> method -> handler


@dataclass(frozen=True, slots=True)
class HttpLimits:
    """Bounds that protect the listener from slow, large or hostile clients."""

    max_body_bytes: int = 256 * 1024
    max_decompressed_bytes: int = 1024 * 1024
    max_header_bytes: int = 16 * 1024
    max_connections: int = 4096  # beyond this, new connections are closed as they arrive
    header_timeout: float = 5.0
    body_timeout: float = 10.0
    keepalive_timeout: float = 75.0
    gzip_min_bytes: int = 128
    gzip_level: int = 1
    sweep_interval: float = 0.5  # how often idle/header/body timeouts are checked
