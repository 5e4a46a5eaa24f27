""" "Why is this line item not bidding" scenarios as JSON case files (tests/cases_why/*.json).

Each case holds a catalog (merged onto tests/cases/base-catalog.json), the line item asked
about, the requests recorded (all arriving at ``now``), optionally what a fake pacing view says
(``out_of_budget``: line items; ``frequency_capped``: line item -> capped user ids), and the
expected report: ``bid`` and ``reasons`` (reason -> count), optionally ``state`` and ``examined``.
The question goes through the admin API, as ``openbid why`` asks it.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from openbid.admin.app import create_admin_app
from openbid.admin.context import AdminContext
from openbid.admin.pacing import FREQUENCY_CAPPED, OUT_OF_BUDGET
from openbid.admin.ring import RequestRing
from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import parse_catalog
from openbid.notices.signing import SigningKeys
from openbid.openrtb.model import BidRequest
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter

CASES = Path(__file__).parent / "cases_why"
BASE_CATALOG = json.loads((Path(__file__).parent / "cases" / "base-catalog.json").read_text())
DEFAULT_NOW = "2026-06-01T12:00:00Z"
CASE_FILES = sorted(CASES.glob("*.json"))
TOKEN = "why-token"


class FakePacingView:
    """Budgets spent and users capped, as a case file says."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spent = set(spec.get(OUT_OF_BUDGET, []))
        self.capped = {item: set(users) for item, users in spec.get(FREQUENCY_CAPPED, {}).items()}

    def line_item_state(self, line_item_id: str) -> dict[str, object]:
        return {"budget_spent": line_item_id in self.spent}

    def blocked_reason(self, line_item_id: str, request: BidRequest, now: float) -> str | None:
        if line_item_id in self.spent:
            return OUT_OF_BUDGET
        user = request.user.id if request.user is not None else None
        if user in self.capped.get(line_item_id, ()):
            return FREQUENCY_CAPPED
        return None


def _catalog(overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(BASE_CATALOG)
    for key, value in overrides.items():
        merged[key] = [*merged.get(key, []), *value] if isinstance(value, list) else value
    return merged


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_why_case(path: Path) -> None:
    case = json.loads(path.read_text())
    catalog = parse_catalog(_catalog(case.get("catalog", {})), str(path))
    config = BidderConfig(signing_keys=SigningKeys({"test": b"k" * 32}, "test"))
    bidder = Bidder(config, compile_catalog(catalog, config.seat))
    now = datetime.fromisoformat(case.get("now", DEFAULT_NOW)).timestamp()
    ring = RequestRing(size=100)
    for request in case["requests"]:
        ring.record(json.dumps(request).encode(), case.get("exchange", "default"), now)
    context = AdminContext(
        bidder=bidder,
        tags={},
        config={},
        metrics=PrometheusExporter(BidderMetrics(), {}),
        catalog=lambda: catalog,
        pacing=FakePacingView(case.get("pacing", {})),
        ring=ring,
    )
    client = TestClient(create_admin_app(context, TOKEN))

    response = client.get(
        f"/line-items/{case['line_item']}/why", headers={"Authorization": f"Bearer {TOKEN}"}
    )

    assert response.status_code == 200, response.text
    report = response.json()
    expected = case["expected"]
    assert {r["reason"]: r["count"] for r in report["reasons"]} == expected["reasons"]
    assert report["bid"] == expected["bid"]
    assert report["examined"] == expected.get("examined", len(case["requests"]))
    if "state" in expected:
        assert report["state"] == expected["state"]


def test_the_issue_scenarios_are_all_there() -> None:
    names = {path.stem for path in CASE_FILES}
    wanted = {"wrong-size", "blocked-category", "out-of-budget", "frequency-capped"}
    assert wanted | {"outside-schedule"} <= names
