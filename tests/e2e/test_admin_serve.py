"""The admin API of a real `openbid serve`: on its own port only, behind its token, showing the
live pacing state, answering `openbid status` and `openbid why`, and draining the bid port."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port

pytestmark = pytest.mark.e2e
REQUEST = (
    Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()
TOKEN = "admin-e2e-token"
SIGNING = "e2e:0123456789abcdef0123"
ADMIN_PATHS = ("/status", "/metrics", "/line-items", "/readiness", "/log-level", "/openapi.json")


class Served:
    """A bidder and the port of its admin API."""

    def __init__(self, bidder: BidderProcess, admin_port: int) -> None:
        self.bidder = bidder
        self.admin_port = admin_port
        self.admin_url = f"http://{LOOPBACK}:{admin_port}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One bidder with its admin API on an ephemeral loopback port."""
    admin_port = free_port()
    work = tmp_path_factory.mktemp("admin")
    args = [
        "--signing-keys", SIGNING, "--admin-token", TOKEN, "--admin-port", str(admin_port),
        "--events", str(work / "events"), "--shed-after-ms", "35",
    ]  # fmt: skip
    with BidderProcess(args, log_path=work / "serve.log") as bidder:
        yield Served(bidder, admin_port)


def call(
    port: int, method: str, path: str, body: bytes | None = None, token: str | None = TOKEN
) -> tuple[int, bytes]:
    """One request on loopback; the status and body."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/status", "/metrics", "/line-items", "/readiness"])
def test_a_missing_or_wrong_token_is_401(served: Served, path: str) -> None:
    assert call(served.admin_port, "GET", path, token=None)[0] == 401
    assert call(served.admin_port, "GET", path, token="wrong")[0] == 401
    assert call(served.admin_port, "GET", path, token=TOKEN[:-1])[0] == 401
    assert call(served.admin_port, "GET", path)[0] == 200


def test_the_openapi_document_is_served_without_a_token(served: Served) -> None:
    status, body = call(served.admin_port, "GET", "/openapi.json", token=None)
    assert status == 200
    assert "/line-items/{line_item_id}/why" in json.loads(body)["paths"]


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_the_admin_api_never_answers_on_the_bid_port(served: Served, path: str) -> None:
    assert call(served.bidder.port, "GET", path)[0] == 404
    assert call(served.bidder.port, "PUT", path, b'{"accepting": false}')[0] == 404


def test_the_bid_path_is_not_on_the_admin_port(served: Served) -> None:
    assert call(served.admin_port, "POST", "/openrtb2/bid", REQUEST)[0] == 404


def _bid(served: Served) -> dict[str, object]:
    status, body = call(served.bidder.port, "POST", "/openrtb2/bid", REQUEST)
    assert status == 200
    bid: dict[str, object] = json.loads(body)["seatbid"][0]["bid"][0]
    return bid


def test_line_items_show_the_live_budget_and_spend(served: Served) -> None:
    bid = _bid(served)
    burl = str(bid["burl"]).replace("${AUCTION_PRICE}", "0.5")
    parts = urlsplit(burl)
    assert call(served.bidder.port, "GET", f"{parts.path}?{parts.query}")[0] == 204
    line_item = next(part[2:] for part in parts.query.split("&") if part.startswith("l="))
    spent = 0
    for _ in range(100):  # the pacing loop applies the notice within a round
        status, body = call(served.admin_port, "GET", f"/line-items/{line_item}")
        assert status == 200
        pacing = json.loads(body)["pacing"]
        spent = pacing.get("campaign_spent", {}).get("total", 0)
        if spent:
            break
        time.sleep(0.05)
    assert spent >= 500  # micros: one impression at a 0.50 CPM
    assert pacing["campaign_budget"]["daily"] > 0
    assert pacing["throttle"] == 1.0
    assert pacing["ledger"] == "in-process"


def test_openbid_status_against_the_live_server(served: Served) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["status", "--url", served.admin_url, "--token", TOKEN, "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["ready"] is True
    assert status["catalog"]["line_items"] > 0
    assert status["config"]["signing_keys"] == "***"
    assert status["config"]["shed_after_ms"] == 35
    assert TOKEN not in result.stdout
    assert {"ecs_cluster", "task_family", "deployment"} <= status["tags"].keys()
    table = runner.invoke(app, ["status", "--url", served.admin_url, "--token", TOKEN])
    assert table.exit_code == 0
    assert "catalog" in table.stdout
    refused = runner.invoke(app, ["status", "--url", served.admin_url, "--token", "wrong"])
    assert refused.exit_code == 2
    assert "401" in refused.stderr


def test_openbid_why_names_the_filter(served: Served) -> None:
    for _ in range(3):
        _bid(served)  # a 300x250 banner from the USA
    runner = CliRunner()
    args = ["--url", served.admin_url, "--token", TOKEN, "--requests", "3", "--json"]
    bidding = runner.invoke(app, ["why", "li-acme-display-ron", *args])
    assert bidding.exit_code == 0, bidding.output
    assert json.loads(bidding.stdout)["bid"] == 3
    video = runner.invoke(app, ["why", "li-fjord-video-ctv", *args])
    assert video.exit_code == 0, video.output
    report = json.loads(video.stdout)
    assert report["examined"] == 3
    assert report["bid"] == 0
    assert report["reasons"] == [{"reason": "targeting:countries", "count": 3}]
    table = runner.invoke(app, ["why", "li-fjord-video-ctv", *args[:-1]])
    assert "targeting:countries" in table.stdout
    missing = runner.invoke(app, ["why", "no-such-line-item", *args])
    assert missing.exit_code == 2
    assert "404" in missing.stderr


def test_the_drain_switch_fails_the_bid_ports_readiness(served: Served) -> None:
    port = served.bidder.port
    try:
        status, body = call(served.admin_port, "PUT", "/readiness", b'{"accepting": false}')
        assert (status, json.loads(body)) == (200, {"accepting": False, "ready": False})
        status, body = call(port, "GET", "/readyz")
        assert (status, json.loads(body)["status"]) == (503, "draining")
        assert _bid(served)  # draining: still bidding on what the load balancer sends
    finally:
        call(served.admin_port, "PUT", "/readiness", b'{"accepting": true}')
    assert call(port, "GET", "/readyz")[0] == 200


def _serve_fails(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "openbid", "serve", "--port", "0", *args]
    env = {**os.environ, "COLUMNS": "300"}  # no line breaks inside the messages
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, env=env)


def test_an_admin_port_in_use_is_a_readable_error(tmp_path: Path) -> None:
    with socket.create_server((LOOPBACK, 0)) as taken:
        port = taken.getsockname()[1]
        result = _serve_fails(
            "--admin-token", TOKEN, "--admin-port", str(port), "--events", str(tmp_path)
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} (admin API)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "ftp://host/x"], "events go to none, stdout, a directory, or s3://"),
        (["--events", "/tmp/x?format=csv"], "format must be parquet or jsonl"),
        (["--statsd-url", "tcp://agent:8125"], "a DogStatsD URL is udp://HOST:PORT"),
        (["--log-level", "loud"], "one of debug, info"),
        (["--shed-after-ms", "0.5"], "greater than or equal to 1"),
    ],
)
def test_bad_telemetry_options_are_readable_errors(args: list[str], message: str) -> None:
    result = _serve_fails(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
