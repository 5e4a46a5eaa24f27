"""The bid port's HTTP/1.1 connection protocol: httptools parsing, inline sync handlers, timeouts.

Handlers are synchronous and CPU-only, so each request is answered from `on_message_complete`
the moment its last byte is parsed: pipelined requests are answered in order for free, and
there is never a request "in progress" between two reads. Answers are written once the event
loop has handled every read of its current turn (`ServerState.flush`), one write per connection:
a burst of answers then wakes the client's side once, not once per answer, which on loopback
and virtual CPUs cost more than a third of a bid. No answer waits more than `MAX_ANSWER_WAIT`
for the rest of a long turn. Timeouts are enforced by one periodic sweep over the live
connections (`ServerState.tick`), never by a timer per request.
"""

import asyncio
import logging
import time
import zlib
from collections.abc import Callable, Mapping
from email.utils import formatdate
from functools import partial
from http import HTTPStatus
from typing import NoReturn, cast

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser, parse_url

from openbid.server.http import Handler, HttpLimits, HttpRequest, HttpResponse, Routes
from openbid.server.overload import LoadShedder

__all__ = ["HttpProtocol", "ServerState", "accepts_gzip", "gunzip"]

logger = logging.getLogger(__name__)

# Connection phases, for the timeout sweep.
_IDLE = 0  # between requests: keepalive_timeout since the last response
_HEAD = 1  # request line / headers arriving: header_timeout since the first byte
_BODY = 2  # body arriving: body_timeout since the headers completed
_CLOSING = 3  # closed by us, flushing the last answer: body_timeout since the close

_STATUS_LINES = {s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode()) for s in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_GZIP_CODINGS = (b"gzip", b"x-gzip")
_GZIP_HEADERS = b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
_VARY_HEADER = b"Vary: Accept-Encoding\r\n"
_END_KEEP = b"\r\n"
_END_KEEP_ALIVE = b"Connection: keep-alive\r\n\r\n"  # echoed to clients that asked (HTTP/1.0)
_END_CLOSE = b"Connection: close\r\n\r\n"
_ACCEPT_CACHE: dict[bytes, bool] = {}
_ACCEPT_CACHE_SIZE = 64
# The longest an answer waits for the rest of its loop turn's answers before they are all written.
MAX_ANSWER_WAIT = 0.001
# Reads larger than this are parsed in slices, so that a client pipelining requests without
# reading the answers can make us buffer at most one slice's worth of responses.
_FEED_SLICE = 16 * 1024


def _error(status: int, headers: tuple[tuple[bytes, bytes], ...] = ()) -> HttpResponse:
    """A small plain-text error response."""
    body = HTTPStatus(status).phrase.encode() + b"\n"
    return HttpResponse(status, body, b"text/plain; charset=utf-8", headers)


_ERRORS = {status: _error(status) for status in (400, 404, 413, 415, 431, 500)}


class _AbortError(Exception):
    """Raised from a parser callback to stop parsing once an error response has been sent."""


class _Route:
    """One path's handlers keyed by raw method, with its ready-made 405 answer."""

    __slots__ = ("handlers", "not_allowed", "path", "shed")

    def __init__(
        self, path: str, methods: dict[str, Handler], shed: HttpResponse | None = None
    ) -> None:
        self.path = path
        self.shed = shed  # the answer when the request is shed under overload; None: never shed
        if "GET" in methods and "HEAD" not in methods:
            methods = {**methods, "HEAD": methods["GET"]}
        self.handlers = {m.encode(): (m, h) for m, h in methods.items()}
        allow = ", ".join(sorted(methods)).encode()
        self.not_allowed = _error(405, ((b"Allow", allow),))


def accepts_gzip(value: bytes) -> bool:
    """Whether an Accept-Encoding value allows gzip (q-values honoured, `gzip;q=0` means no)."""
    cached = _ACCEPT_CACHE.get(value)
    if cached is not None:
        return cached
    gzip_q: float | None = None
    star_q: float | None = None
    for item in value.split(b","):
        coding, _, params = item.partition(b";")
        coding = coding.strip().lower()
        q = 1.0
        for param in params.split(b";"):
            key, _, raw = param.partition(b"=")
            if key.strip().lower() == b"q":
                try:
                    q = float(raw.strip())
                except ValueError:
                    q = 0.0
        if coding in _GZIP_CODINGS:
            gzip_q = q if gzip_q is None else max(gzip_q, q)
        elif coding == b"*":
            star_q = q
    result = gzip_q > 0 if gzip_q is not None else star_q is not None and star_q > 0
    if len(_ACCEPT_CACHE) >= _ACCEPT_CACHE_SIZE:
        _ACCEPT_CACHE.clear()
    _ACCEPT_CACHE[value] = result
    return result


def gunzip(data: bytes, limit: int) -> bytes | None:
    """Decompress a (possibly multi-member) gzip body; None once it would exceed `limit` bytes.

    Output is bounded by `max_length` at every step, so a gzip bomb costs at most `limit` bytes.
    Raises zlib.error for a corrupt or truncated body.
    """
    parts: list[bytes] = []
    total = 0
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, limit - total + 1)
        total += len(out)
        if total > limit:
            return None
        if not inflater.eof:
            raise zlib.error("truncated gzip body")
        parts.append(out)
        data = inflater.unused_data
    return b"".join(parts)


class ServerState:
    """What every connection of one listener shares: routes, limits, live set, coarse clock."""

    def __init__(
        self,
        routes: Routes,
        limits: HttpLimits,
        shed: Mapping[str, HttpResponse] | None = None,
        shedder: LoadShedder | None = None,
        defer: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        shed = shed or {}
        self._defer = defer  # runs the flush after this turn's reads; None: the loop's call_soon
        self.routes = {
            p.encode(): _Route(p, dict(methods), shed.get(p)) for p, methods in routes.items()
        }
        self.limits = limits
        self.shedder = shedder or LoadShedder()
        self.sheds = any(route.shed is not None for route in self.routes.values())
        self.connections: set[HttpProtocol] = set()
        self.refused = 0  # connections closed on arrival because max_connections were open
        self.draining = False
        self.all_closed = asyncio.Event()  # set when draining and the last connection is gone
        self.now = 0.0  # time.monotonic() at the last tick
        self.server_date = b""  # the "Server" and "Date" header lines, refreshed each second
        self._second = -1
        self._refresh_clock()
        self._unflushed: list[HttpProtocol] = []  # connections with answers not yet written
        self._first_unflushed = 0.0  # when the oldest of them was queued (precise clock)
        self._flush_scheduled = False
        self._turn_began: float | None = None  # when this turn dispatched its first sheddable

    def should_shed(self, arrival: float) -> bool:
        """Whether to shed a sheddable request whose first byte was read at ``arrival`` (precise
        clock): the shedder's verdict, given how far into this loop turn that was."""
        began = self._turn_began
        if began is None:
            self._turn_began = began = time.monotonic()
            self._end_turn_soon()
        return self.shedder.should_shed(arrival - began)

    def flush_soon(self, conn: "HttpProtocol") -> None:
        """Have ``conn``'s answers written when the loop has handled this turn's reads, or at
        once if answers have been waiting ``MAX_ANSWER_WAIT`` (a long turn under overload)."""
        unflushed = self._unflushed
        unflushed.append(conn)
        if len(unflushed) == 1:
            self._first_unflushed = time.monotonic()
            self._end_turn_soon()
        elif time.monotonic() - self._first_unflushed > MAX_ANSWER_WAIT:
            self.flush()

    def _end_turn_soon(self) -> None:
        """Have ``_end_of_turn`` run once the loop has handled this turn's reads."""
        if not self._flush_scheduled:
            self._flush_scheduled = True
            if self._defer is None:
                asyncio.get_running_loop().call_soon(self._end_of_turn)
            else:
                self._defer(self._end_of_turn)

    def _end_of_turn(self) -> None:
        self._flush_scheduled = False
        began = self._turn_began
        if began is not None:
            self._turn_began = None
            self.shedder.turn_ended(time.monotonic() - began)
        self.flush()

    def flush(self) -> None:
        """Write every connection's pending answers."""
        unflushed = self._unflushed
        self._unflushed = []
        for conn in unflushed:
            conn.flush_output()

    def _refresh_clock(self) -> None:
        """Update the coarse monotonic clock and, once a second, the Date header."""
        self.now = time.monotonic()
        wall = time.time()
        second = int(wall)
        if second != self._second:
            self._second = second
            date = formatdate(wall, usegmt=True).encode()
            self.server_date = b"Server: openbid\r\nDate: " + date + b"\r\n"

    def tick(self) -> None:
        """Refresh the clock and close every connection that outlived its current deadline."""
        self._refresh_clock()
        now = self.now
        for conn in tuple(self.connections):
            conn.check_timeout(now)

    def protocol_factory(self) -> "partial[HttpProtocol]":
        """A factory for `loop.create_server`."""
        return partial(HttpProtocol, self)


class HttpProtocol(asyncio.Protocol):
    """One HTTP/1.1 connection: parses with httptools and answers each request inline."""

    __slots__ = (
        "_arrival",
        "_body_size",
        "_chunks",
        "_gzip",
        "_head_partial",
        "_head_size",
        "_headers",
        "_held",
        "_limits",
        "_out",
        "_parser",
        "_phase",
        "_since",
        "_started",
        "_state",
        "_transport",
        "_url",
        "_write_paused",
    )

    def __init__(self, state: ServerState) -> None:
        self._state = state
        self._limits = state.limits
        self._parser = HttpRequestParser(self)
        self._transport: asyncio.Transport  # set by connection_made, before any other callback
        self._phase = _IDLE
        self._since = state.now  # start of an IDLE, BODY or CLOSING phase (coarse clock)
        self._arrival = 0.0  # start of the current request (precise clock)
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._chunks: list[bytes] = []
        self._body_size = 0
        self._head_size = 0  # bytes of completed URL and header lines
        self._head_partial = 0  # bytes of reads that fell wholly inside the header section
        self._started = False  # a request began during the current read
        self._gzip = False
        self._write_paused = False
        self._held: memoryview | None = None  # input not parsed yet because writing is paused
        self._out: list[bytes] = []  # answers not written yet (ServerState.flush writes them)

    # asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection; refuse it at once if the server is draining or full."""
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        state = self._state
        self._since = state.now
        if len(state.connections) >= self._limits.max_connections:
            state.refused += 1
            self._phase = _CLOSING
            self._transport.abort()
            return
        state.connections.add(self)
        if state.draining:
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection; wake a pending drain when it was the last one."""
        self._phase = _CLOSING
        self._out.clear()
        state = self._state
        state.connections.discard(self)
        if state.draining and not state.connections:
            state.all_closed.set()

    def data_received(self, data: bytes | memoryview) -> None:
        """Parse a read; count header bytes that the parser callbacks cannot see yet."""
        if len(data) > _FEED_SLICE:
            self._feed_slices(memoryview(data))
            return
        continued = self._phase == _HEAD
        self._started = False
        try:
            self._parser.feed_data(data)
        except (HttpParserError, HttpParserUpgrade):
            if self._phase != _CLOSING:
                self._fail(400)
            return
        if continued and self._phase == _HEAD and not self._started:
            # A read wholly inside one request's headers: bounds a header still being buffered.
            self._head_partial += len(data)
            if self._head_partial > self._limits.max_header_bytes:
                self._fail(431)

    def eof_received(self) -> None:
        """Let the transport close: every complete request has already been answered."""

    def pause_writing(self) -> None:
        """Stop reading (and parsing) while the client is not reading our answers."""
        self._write_paused = True
        if self._phase != _CLOSING:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        """Parse what was held back, then read again once the write buffer has drained."""
        self._write_paused = False
        held = self._held
        if held is not None:
            self._held = None
            self._feed_slices(held)
        if not self._write_paused and self._phase != _CLOSING:
            self._transport.resume_reading()

    def _feed_slices(self, view: memoryview) -> None:
        """Parse a large read a slice at a time; hold the rest back while writing is paused."""
        while view and self._phase != _CLOSING:
            self.flush_output()  # so that a client not reading its answers pauses us in time
            if self._write_paused:
                self._held = view
                return
            self.data_received(view[:_FEED_SLICE])
            view = view[_FEED_SLICE:]

    # httptools callbacks

    def on_message_begin(self) -> None:
        """A request's first byte: take its arrival time and reset per-request state."""
        if self._phase == _CLOSING:
            raise _AbortError
        self._arrival = time.monotonic()
        self._phase = _HEAD
        self._started = True
        self._url = b""
        self._headers = {}
        self._body_size = 0
        self._head_size = 0
        self._head_partial = 0
        self._gzip = False

    def on_url(self, url: bytes) -> None:
        """Collect the request target (it may arrive in pieces)."""
        self._url += url
        self._head_size += len(url)
        if self._head_size > self._limits.max_header_bytes:
            self._reject(431)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Store a header under its lower-case name; repeated headers are comma-joined."""
        self._head_size += len(name) + len(value) + 4
        if self._head_size > self._limits.max_header_bytes:
            self._reject(431)
        name = name.lower()
        headers = self._headers
        if name in headers:
            headers[name] += b", " + value
        else:
            headers[name] = value

    def on_headers_complete(self) -> None:
        """Refuse what cannot be served before reading any body; answer Expect: 100-continue."""
        self._phase = _BODY
        self._since = self._state.now
        parser = self._parser
        if parser.should_upgrade():
            self._reject(400)
        headers = self._headers
        coding = headers.get(b"transfer-encoding")
        if coding is not None and coding.strip().lower() != b"chunked":
            self._reject(400)  # llhttp passes e.g. "gzip, chunked" through undecoded
        length = headers.get(b"content-length")
        if length is not None and int(length) > self._limits.max_body_bytes:
            self._reject(413)
        encoding = headers.get(b"content-encoding")
        if encoding is not None:
            encoding = encoding.strip().lower()
            if encoding in _GZIP_CODINGS:
                self._gzip = True
            elif encoding != b"identity":
                self._reject(415)
        expect = headers.get(b"expect")
        if (
            expect is not None
            and expect.lower() == b"100-continue"
            and parser.get_http_version() != "1.0"
        ):
            self._send(_CONTINUE)

    def on_body(self, chunk: bytes) -> None:
        """Buffer body bytes; answer 413 as soon as the limit is crossed."""
        size = self._body_size + len(chunk)
        if size > self._limits.max_body_bytes:
            self._reject(413)
        self._body_size = size
        self._chunks.append(chunk)

    def on_message_complete(self) -> None:
        """Route the request, call its handler inline and write the response."""
        chunks = self._chunks
        if not chunks:
            body = b""
        elif len(chunks) == 1:
            body = chunks[0]
        else:
            body = b"".join(chunks)
        chunks.clear()
        raw_method = self._parser.get_method()
        headers = self._headers
        response = self._dispatch(raw_method, body, headers)
        keep = self._parser.should_keep_alive() and not self._state.draining
        self._respond(response, keep, raw_method == b"HEAD", headers.get(b"accept-encoding"))
        if keep:
            self._phase = _IDLE
            self._since = self._state.now
        else:
            self._close()

    # internals

    def _dispatch(
        self, raw_method: bytes, body: bytes, headers: dict[bytes, bytes]
    ) -> HttpResponse:
        """Find the handler and run it; errors become 4xx/500 responses."""
        try:
            url = parse_url(self._url)
        except HttpParserError:
            return _ERRORS[400]
        route = self._state.routes.get(url.path)
        if route is None:
            return _ERRORS[404]
        found = route.handlers.get(raw_method)
        if found is None:
            return route.not_allowed
        if route.shed is not None and self._state.should_shed(self._arrival):
            return route.shed
        if self._gzip and body:
            try:
                inflated = gunzip(body, self._limits.max_decompressed_bytes)
            except zlib.error:
                return _ERRORS[400]
            if inflated is None:
                return _ERRORS[413]
            body = inflated
        method, handler = found
        query = url.query
        request = HttpRequest(
            method,
            route.path,
            query.decode("latin-1") if query else "",
            headers,
            body,
            self._arrival,
        )
        try:
            return handler(request)
        except Exception:
            logger.exception("handler failed: %s %s", method, route.path)
            return _ERRORS[500]

    def _respond(
        self, response: HttpResponse, keep: bool, head: bool, accept: bytes | None
    ) -> None:
        """Queue the whole response (head and body) for the connection's next write."""
        if self._phase == _CLOSING:
            return
        status = response.status
        body = response.body
        status_line = _STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status
        parts = [status_line, self._state.server_date]
        if status in (204, 304) or status < 200:
            body = b""
        else:
            limits = self._limits
            if len(body) >= limits.gzip_min_bytes:
                if accept is not None and accepts_gzip(accept):
                    body = zlib.compress(body, limits.gzip_level, 16 + zlib.MAX_WBITS)
                    parts.append(_GZIP_HEADERS)
                else:
                    parts.append(_VARY_HEADER)
            if response.content_type:
                parts += (b"Content-Type: ", response.content_type, b"\r\n")
            parts.append(b"Content-Length: %d\r\n" % len(body))
        for name, value in response.headers:
            parts += (name, b": ", value, b"\r\n")
        if not keep:
            parts.append(_END_CLOSE)
        elif b"connection" in self._headers:
            parts.append(_END_KEEP_ALIVE)
        else:
            parts.append(_END_KEEP)
        if body and not head:
            parts.append(body)
        self._send(b"".join(parts))

    def _send(self, data: bytes) -> None:
        """Queue ``data`` for this connection's next write, at the end of the loop's turn."""
        out = self._out
        out.append(data)
        if len(out) == 1:
            self._state.flush_soon(self)

    def flush_output(self) -> None:
        """Write the queued answers in one transport write (dropped once the connection is
        gone)."""
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        transport = self._transport
        if not transport.is_closing():
            transport.write(data)

    def _reject(self, status: int) -> NoReturn:
        """From a parser callback: answer `status`, close, and stop parsing."""
        self._fail(status)
        raise _AbortError

    def _fail(self, status: int) -> None:
        """Answer an error that leaves the stream unusable, then close."""
        self._respond(_ERRORS[status], False, False, None)
        self._close()

    def _close(self) -> None:
        """Close after flushing what was written; no more requests are read."""
        self.flush_output()
        self._phase = _CLOSING
        self._since = self._state.now
        self._transport.close()

    def check_timeout(self, now: float) -> None:
        """Called by the sweep: close the connection if its current phase is overdue."""
        limits = self._limits
        phase = self._phase
        if phase == _IDLE:
            expired = now - self._since > limits.keepalive_timeout
        elif phase == _HEAD:
            expired = now - self._arrival > limits.header_timeout
        else:  # receiving a body, or flushing the answer before a close
            expired = now - self._since > limits.body_timeout
        if expired:
            self.abort()

    def close_if_idle(self) -> None:
        """Close now if between requests; otherwise the current response closes it (draining)."""
        if self._phase == _IDLE:
            self._close()

    def abort(self) -> None:
        """Close now; drop unsent output if the client is not reading it."""
        self.flush_output()
        self._phase = _CLOSING
        transport = self._transport
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()
