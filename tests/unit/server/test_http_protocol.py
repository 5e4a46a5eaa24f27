"""HttpProtocol driven through a fake transport: helpers, timeouts, flow control, and fuzzing."""

import asyncio
import gzip
import itertools
import re
import time
import tracemalloc
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbid.server.http import HttpLimits, HttpRequest, HttpResponse, Routes
from openbid.server.protocol import (
    MAX_ANSWER_WAIT,
    HttpProtocol,
    ServerState,
    accepts_gzip,
    gunzip,
)


class FakeTransport(asyncio.Transport):
    """Records writes; like uvloop's, refuses writes once closed."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False
        self.reading = True
        self.buffered = 0

    def write(self, data: Any) -> None:
        if self.closed:
            raise RuntimeError("write after close")
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = self.aborted = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True


seen: list[HttpRequest] = []


def echo(request: HttpRequest) -> HttpResponse:
    """Remember the request and answer its body."""
    seen.append(request)
    return HttpResponse(200, request.body)


def nobid(request: HttpRequest) -> HttpResponse:
    """No bid."""
    return HttpResponse(204)


ROUTES: Routes = {"/": {"GET": echo, "POST": echo}, "/a": {"POST": echo}, "/n": {"POST": nobid}}
SMALL = HttpLimits(
    max_body_bytes=256, max_decompressed_bytes=512, max_header_bytes=256, gzip_min_bytes=16
)


TURN: list[Callable[[], None]] = []  # what the event loop would run once a turn's reads are done


def end_turn() -> None:
    """Run what the event loop runs after a turn's reads: the answers are written then."""
    while TURN:
        TURN.pop(0)()


def connect(
    limits: HttpLimits = SMALL, routes: Routes = ROUTES
) -> tuple[HttpProtocol, FakeTransport, ServerState]:
    """A protocol on a fake transport."""
    TURN.clear()
    state = ServerState(routes, limits, defer=TURN.append)
    protocol = HttpProtocol(state)
    transport = FakeTransport()
    protocol.connection_made(transport)
    return protocol, transport, state


STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) [^\r\n]*")
HEADER_LINE = re.compile(rb"([A-Za-z0-9-]+): ([^\r\n]*)")


def check_response(data: bytes) -> int:
    """Assert `data` is exactly one well-formed response (HEAD answers may omit the body)."""
    if data == b"HTTP/1.1 100 Continue\r\n\r\n":
        return 100
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep
    status_line, *lines = head.split(b"\r\n")
    match = STATUS_LINE.fullmatch(status_line)
    assert match is not None
    status = int(match[1])
    headers: dict[bytes, bytes] = {}
    for line in lines:
        header = HEADER_LINE.fullmatch(line)
        assert header is not None
        headers[header[1].lower()] = header[2]
    assert headers[b"server"] == b"openbid"
    assert headers[b"date"].endswith(b" GMT")
    if status in (204, 304):
        assert b"content-length" not in headers
        assert body == b""
    else:
        assert len(body) in (0, int(headers[b"content-length"]))  # empty for HEAD
        if body and headers.get(b"content-encoding") == b"gzip":
            gzip.decompress(body)
    return status


def feed(protocol: HttpProtocol, *chunks: bytes) -> None:
    """Deliver reads to the protocol, each in a turn of the event loop."""
    for chunk in chunks:
        protocol.data_received(chunk)
        end_turn()


RESPONSE_START = re.compile(rb"(?=HTTP/1\.1 \d{3} )")


def responses(transport: FakeTransport) -> list[bytes]:
    """Every response written, in order (one write may carry several)."""
    return [r for w in transport.writes for r in RESPONSE_START.split(w) if r]


def statuses(transport: FakeTransport) -> list[int]:
    """The status of every response written."""
    return [check_response(r) for r in responses(transport)]


def test_accepts_gzip() -> None:
    assert accepts_gzip(b"gzip")
    assert accepts_gzip(b"x-gzip")
    assert accepts_gzip(b"deflate, gzip;q=0.1")
    assert accepts_gzip(b"*;q=0.5")
    assert accepts_gzip(b"gzip;q=bogus, gzip")
    assert not accepts_gzip(b"gzip;q=0")
    assert not accepts_gzip(b"gzip; q=0.000, *")
    assert not accepts_gzip(b"identity")
    assert not accepts_gzip(b"*;q=0")
    assert not accepts_gzip(b"")


def test_gunzip_multi_member_and_errors() -> None:
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), 10) == b"abcd"
    assert gunzip(gzip.compress(b"x" * 11), 10) is None
    assert gunzip(gzip.compress(b"x" * 10), 10) == b"x" * 10
    with pytest.raises(zlib.error):
        gunzip(gzip.compress(b"abc")[:-3], 10)
    with pytest.raises(zlib.error):
        gunzip(gzip.compress(b"abc") + b"trailing", 10)
    with pytest.raises(zlib.error):
        gunzip(b"not gzip at all", 10)


def test_gunzip_bomb_memory_is_bounded() -> None:
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)
    bomb = b"".join([deflater.compress(zeros) for _ in range(200)] + [deflater.flush()])
    del zeros
    tracemalloc.start()
    try:
        started = time.monotonic()
        assert gunzip(bomb, 1 << 20) is None
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20
    assert elapsed < 0.5


def test_request_fields_and_arrival_at_first_byte() -> None:
    protocol, transport, _ = connect()
    seen.clear()
    before = time.monotonic()
    feed(protocol, b"P")
    time.sleep(0.05)
    feed(protocol, b"OST /?x=1&y=%20 HTTP/1.1\r\nX-Thing: V\r\nx-thing: w\r\n")
    feed(protocol, b"Content-Length: 2\r\n\r\nhi")
    assert statuses(transport) == [200]
    (request,) = seen
    assert before <= request.arrival < before + 0.04
    assert (request.method, request.path, request.query) == ("POST", "/", "x=1&y=%20")
    assert request.headers[b"x-thing"] == b"V, w"
    assert request.body == b"hi"


def test_header_timeout_counts_from_the_first_byte() -> None:
    protocol, transport, _ = connect(HttpLimits(header_timeout=1.0))
    feed(protocol, b"GET / HTTP/1.1\r\n")
    started = time.monotonic()
    protocol.check_timeout(started + 0.5)
    feed(protocol, b"X-A: 1\r\n")  # activity does not extend the deadline
    protocol.check_timeout(started + 0.9)
    assert not transport.closed
    protocol.check_timeout(started + 1.1)
    assert transport.closed
    assert transport.writes == []


def test_body_and_keepalive_timeouts() -> None:
    limits = HttpLimits(body_timeout=2.0, keepalive_timeout=5.0)
    protocol, transport, state = connect(limits)
    feed(protocol, b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    protocol.check_timeout(state.now + 1.9)
    assert not transport.closed
    protocol.check_timeout(state.now + 2.1)
    assert transport.closed

    protocol, transport, state = connect(limits)
    feed(protocol, b"GET / HTTP/1.1\r\n\r\n")
    protocol.check_timeout(state.now + 4.9)
    assert not transport.closed
    transport.buffered = 1  # the client is not reading: drop our output rather than wait
    protocol.check_timeout(state.now + 5.1)
    assert transport.aborted


def test_closing_connection_that_never_drains_is_aborted() -> None:
    protocol, transport, state = connect(HttpLimits(body_timeout=2.0))
    feed(protocol, b"BAD\r\n\r\n")
    assert statuses(transport) == [400]
    assert transport.closed
    transport.buffered = 100  # our 400 is stuck in the buffer: the client does not read
    protocol.check_timeout(state.now + 1.9)
    assert not transport.aborted
    protocol.check_timeout(state.now + 2.1)
    assert transport.aborted


def test_backpressure_pauses_reading_and_holds_parsed_input() -> None:
    protocol, transport, _ = connect(HttpLimits())
    request = b"GET / HTTP/1.1\r\n\r\n"
    protocol.pause_writing()
    assert not transport.reading
    protocol.resume_writing()
    assert transport.reading

    answered = 0

    def counting_write(data: Any) -> None:
        nonlocal answered
        first = answered == 0
        answered += bytes(data).count(b"HTTP/1.1 ")
        if first:
            protocol.pause_writing()  # what a real transport does past its high-water mark

    transport.write = counting_write
    burst = request * (64 * 1024 // len(request))
    feed(protocol, burst)
    assert not transport.reading
    assert 0 < answered <= 16 * 1024 // len(request) + 1  # stopped after one slice
    protocol.resume_writing()
    end_turn()
    assert answered == len(burst) // len(request)
    assert transport.reading


def test_draining_closes_after_the_current_response() -> None:
    protocol, transport, state = connect()
    feed(protocol, b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n")
    state.draining = True
    protocol.close_if_idle()
    assert not transport.closed
    feed(protocol, b"ok" + b"GET / HTTP/1.1\r\n\r\n")
    assert statuses(transport) == [200]
    assert transport.writes[0].count(b"Connection: close") == 1
    assert transport.closed
    protocol.connection_lost(None)
    assert state.all_closed.is_set()


def test_date_header_is_cached_between_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.2)
    _, _, state = connect()
    first = state.server_date
    assert first == b"Server: openbid\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.9)
    state.tick()
    assert state.server_date is first
    monkeypatch.setattr(time, "time", lambda: 1_700_000_001.0)
    state.tick()
    assert state.server_date.endswith(b"22:13:21 GMT\r\n")


GZIPPED = gzip.compress(b"hello world", mtime=0)
VALID_REQUESTS = [
    b"GET / HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
    b"GET /?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD / HTTP/1.1\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 20\r\nAccept-Encoding: gzip\r\n\r\n"
    + b'{"id":"abc","x":123}',
    b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    b"POST /n HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
    % (len(GZIPPED), GZIPPED),
    b"PUT /a HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    b"GET /missing HTTP/1.1\r\nConnection: close\r\n\r\n",
]
ALLOWED = {100, 200, 204, 400, 404, 405, 413, 415, 431}


def run_fuzz(chunks: list[bytes]) -> None:
    """Feed chunks; the protocol must never raise and only write well-formed responses."""
    protocol, transport, _ = connect()
    for chunk in chunks:
        if transport.closed:
            break
        protocol.data_received(chunk)
        end_turn()
    for status in statuses(transport):
        assert status in ALLOWED
    closes = [b"Connection: close" in r for r in responses(transport)]
    assert True not in closes[:-1]  # nothing is written after a closing response


def test_valid_requests_pipelined() -> None:
    protocol, transport, _ = connect()
    feed(protocol, b"".join(VALID_REQUESTS))
    assert statuses(transport) == [200, 200, 200, 200, 200, 100, 204, 200, 405, 404]
    assert transport.closed


@st.composite
def mutated(draw: st.DrawFn) -> list[bytes]:
    """A pipeline of valid requests, mutated, then cut into reads."""
    picks = draw(st.lists(st.sampled_from(VALID_REQUESTS), min_size=1, max_size=4))
    data = bytearray(b"".join(picks))
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 300))] * draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=5)))
    edges = [0, *cuts, len(data)]
    return [bytes(data[a:b]) for a, b in itertools.pairwise(edges) if b > a]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=600), max_size=5))
def test_fuzz_arbitrary_bytes(chunks: list[bytes]) -> None:
    run_fuzz(chunks)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fuzz_mutated_requests(chunks: list[bytes]) -> None:
    run_fuzz(chunks)


def test_answers_are_written_once_the_loop_turn_is_over() -> None:
    first, first_transport, state = connect()
    second = HttpProtocol(state)
    second_transport = FakeTransport()
    second.connection_made(second_transport)
    first.data_received(b"GET / HTTP/1.1\r\n\r\n" * 2)
    second.data_received(b"GET / HTTP/1.1\r\n\r\n")
    assert first_transport.writes == second_transport.writes == []
    end_turn()
    assert len(first_transport.writes) == 1  # both pipelined answers, in order, in one write
    assert statuses(first_transport) == [200, 200]
    assert statuses(second_transport) == [200]


def test_an_answer_not_yet_written_is_dropped_when_the_client_is_gone() -> None:
    protocol, transport, _ = connect()
    protocol.data_received(b"GET / HTTP/1.1\r\n\r\n")
    protocol.connection_lost(ConnectionResetError())
    transport.closed = True
    end_turn()  # FakeTransport raises on a write after close, as uvloop's does
    assert transport.writes == []


def test_a_long_turn_writes_the_answers_that_waited_too_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    first, first_transport, state = connect()
    second = HttpProtocol(state)
    second_transport = FakeTransport()
    second.connection_made(second_transport)
    first.data_received(b"GET / HTTP/1.1\r\n\r\n")
    clock[0] += MAX_ANSWER_WAIT / 2
    second.data_received(b"GET / HTTP/1.1\r\n\r\n")
    assert first_transport.writes == second_transport.writes == []  # the turn is still young
    third = HttpProtocol(state)
    third_transport = FakeTransport()
    third.connection_made(third_transport)
    clock[0] += MAX_ANSWER_WAIT
    third.data_received(b"GET / HTTP/1.1\r\n\r\n")
    assert statuses(first_transport) == statuses(second_transport) == [200]  # written at once
    assert statuses(third_transport) == [200]
    end_turn()
    assert len(first_transport.writes) == len(third_transport.writes) == 1
