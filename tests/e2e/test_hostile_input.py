"""Hostile input against a running `openbid serve`: the bid and notice endpoints answer every
kind of bad request with a 4xx, never a 5xx, keep serving, and do not grow without bound."""

import http.client
import json
import random
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

from openbid.exchange.bidder_process import LOOPBACK, BidderProcess

pytestmark = pytest.mark.e2e
REQUEST = json.loads(
    (Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json").read_text()
)
KEY = "hostile:0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BidderProcess]:
    """A bidder of this module's own, so its memory is measured alone."""
    log = tmp_path_factory.mktemp("hostile") / "serve.log"
    with BidderProcess(["--signing-keys", KEY], log_path=log) as process:
        yield process


def _request(
    process: BidderProcess, method: str, path: str, body: bytes | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, process.port, timeout=5)
    try:
        conn.request(method, path, body=body)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _nested(depth: int) -> bytes:
    return b'{"id":"1","imp":[{"id":"1","ext":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}]}"


def _many_imps(count: int) -> bytes:
    imps = [{"id": str(i), "banner": {"w": 300, "h": 250}} for i in range(count)]
    return json.dumps({**REQUEST, "imp": imps}).encode()


HOSTILE_BODIES = {
    "invalid UTF-8": (b'{"id":"\xff\xfe","imp":[{"id":"1"}]}', "invalid UTF-8"),
    "deeply nested": (_nested(20_000), "nested too deeply"),
    "too many impressions": (_many_imps(2_000), "too many impressions"),
    "NUL in a string": (b'{"id":"a\\u0000b","imp":[{"id":"1","bidfloor":-1}]}', ""),
    "number overflow": (b'{"id":"1","imp":[{"id":"1","bidfloor":1e999}]}', ""),
    "lone surrogate": (b'{"id":"\\ud800","imp":[{"id":"1"}]}', ""),
    "top-level array": (b"[" * 10_000 + b"]" * 10_000, ""),
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_hostile_bid_bodies_get_4xx_or_a_no_bid(server: BidderProcess, name: str) -> None:
    body, reason = HOSTILE_BODIES[name]
    status, answer = _request(server, "POST", "/openrtb2/bid", body)
    assert status in (204, 400), (status, answer[:200])
    if reason:
        assert status == 400
        assert reason in json.loads(answer)["reason"]


def test_huge_but_harmless_arrays_are_answered(server: BidderProcess) -> None:
    request = {**REQUEST, "bcat": [f"IAB{i}" for i in range(10_000)], "badv": ["x.com"] * 2_000}
    status, _ = _request(server, "POST", "/openrtb2/bid", json.dumps(request).encode())
    assert status in (200, 204)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/openrtb2/bid", 405),
        ("DELETE", "/openrtb2/bid", 405),
        ("POST", "/openrtb2/bid/no-such-exchange", 404),
        ("GET", "/../../etc/passwd", 404),
        ("POST", "/notice/win", 405),
        ("GET", "/notice/unknown-kind", 404),
        ("GET", "/" + "a" * 8_000, 404),
    ],
)
def test_wrong_methods_and_paths(
    server: BidderProcess, method: str, path: str, expected: int
) -> None:
    assert _request(server, method, path)[0] == expected


def _signed_win_url(server: BidderProcess) -> str:
    status, body = _request(server, "POST", "/openrtb2/bid", json.dumps(REQUEST).encode())
    assert status == 200
    nurl: str = json.loads(body)["seatbid"][0]["bid"][0]["nurl"]
    return nurl.replace("${AUCTION_PRICE}", "1.25")


def test_tampered_and_garbage_notices_are_refused_never_5xx(server: BidderProcess) -> None:
    parts = urlsplit(_signed_win_url(server))
    params = parse_qsl(parts.query, keep_blank_values=True)
    rng = random.Random(7)
    garbage = (
        "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(1, 300)))
        for _ in range(100)
    )
    queries = ["", *(quote(text, safe="=&%") for text in garbage)]
    for index, (name, value) in enumerate(params):  # every parameter changed, then dropped
        changed = (value[:-1] + ("A" if value[-1:] != "A" else "B")) if value else "x"
        queries.append(urlencode([*params[:index], (name, changed), *params[index + 1 :]]))
        queries.append(urlencode(params[:index] + params[index + 1 :]))
    queries += [
        parts.query + "&p=99",
        parts.query + "&r=1&r=2",
        parts.query.replace("=", "==", 1),
        "%ff%fe=%00",
    ]
    statuses: Counter[int] = Counter()
    for query in queries:
        status = _request(server, "GET", f"{parts.path}?{query}")[0]
        statuses[status] += 1
        assert status in (400, 403, 410), query
    assert set(statuses) <= {400, 403, 410}, statuses
    assert statuses[403] > 0, "tampered signatures are refused as forged"


def test_half_closed_connection_still_gets_its_answer(server: BidderProcess) -> None:
    body = json.dumps(REQUEST).encode()
    head = f"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")


def _read_answer(reader: BinaryIO) -> tuple[int, bytes]:
    """One HTTP/1.1 response (Content-Length framed) from a buffered socket reader."""
    status = int(reader.readline().split()[1])
    length = 0
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status, reader.read(length)


def test_pipelined_requests_are_all_answered_in_order(server: BidderProcess) -> None:
    bodies = [json.dumps({**REQUEST, "id": f"pipe-{i}"}).encode() for i in range(50)]
    stream = b"".join(
        b"POST /openrtb2/bid HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b)
        for b in bodies
    )
    with socket.create_connection((LOOPBACK, server.port), timeout=5) as sock:
        sock.sendall(stream + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        reader = sock.makefile("rb")
        answers = [_read_answer(reader) for _ in range(51)]
    assert {status for status, _ in answers[:-1]} <= {200, 204}
    ids = [
        int(json.loads(body)["id"].removeprefix("pipe-")) for status, body in answers[:-1] if body
    ]
    assert ids, "some pipelined requests bid"
    assert ids == sorted(set(ids)), "answers come back in request order"
    assert answers[-1] == (200, b'{"status":"alive"}')


def test_a_barrage_of_bad_requests_leaves_memory_flat_and_the_server_serving(
    server: BidderProcess,
) -> None:
    bodies = [body for body, _ in HOSTILE_BODIES.values()]
    for body in bodies * 3:  # warm up: allocator pools and caches reach their working size
        _request(server, "POST", "/openrtb2/bid", body)
    before = _rss_kib(server.pid)
    statuses = Counter(_request(server, "POST", "/openrtb2/bid", body)[0] for body in bodies * 60)
    after = _rss_kib(server.pid)
    assert not [s for s in statuses if s >= 500], statuses
    assert after - before < 16 * 1024, (
        f"RSS grew {after - before} KiB over {sum(statuses.values())} requests"
    )
    assert _request(server, "POST", "/openrtb2/bid", json.dumps(REQUEST).encode())[0] == 200
