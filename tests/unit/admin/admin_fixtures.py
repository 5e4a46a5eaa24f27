"""An admin API over an in-process bidder on the demo catalog, with recorded traffic."""

import json
import time
from pathlib import Path

from openbid.admin.context import AdminContext
from openbid.admin.ring import RequestRing
from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import load_catalog
from openbid.notices.signing import SigningKeys
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter

TOKEN = "s3cret-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TAGS = {"ecs_cluster": "bidders", "deployment": "stable", "task_version": "42"}
FIXTURES = Path(__file__).parents[2] / "fixtures"
BENCH_REQUEST = Path(__file__).parents[3] / "bench" / "request.json"


def sample_requests(limit: int = 200) -> list[bytes]:
    """Request bodies: the bench request and Prebid Server's bidder requests."""
    bodies = [BENCH_REQUEST.read_bytes()]
    corpus = FIXTURES / "prebid-server" / "prebid-server-bidder-requests.jsonl"
    with corpus.open() as lines:
        for line in lines:
            bodies.append(json.dumps(json.loads(line)["request"]).encode())
            if len(bodies) >= limit:
                break
    return bodies


def demo_context(recorded: int = 200) -> AdminContext:
    """An admin context over the demo catalog with ``recorded`` requests in its ring."""
    catalog = load_catalog()
    config = BidderConfig(signing_keys=SigningKeys({"test": b"k" * 32}, "test"))
    bidder = Bidder(config, compile_catalog(catalog, config.seat))
    ring = RequestRing(size=500)
    now = time.time()
    for body in sample_requests(recorded):
        ring.record(body, "default", now)
    return AdminContext(
        bidder=bidder,
        tags=TAGS,
        config={
            "port": 8080,
            "signing_keys": "k1:abcdef",
            "catalog_url": "postgresql://openbid:hunter2@db.example/openbid",
            "admin_token": TOKEN,
        },
        metrics=PrometheusExporter(BidderMetrics(), TAGS),
        catalog=lambda: catalog,
        ring=ring,
        max_capture_seconds=0.05,
    )
