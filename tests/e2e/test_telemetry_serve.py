"""Telemetry of a real `openbid serve` on Fargate, faked on loopback: the ECS task metadata
endpoint (v4 documents) and a DogStatsD agent (a UDP socket). Every expected metric arrives with
the task's tags, the Prometheus text on the admin port carries them as labels, and so do the JSON
log lines and the events."""

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
from prometheus_client.parser import text_string_to_metric_families

from openbid.events.sources import local_files
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port
from openbid.telemetry.ecs import METADATA_ENV

pytestmark = pytest.mark.e2e
REQUEST = (
    Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()
TOKEN = "telemetry-e2e-token"
TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/bidders/cd189a933e5849daa93386466019ab50"
CONTAINER = {
    "DockerId": "cd189a933e58-2495160603",
    "Name": "bidder",
    "Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/openbid:1.4.2",
    "Labels": {"com.amazonaws.ecs.task-arn": TASK_ARN},
    "KnownStatus": "RUNNING",
}
TASK = {
    "Cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/bidders",
    "TaskARN": TASK_ARN,
    "Family": "openbid-prod",
    "Revision": "42",
    "AvailabilityZone": "eu-west-1b",
    "LaunchType": "FARGATE",
    "ServiceName": "openbid",
    "KnownStatus": "RUNNING",
    "Containers": [CONTAINER],
    "TaskTags": {"openbid:canary": "true", "team": "bidding"},
}
EXPECTED_TAGS = {
    "ecs_cluster": "bidders",
    "task_family": "openbid-prod",
    "task_version": "42",
    "task_arn": TASK_ARN,
    "availability_zone": "eu-west-1b",
    "image_tag": "1.4.2",
    "deployment": "canary",
}


DOCUMENTS = {"/v4/task1": CONTAINER, "/v4/task1/taskWithTags": TASK}


class MetadataHandler(BaseHTTPRequestHandler):
    """Answers the documents by path, 404 elsewhere (``taskWithTags`` is there)."""

    def do_GET(self) -> None:
        """One document."""
        document = DOCUMENTS.get(self.path.rstrip("/"))
        body = json.dumps(document).encode() if document is not None else b"{}"
        self.send_response(200 if document is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def metadata_endpoint() -> Iterator[str]:
    """The fake ECS task metadata endpoint v4; yields ``ECS_CONTAINER_METADATA_URI_V4``."""
    server = ThreadingHTTPServer((LOOPBACK, 0), MetadataHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}/v4/task1"
    finally:
        server.shutdown()
        server.server_close()


def _datagram_lines(sock: socket.socket, until: float) -> Iterator[str]:
    while time.monotonic() < until:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        yield from (line for line in data.decode().split("\n") if line)


def _parse(line: str) -> tuple[str, str, dict[str, str]]:
    """``name:value|type|#k:v,...`` -> (name, type, tags)."""
    head, kind, *rest = line.split("|")
    tags: dict[str, str] = {}
    for field in rest:
        if field.startswith("#"):
            for tag in field[1:].split(","):
                key, _, value = tag.partition(":")
                tags[key] = value
    return head.split(":", 1)[0], kind, tags


def _call(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _notice_path(url: str, price: str) -> str:
    parts = urlsplit(url.replace("${AUCTION_PRICE}", price))
    return f"{parts.path}?{parts.query}"


EXPECTED_METRICS = {
    "openbid.requests": "c",
    "openbid.bids": "c",
    "openbid.no_bids": "c",
    "openbid.errors": "c",
    "openbid.notices": "c",
    "openbid.spend_micros": "c",
    "openbid.request_duration_seconds": "d",
    "openbid.event_queue_depth": "g",
    "openbid.catalog_info": "g",
    "openbid.process_resident_memory_bytes": "g",
    "openbid.process_cpu_seconds_total": "g",
}


def test_dogstatsd_and_prometheus_carry_the_ecs_tags(
    metadata_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(METADATA_ENV, metadata_endpoint)
    monkeypatch.delenv("OPENBID_DEPLOYMENT", raising=False)
    agent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    agent.bind((LOOPBACK, 0))
    agent.settimeout(0.1)
    admin_port = free_port()
    log = tmp_path / "serve.log"
    args = [
        "--statsd-url", f"udp://{LOOPBACK}:{agent.getsockname()[1]}", "--metrics-interval", "0.2",
        "--admin-token", TOKEN, "--admin-port", str(admin_port), "--events", str(tmp_path / "ev"),
    ]  # fmt: skip
    try:
        with BidderProcess(args, log_path=log) as bidder:
            status, body = _call(bidder.port, "POST", "/openrtb2/bid", REQUEST)
            assert status == 200
            bid = json.loads(body)["seatbid"][0]["bid"][0]
            cleared = round(bid["price"] / 2, 6)  # CPM, below the bid
            billing = _notice_path(bid["burl"], str(cleared))
            assert _call(bidder.port, "GET", billing)[0] == 204
            assert _call(bidder.port, "GET", billing)[0] == 204  # a duplicate: counted apart
            assert _call(bidder.port, "POST", "/openrtb2/bid", b"{not json")[0] == 400
            nobid = json.loads(REQUEST)
            nobid["imp"][0]["bidfloor"] = 500
            assert _call(bidder.port, "POST", "/openrtb2/bid", json.dumps(nobid).encode())[0] == 204

            seen: dict[str, tuple[str, dict[str, str]]] = {}
            until = time.monotonic() + 10
            for line in _datagram_lines(agent, until):
                name, kind, tags = _parse(line)
                seen.setdefault(name, (kind, tags))
                if EXPECTED_METRICS.keys() <= seen.keys():
                    break
            metrics = _call(admin_port, "GET", "/metrics")[1].decode()
    finally:
        agent.close()

    assert {name: seen[name][0] for name in EXPECTED_METRICS if name in seen} == EXPECTED_METRICS
    for name, (_, tags) in seen.items():
        assert EXPECTED_TAGS.items() <= tags.items(), name

    families = {family.name: family for family in text_string_to_metric_families(metrics)}
    requests = families["openbid_requests"].samples
    assert {(s.labels["status"], s.value) for s in requests if s.name.endswith("_total")} == {
        ("200", 1.0),
        ("204", 1.0),
        ("400", 1.0),
    }
    notices = {
        (s.labels["type"], s.labels["outcome"]): s.value
        for s in families["openbid_notices"].samples
        if s.name.endswith("_total")
    }
    assert notices == {("bill", "billed"): 1.0, ("bill", "duplicate"): 1.0}
    spend = [s for s in families["openbid_spend_micros"].samples if s.name.endswith("_total")]
    one_impression = -(-round(cleared * 1_000_000) // 1000)  # micros, rounded up
    assert [(s.labels["currency"], s.value) for s in spend] == [("USD", one_impression)]
    for family in families.values():
        for sample in family.samples:
            assert EXPECTED_TAGS.items() <= sample.labels.items(), sample.name

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines
    assert all(EXPECTED_TAGS.items() <= line.items() for line in lines)

    files = [str(path) for path in local_files(tmp_path / "ev", None, None)]
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT kind, deployment, task FROM read_parquet({files}) ORDER BY kind"
        ).fetchall()
    assert rows == [
        ("bid", "canary", "cd189a933e5849daa93386466019ab50"),
        ("bill", "canary", "cd189a933e5849daa93386466019ab50"),
        ("rejected_notice", "canary", "cd189a933e5849daa93386466019ab50"),
    ]
