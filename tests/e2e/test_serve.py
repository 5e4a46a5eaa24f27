"""`openbid serve` as a process: the bid endpoint's HTTP contract and the health checks."""

import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openbid.exchange.bidder_process import LOOPBACK, BidderProcess

pytestmark = pytest.mark.e2e
REQUEST = (
    Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()


def _post(
    process: BidderProcess, body: bytes, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, process.port, timeout=5)
    try:
        conn.request("POST", "/openrtb2/bid", body=body, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        conn.close()


def test_bid(bidder_process: BidderProcess) -> None:
    status, headers, body = _post(bidder_process, REQUEST, {"x-openrtb-version": "2.5"})
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert headers["x-openrtb-version"] == "2.5"
    assert json.loads(body)["seatbid"][0]["bid"][0]["impid"] == "1"


def test_no_bid_is_204_with_the_version(bidder_process: BidderProcess) -> None:
    request = json.loads(REQUEST)
    request["imp"][0]["bidfloor"] = 500
    status, headers, body = _post(bidder_process, json.dumps(request).encode())
    assert (status, body) == (204, b"")
    assert headers["x-openrtb-version"] == "2.6"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"imp": [{"id": "1"}]}', "missing field `id`"),
        (b'{"id": "x"}', "missing field `imp`"),
        (b'{"id": "x", "imp": []}', "empty `imp`"),
        (b'{"id": "x", "imp": [{"id": "1", "bidfloor": "high"}]}', "expected `float`"),
    ],
)
def test_malformed_requests_get_400_with_a_reason(
    bidder_process: BidderProcess, body: bytes, reason: str
) -> None:
    status, _, answer = _post(bidder_process, body)
    assert status == 400
    assert reason in json.loads(answer)["reason"]


def test_gzip_both_ways(bidder_process: BidderProcess) -> None:
    status, headers, body = _post(
        bidder_process,
        gzip.compress(REQUEST),
        {"Content-Encoding": "gzip", "Accept-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body))["id"] == json.loads(REQUEST)["id"]


def test_oversize_body_is_413(bidder_process: BidderProcess) -> None:
    status, _, _ = _post(bidder_process, b"{" + b" " * (300 * 1024) + b"}")
    assert status == 413


def test_keep_alive_serves_many_requests_on_one_connection(bidder_process: BidderProcess) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, bidder_process.port, timeout=5)
    try:
        conn.connect()
        local = conn.sock.getsockname() if conn.sock else None
        for _ in range(20):
            conn.request("POST", "/openrtb2/bid", body=REQUEST)
            assert conn.getresponse().read()
        assert conn.sock is not None
        assert conn.sock.getsockname() == local
    finally:
        conn.close()


def test_health_and_readiness(bidder_process: BidderProcess) -> None:
    conn = http.client.HTTPConnection(LOOPBACK, bidder_process.port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() == b'{"status":"alive"}'
        conn.request("GET", "/readyz")
        answer = conn.getresponse()
        ready = json.loads(answer.read())
        assert answer.status == 200
        assert ready["status"] == "ready"
        assert len(ready["catalog"]) == 12
        conn.request("GET", "/openrtb2/bid")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 405
        conn.request("GET", "/nope")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 404
    finally:
        conn.close()


def test_sigterm_drains_and_exits_cleanly() -> None:
    process = BidderProcess().start()
    idle = socket.create_connection((LOOPBACK, process.port))
    try:
        assert process.stop(timeout=10) == 0
        assert idle.recv(1) == b""  # the idle keep-alive connection was closed, not left hanging
    finally:
        idle.close()


def test_ephemeral_port_is_logged_and_used_in_notice_urls(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "openbid", "serve", "--port", "0"], stdout=out, stderr=out
        )
    try:
        port = 0
        for _ in range(200):
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                port = int(found[1])
                break
            time.sleep(0.05)
        assert port > 0, log.read_text()
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
        conn.request("POST", "/openrtb2/bid", body=REQUEST)
        bid = json.loads(conn.getresponse().read())["seatbid"][0]["bid"][0]
        conn.close()
        assert bid["nurl"].startswith(f"http://127.0.0.1:{port}/notice/win?")
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_each_exchange_has_its_own_bid_path(tmp_path: Path) -> None:
    catalog = json.loads((Path(__file__).parents[1] / "cases/base-catalog.json").read_text())
    catalog["line_items"] = [
        {"id": "li-adx", "campaign_id": "cmp-a", "name": "adx only",
         "bid": {"strategy": "fixed_cpm", "cpm": 2}, "creative_ids": ["cr-a-300x250"],
         "targeting": {"exchanges": {"include": ["adx"]}}},
    ]  # fmt: skip
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog))
    args = ["--catalog", str(path), "--exchanges", "adx, Rubicon"]
    with BidderProcess(args) as process:
        conn = http.client.HTTPConnection(LOOPBACK, process.port, timeout=5)
        statuses = {}
        for route in (
            "/openrtb2/bid/adx",
            "/openrtb2/bid/rubicon",
            "/openrtb2/bid",
            "/openrtb2/bid/x",
        ):
            conn.request("POST", route, body=REQUEST)
            answer = conn.getresponse()
            answer.read()
            statuses[route] = answer.status
        conn.close()
    assert statuses == {
        "/openrtb2/bid/adx": 200,
        "/openrtb2/bid/rubicon": 204,
        "/openrtb2/bid": 204,
        "/openrtb2/bid/x": 404,
    }
