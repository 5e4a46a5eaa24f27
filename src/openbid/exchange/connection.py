"""Keep-alive HTTP/1.1 client connections on asyncio + httptools, pooled per origin.

One request in flight per connection (no pipelining, as exchanges do); a request that finds
every connection busy waits its turn. Answers arrive through callbacks rather than futures: this
is the load generator's hot path, and a callback is the cheapest way back.
"""

import asyncio
import ssl
from collections import deque
from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple, cast
from urllib.parse import urlsplit

import httptools

Done = Callable[[int, bytes], None]
"""Called once per request with the HTTP status (or a :class:`Failure` below 100) and the body."""


class Failure(IntEnum):
    """Why a request got no HTTP answer; each is below 100, so it never looks like a status."""

    CONNECT = 1  # no connection could be opened
    LOST = 2  # the connection closed before the answer was complete
    ABANDONED = 3  # no answer in time: the request was given up and its connection closed
    MALFORMED = 4  # the answer was not HTTP


class Origin(NamedTuple):
    """Where a pool connects: scheme, host and port."""

    tls: bool
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> "Origin":
        """The origin of an ``http://`` or ``https://`` URL; ValueError for anything else."""
        return split_url(url)[0]

    @property
    def authority(self) -> str:
        """``host:port`` as the Host header wants it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def split_url(url: str) -> tuple[Origin, str]:
    """The origin of an http(s) URL and the request target (path and query) to ask it for."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    tls = parts.scheme == "https"
    origin = Origin(tls, parts.hostname, parts.port or (443 if tls else 80))
    return origin, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def post(origin: Origin, path: str, body: bytes) -> bytes:
    """The bytes of a JSON POST of an OpenRTB 2.6 bid request."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {origin.authority}\r\n"
        f"Content-Type: application/json\r\nx-openrtb-version: 2.6\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def get(origin: Origin, target: str) -> bytes:
    """The bytes of a GET of ``target`` (path and query), as a notice or a tracker is fetched."""
    return f"GET {target} HTTP/1.1\r\nHost: {origin.authority}\r\n\r\n".encode()


class _Connection(asyncio.Protocol):
    """One connection of a pool: sends a request, parses the answer, hands it back."""

    def __init__(self, pool: "Pool") -> None:
        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._body: list[bytes] = []
        self._done: Done | None = None
        self._abandoned = False
        self.give_up_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def send(self, data: bytes, done: Done, give_up_at: float) -> None:
        """Write one request; ``done`` is called with its answer."""
        self._done = done
        self.give_up_at = give_up_at
        assert self._transport is not None
        self._transport.write(data)

    def abandon(self) -> None:
        """Give up on the request in flight: close the connection at once."""
        self._abandoned = True
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        """Close the connection (an answer still expected is reported as lost)."""
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._finish(Failure.MALFORMED, b"")
            self.close()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        body = b"".join(self._body)
        self._body = []
        if self._parser.should_keep_alive():
            done = self._done
            self._done = None
            self._pool.release(self)
            if done is not None:
                done(status, body)
        else:
            self._finish(status, body)
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._pool.lost(self)
        self._finish(Failure.ABANDONED if self._abandoned else Failure.LOST, b"")

    def _finish(self, status: int, body: bytes) -> None:
        done = self._done
        self._done = None
        if done is not None:
            done(status, body)


class _Waiting(NamedTuple):
    data: bytes
    done: Done
    give_up_at: float


class Pool:
    """Up to ``size`` keep-alive connections to one origin; requests queue for a free one."""

    def __init__(self, origin: Origin, size: int) -> None:
        self.origin = origin
        self._size = size
        self._idle: list[_Connection] = []
        self._busy: set[_Connection] = set()
        self._connecting = 0
        self._waiting: deque[_Waiting] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def in_flight(self) -> int:
        """Requests sent or waiting, not yet answered."""
        return len(self._busy) + len(self._waiting)

    async def open(self) -> None:
        """Open every connection now, so the run does not pay for it; OSError if one fails."""
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if self.origin.tls else None
        for _ in range(self._size - len(self._idle) - len(self._busy)):
            _, connection = await loop.create_connection(
                lambda: _Connection(self), self.origin.host, self.origin.port, ssl=context
            )
            self._idle.append(connection)

    def request(self, data: bytes, done: Done, give_up_at: float) -> None:
        """Send ``data`` on a free connection, or queue it; ``done`` gets the answer."""
        if self._closed:
            done(Failure.CONNECT, b"")
        elif self._idle:
            connection = self._idle.pop()
            self._busy.add(connection)
            connection.send(data, done, give_up_at)
        else:
            self._waiting.append(_Waiting(data, done, give_up_at))
            if len(self._busy) + self._connecting < self._size:
                self._connect()

    def release(self, connection: _Connection) -> None:
        """A connection finished its request: give it the next waiting one, or keep it idle."""
        self._busy.discard(connection)
        if self._closed:
            connection.close()
        elif self._waiting:
            waiting = self._waiting.popleft()
            self._busy.add(connection)
            connection.send(waiting.data, waiting.done, waiting.give_up_at)
        else:
            self._idle.append(connection)

    def lost(self, connection: _Connection) -> None:
        """A connection closed: forget it, and open another if requests are waiting."""
        self._busy.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        if self._waiting and not self._closed:
            self._connect()

    def sweep(self, now: float) -> None:
        """Give up on every request, sent or waiting, whose ``give_up_at`` has passed."""
        for connection in [c for c in self._busy if c.give_up_at < now]:
            connection.abandon()
        if self._waiting and any(w.give_up_at < now for w in self._waiting):
            waiting, self._waiting = self._waiting, deque()
            expired: list[_Waiting] = []
            for item in waiting:
                (expired if item.give_up_at < now else self._waiting).append(item)
            for item in expired:  # a callback may queue a new request: the queue is whole again
                item.done(Failure.ABANDONED, b"")

    def close(self) -> None:
        """Close every connection; requests still waiting fail."""
        self._closed = True
        for connection in [*self._idle, *self._busy]:
            connection.close()
        self._idle.clear()
        waiting, self._waiting = self._waiting, deque()
        for item in waiting:
            item.done(Failure.CONNECT, b"")

    def _connect(self) -> None:
        self._connecting += 1
        task = asyncio.get_running_loop().create_task(self._connect_one())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect_one(self) -> None:
        context = ssl.create_default_context() if self.origin.tls else None
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self), self.origin.host, self.origin.port, ssl=context
            )
        except OSError:
            self._connecting -= 1
            if not self._busy and not self._connecting:
                waiting, self._waiting = self._waiting, deque()
                for item in waiting:
                    item.done(Failure.CONNECT, b"")
            return
        self._connecting -= 1
        self.release(connection)
