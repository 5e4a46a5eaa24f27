"""The admin API over the real pacing state, as ``openbid serve`` wires it: line items show
budgets, spend and throttle, and "why" names budgets and pacing when they hold a line item back."""

import asyncio
import time
from pathlib import Path

from admin_fixtures import AUTH, TOKEN
from starlette.testclient import TestClient

from openbid.admin.app import create_admin_app
from openbid.admin.context import AdminContext
from openbid.admin.pacing import PacingView
from openbid.admin.ring import RequestRing
from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import load_catalog
from openbid.notices.signing import SigningKeys
from openbid.pacing.setup import PacingSettings, build_pacing
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter

REQUEST = (
    Path(__file__).parents[2] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()
LINE_ITEM = "li-acme-display-ron"  # the demo catalog's answer to REQUEST


def _why(client: TestClient) -> list[dict[str, object]]:
    answer = client.get(f"/line-items/{LINE_ITEM}/why", headers=AUTH)
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    return [{"bid": body["bid"]}, *reasons]


def test_line_items_and_why_read_the_pacing_state() -> None:
    pacing = build_pacing(PacingSettings())
    config = BidderConfig(signing_keys=SigningKeys({"t": b"k" * 32}, "t"))
    bidder = Bidder(config, compile_catalog(load_catalog(), config.seat), pacing.state)
    asyncio.run(pacing.tick())  # the first lease round opens the budgeted line items
    ring = RequestRing(size=10)
    ring.record(REQUEST, "default", time.time())
    view: PacingView = pacing.state
    context = AdminContext(
        bidder=bidder,
        tags={},
        config={},
        metrics=PrometheusExporter(BidderMetrics(), {}),
        pacing=view,
        ring=ring,
    )
    client = TestClient(create_admin_app(context, TOKEN))

    shown = client.get(f"/line-items/{LINE_ITEM}", headers=AUTH).json()["pacing"]
    assert shown["campaign_budget"]["daily"] > 0
    assert shown["throttle"] == 1.0
    assert shown["lease"]["allowance"] > 0
    assert _why(client) == [{"bid": 1}]

    rules = pacing.state.by_id[LINE_ITEM]
    pacing.state.set_throttle(rules.bit, 0.5)
    assert _why(client) == [{"bid": 0}, {"reason": "pacing:paced", "count": 1}]
    assert client.get(f"/line-items/{LINE_ITEM}", headers=AUTH).json()["pacing"]["throttle"] == 0.5

    pacing.state.close(rules.bit)  # its allowance ran out
    assert _why(client) == [{"bid": 0}, {"reason": "pacing:out_of_budget", "count": 1}]
