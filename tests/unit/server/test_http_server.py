"""The bid port's HTTP server over real loopback sockets: framing, limits, gzip, timeouts, drain."""

import asyncio
import concurrent.futures
import gzip
import http.client
import resource
import socket
import threading
import time
import zlib
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import uvloop

from openbid.server.http import HttpLimits, HttpRequest, HttpResponse, Routes
from openbid.server.listener import HttpServer, start

T = TypeVar("T")

BIG = b'{"seatbid":[' + b",".join(b'{"bid":%d}' % i for i in range(100)) + b"]}"


def echo(request: HttpRequest) -> HttpResponse:
    """Answer the body back, with what the handler saw in headers."""
    return HttpResponse(
        200,
        request.body,
        b"application/octet-stream",
        (
            (b"X-Method", request.method.encode()),
            (b"X-Path", request.path.encode()),
            (b"X-Query", request.query.encode()),
        ),
    )


def hello(request: HttpRequest) -> HttpResponse:
    """A small fixed answer."""
    return HttpResponse(200, b"hello", b"text/plain")


def big(request: HttpRequest) -> HttpResponse:
    """An answer large enough to be gzipped."""
    return HttpResponse(200, BIG)


def boom(request: HttpRequest) -> HttpResponse:
    """A handler with a bug."""
    raise RuntimeError("boom")


def no_content(request: HttpRequest) -> HttpResponse:
    """No bid: 204 with a body the protocol must drop."""
    return HttpResponse(204, b"ignored")


ROUTES: Routes = {
    "/echo": {"POST": echo, "PUT": echo},
    "/hello": {"GET": hello},
    "/big": {"GET": big},
    "/boom": {"GET": boom},
    "/nobid": {"POST": no_content},
}

FAST = HttpLimits(
    max_body_bytes=64 * 1024,
    header_timeout=0.3,
    body_timeout=0.3,
    keepalive_timeout=0.3,
    sweep_interval=0.05,
)


class LiveServer:
    """An HttpServer on 127.0.0.1:0, run by a uvloop loop in a background thread."""

    def __init__(self, routes: Routes, limits: HttpLimits) -> None:
        self.loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.server: HttpServer = self.run(start(routes, "127.0.0.1", 0, limits))
        self.port = self.server.port
        self.stopped = False

    def submit(self, coro: Coroutine[Any, Any, T]) -> "concurrent.futures.Future[T]":
        """Schedule a coroutine on the server's loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return self.submit(coro).result(timeout=10)

    def shutdown(self, drain_timeout: float) -> "concurrent.futures.Future[None]":
        """Start a graceful shutdown."""
        self.stopped = True
        return self.submit(self.server.shutdown(drain_timeout))

    def close(self) -> None:
        """Shut down (if not yet) and stop the loop thread."""
        if not self.stopped:
            self.shutdown(1.0).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., LiveServer]]:
    """Start live servers on demand; every one is shut down after the test."""
    servers: list[LiveServer] = []

    def _serve(routes: Routes = ROUTES, limits: HttpLimits = FAST) -> LiveServer:
        server = LiveServer(routes, limits)
        servers.append(server)
        return server

    yield _serve
    for server in servers:
        server.close()


class Response:
    """A response read off a raw socket."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class Client:
    """A raw socket client that reads responses one by one (so pipelining can be checked)."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        """Send raw bytes."""
        self.sock.sendall(data)

    def read(self, head: bool = False) -> Response:
        """Read one response; `head` when it answers a HEAD request (no body)."""
        status_line = self.file.readline()
        assert status_line, "connection closed"
        version, status, _ = status_line.decode().split(" ", 2)
        assert version == "HTTP/1.1"
        headers: dict[str, str] = {}
        while (line := self.file.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.lower()] = value.strip()
        code = int(status)
        length = int(headers.get("content-length", "0"))
        body = b"" if head or code in (100, 204, 304) else self.file.read(length)
        return Response(code, headers, body)

    def closed(self) -> bool:
        """Whether the server has closed the connection (waits up to the socket timeout)."""
        try:
            return self.sock.recv(1) == b""  # responses were read whole: nothing else is due
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        """Close our end."""
        self.file.close()
        self.sock.close()


@pytest.fixture
def clients() -> Iterator[Callable[..., Client]]:
    """Open raw clients on demand; all are closed after the test."""
    opened: list[Client] = []

    def _client(port: int, timeout: float = 5.0) -> Client:
        client = Client(port, timeout)
        opened.append(client)
        return client

    yield _client
    for client in opened:
        client.close()


def post(path: str, body: bytes, *extra: bytes) -> bytes:
    """A POST request with a Content-Length body."""
    head = b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n" % (path.encode(), len(body))
    return head + b"".join(h + b"\r\n" for h in extra) + b"\r\n" + body


def get(path: str, *extra: bytes, method: bytes = b"GET") -> bytes:
    """A GET (or other body-less) request."""
    head = b"%s %s HTTP/1.1\r\nHost: t\r\n" % (method, path.encode())
    return head + b"".join(h + b"\r\n" for h in extra) + b"\r\n"


def test_keep_alive_serves_several_requests_on_one_connection(
    serve: Callable[..., LiveServer],
) -> None:
    server = serve()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/hello")
    first = conn.getresponse()
    assert first.read() == b"hello"
    sock = conn.sock
    for i in range(5):
        conn.request("POST", f"/echo?i={i}", body=b"n%d" % i)
        response = conn.getresponse()
        assert response.status == 200
        assert response.read() == b"n%d" % i
        assert response.getheader("X-Query") == f"i={i}"
        assert response.getheader("Server") == "openbid"
        assert response.getheader("Date")
    assert conn.sock is sock
    assert server.server.connections == 1
    conn.close()


def test_pipelined_requests_are_answered_in_order(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/hello") + post("/echo", b"second") + get("/missing"))
    first, second, third = client.read(), client.read(), client.read()
    assert (first.status, first.body) == (200, b"hello")
    assert (second.status, second.body) == (200, b"second")
    assert third.status == 404


def test_chunked_request_body_is_dechunked(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    client.send(b"5\r\nhello\r\n")
    client.send(b"6\r\n world\r\n0\r\n\r\n")
    response = client.read()
    assert (response.status, response.body) == (200, b"hello world")


def test_content_length_body_split_over_reads(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    request = post("/echo", b"x" * 5000)
    client.send(request[:30])
    time.sleep(0.02)
    client.send(request[30:2000])
    time.sleep(0.02)
    client.send(request[2000:])
    response = client.read()
    assert (response.status, response.body) == (200, b"x" * 5000)
    assert response.headers["x-method"] == "POST"
    assert response.headers["x-path"] == "/echo"


def test_expect_100_continue_is_answered_before_the_body(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    )
    interim = client.read()
    assert interim.status == 100
    client.send(b"body")
    response = client.read()
    assert (response.status, response.body) == (200, b"body")


def test_expect_100_continue_with_oversize_body_gets_413_instead(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(
        post("/echo", b"", b"Expect: 100-continue").replace(b"Length: 0", b"Length: 999999")
    )
    assert client.read().status == 413
    assert client.closed()


def test_oversize_content_length_gets_413_and_close(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(post("/echo", b"x" * (FAST.max_body_bytes + 1)))
    response = client.read()
    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert client.closed()


def test_oversize_chunked_body_gets_413_without_reading_the_rest(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (16 * 1024, b"y" * 16 * 1024)
    client.send(chunk * 5)  # 80 KiB > 64 KiB, and the last chunk never comes
    assert client.read().status == 413
    assert client.closed()


def test_gzip_request_body_is_decompressed(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    payload = b'{"id":"1","imp":[]}' * 50
    client.send(post("/echo", gzip.compress(payload), b"Content-Encoding: gzip"))
    response = client.read()
    assert (response.status, response.body) == (200, payload)


def test_gzip_bomb_gets_413_quickly_with_bounded_memory(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join([deflater.compress(zeros) for _ in range(100)] + [deflater.flush()])
    assert len(bomb) < 256 * 1024  # 100 MiB of zeros
    server = serve(limits=HttpLimits(max_body_bytes=256 * 1024))
    client = clients(server.port)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    started = time.monotonic()
    client.send(post("/echo", bomb, b"Content-Encoding: gzip"))
    assert client.read().status == 413
    assert time.monotonic() - started < 1.0
    peak_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert peak_growth < 20 * 1024
    client.send(get("/hello"))  # the body was read whole, so the connection stays usable
    assert client.read().status == 200


def test_corrupt_gzip_gets_400(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    body = gzip.compress(b"x" * 1000)
    client.send(post("/echo", body[:10] + b"garbage" + body[17:], b"Content-Encoding: gzip"))
    assert client.read().status == 400
    client.send(post("/echo", body[:-5], b"Content-Encoding: gzip"))  # truncated
    assert client.read().status == 400


def test_unknown_content_encoding_gets_415(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(post("/echo", b"abc", b"Content-Encoding: br"))
    assert client.read().status == 415


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        (b"gzip", True),
        (b"gzip, deflate, br", True),
        (b"deflate;q=1, gzip;q=0.5", True),
        (b"*", True),
        (b"gzip;q=0", False),
        (b"GZIP ; Q=0.0, *;q=1", False),
        (b"br", False),
        (None, False),
    ],
)
def test_response_is_gzipped_when_accepted(
    serve: Callable[..., LiveServer],
    clients: Callable[..., Client],
    accept: bytes | None,
    compressed: bool,
) -> None:
    client = clients(serve().port)
    client.send(get("/big", *([b"Accept-Encoding: " + accept] if accept else [])))
    response = client.read()
    assert response.status == 200
    assert response.headers["vary"] == "Accept-Encoding"
    if compressed:
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(response.body) == BIG
    else:
        assert "content-encoding" not in response.headers
        assert response.body == BIG


def test_tiny_response_is_not_gzipped(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/hello", b"Accept-Encoding: gzip"))
    response = client.read()
    assert response.body == b"hello"
    assert "content-encoding" not in response.headers


def test_unknown_path_gets_404(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/nope"))
    assert client.read().status == 404
    client.send(get("/hello"))  # still usable
    assert client.read().status == 200


def test_wrong_method_gets_405_with_allow(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/echo"))
    response = client.read()
    assert response.status == 405
    assert response.headers["allow"] == "POST, PUT"
    client.send(get("/hello", method=b"DELETE"))
    assert client.read().headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /hello HTTP/9.9\r\n\r\n",
        b"GET /a b HTTP/1.1\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /hello HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    ],
)
def test_malformed_request_gets_400_and_close(
    serve: Callable[..., LiveServer], clients: Callable[..., Client], request_bytes: bytes
) -> None:
    client = clients(serve().port)
    client.send(request_bytes)
    response = client.read()
    assert response.status == 400
    assert response.headers["connection"] == "close"
    assert client.closed()


def test_oversize_headers_get_431(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve(limits=HttpLimits(max_header_bytes=1024))
    client = clients(server.port)
    client.send(get("/hello", b"X-Big: " + b"a" * 2000))
    assert client.read().status == 431
    assert client.closed()


def test_oversize_header_trickled_in_gets_431(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve(limits=HttpLimits(max_header_bytes=1024))
    client = clients(server.port)
    client.send(b"GET /hello HTTP/1.1\r\nX-Big: ")
    for _ in range(20):  # one header value that never ends, sent in pieces
        try:
            client.send(b"a" * 100)
        except (BrokenPipeError, ConnectionResetError):
            break
        time.sleep(0.01)
    assert client.read().status == 431


def test_headers_within_limit_across_reads_are_fine(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve(limits=HttpLimits(max_header_bytes=1024))
    client = clients(server.port)
    for _ in range(3):
        request = get("/hello", b"X-A: " + b"a" * 700)
        client.send(request[:400])
        time.sleep(0.02)
        client.send(request[400:])
        assert client.read().status == 200


def test_slow_loris_is_closed_at_header_timeout(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port, timeout=0.05)
    started = time.monotonic()
    client.send(b"GET /hello HTTP/1.1\r\n")
    closed = False
    while time.monotonic() - started < 3.0 and not closed:
        try:
            client.send(b"X: y\r\n")  # a header line every ~50 ms: busy, never done
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        closed = client.closed()
    elapsed = time.monotonic() - started
    assert closed
    assert FAST.header_timeout <= elapsed < FAST.header_timeout + 0.5


def test_slow_body_is_closed_at_body_timeout(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port, timeout=2.0)
    started = time.monotonic()
    client.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
    assert client.closed()
    assert time.monotonic() - started < FAST.body_timeout + 0.5


def test_idle_keep_alive_connection_is_closed(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve()
    client = clients(server.port, timeout=2.0)
    client.send(get("/hello"))
    assert client.read().status == 200
    started = time.monotonic()
    assert client.closed()
    assert FAST.keepalive_timeout - 0.1 <= time.monotonic() - started < 1.5


def test_handler_exception_gets_500_and_connection_stays_usable(
    serve: Callable[..., LiveServer],
    clients: Callable[..., Client],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = clients(serve().port)
    client.send(get("/boom"))
    assert client.read().status == 500
    client.send(get("/hello"))
    assert client.read().body == b"hello"
    assert any("handler failed" in r.message for r in caplog.records)


def test_head_on_get_route_has_length_but_no_body(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/hello", method=b"HEAD") + get("/hello"))
    head = client.read(head=True)
    assert head.status == 200
    assert head.headers["content-length"] == "5"
    following = client.read()  # framing intact: no stray body bytes in between
    assert following.body == b"hello"


def test_204_has_no_body_and_no_content_length(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(post("/nobid", b"{}") + get("/hello"))
    response = client.read()
    assert response.status == 204
    assert "content-length" not in response.headers
    assert client.read().body == b"hello"


def test_http_10_closes_unless_keep_alive_is_asked(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    port = serve().port
    client = clients(port)
    client.send(b"GET /hello HTTP/1.0\r\n\r\n")
    assert client.read().headers["connection"] == "close"
    assert client.closed()
    client = clients(port)
    client.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert client.read().headers["connection"] == "keep-alive"
    client.send(b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert client.read().status == 200


def test_connection_close_is_honoured(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    client = clients(serve().port)
    client.send(get("/hello", b"Connection: close") + get("/hello"))
    assert client.read().headers["connection"] == "close"
    assert client.closed()


def test_client_not_reading_pipelined_answers_is_paused(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    big_body = b"z" * 8192
    server = serve({"/large": {"GET": lambda r: HttpResponse(200, big_body)}}, HttpLimits())
    client = clients(server.port, timeout=0.5)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    request = get("/large")
    sent = 0
    try:
        while sent < 200_000:  # ~8 MB of requests asking for ~1.6 GB of answers
            client.sock.sendall(request * 10)
            sent += 10
    except TimeoutError:
        pass
    assert sent < 200_000  # the server stopped reading

    async def buffered() -> int:
        (conn,) = server.server._state.connections
        return conn._transport.get_write_buffer_size()

    # At most one 16 KiB slice of requests is answered past the high-water mark.
    assert server.run(buffered()) < (16 * 1024 // len(request) + 2) * len(big_body)


def test_graceful_shutdown_closes_idle_and_finishes_in_flight(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve(limits=HttpLimits(sweep_interval=0.05))
    idle = clients(server.port, timeout=2.0)
    idle.send(get("/hello"))
    assert idle.read().status == 200
    busy = clients(server.port, timeout=2.0)
    busy.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf-")
    time.sleep(0.05)
    done = server.shutdown(5.0)
    assert idle.closed()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    time.sleep(0.1)
    assert not done.done()
    busy.send(b"done!")
    response = busy.read()
    assert (response.status, response.body) == (200, b"half-done!")
    assert response.headers["connection"] == "close"
    assert busy.closed()
    done.result(timeout=2)


def test_shutdown_forces_close_at_drain_deadline(
    serve: Callable[..., LiveServer], clients: Callable[..., Client]
) -> None:
    server = serve(limits=HttpLimits(sweep_interval=0.05))
    stuck = clients(server.port, timeout=3.0)
    stuck.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf-")
    time.sleep(0.05)
    started = time.monotonic()
    server.shutdown(0.3).result(timeout=5)
    assert 0.25 < time.monotonic() - started < 2.0
    assert stuck.closed()
    assert server.server.connections == 0
