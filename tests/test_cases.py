"""Bidder scenarios as JSON case files (tests/cases/{exemplary,supplemental}/*.json).

Each case holds the catalog (merged onto tests/cases/base-catalog.json), a bid request, and the
expected bids or the no-bid reason; optionally ``now`` (ISO time the request arrives at) and
``exchange`` (the exchange it comes from). Every bid response is also checked as an exchange would.
"""

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import parse_catalog
from openbid.exchange.validate import bid_response_problems
from openbid.notices.signing import SigningKeys
from openbid.openrtb.codec import decode_request, decode_response
from openbid.pricing.money import micros_to_price
from openbid.targeting.features import DEFAULT_EXCHANGE

CASES = Path(__file__).parent / "cases"
BASE_CATALOG = json.loads((CASES / "base-catalog.json").read_text())
DEFAULT_NOW = "2026-06-01T12:00:00Z"
CASE_FILES = sorted(CASES.glob("*/*.json"))


def _catalog(overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(BASE_CATALOG)
    for key, value in overrides.items():
        merged[key] = [*merged.get(key, []), *value] if isinstance(value, list) else value
    return merged


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    catalog = parse_catalog(_catalog(case.get("catalog", {})), str(path))
    config = BidderConfig(signing_keys=SigningKeys({"test": b"k" * 32}, "test"))
    bidder = Bidder(config, compile_catalog(catalog, config.seat))
    request = decode_request(json.dumps(case["request"]).encode())
    now = datetime.fromisoformat(case.get("now", DEFAULT_NOW)).timestamp()
    exchange = case.get("exchange", DEFAULT_EXCHANGE)

    decision = bidder.bid(request, time.monotonic() + 60, now=now, exchange=exchange)

    expected = case["expected"]
    if "nobid" in expected:
        assert decision.body is None
        assert decision.reason == expected["nobid"]
        return
    assert decision.reason is None, f"no bid: {decision.reason}"
    assert decision.body is not None
    response = decode_response(decision.body)
    currency = response.cur
    got = [
        {
            "impid": choice.imp.id,
            "line_item": choice.line_item.id,
            "creative": choice.creative.id,
            "price": micros_to_price(choice.price_micros),
            "deal": choice.deal_id,
            "currency": currency,
        }
        for choice in decision.choices
    ]
    assert got == expected["bids"]
    rates = {code: float(rate) for code, rate in catalog.currency_rates.items()}
    assert bid_response_problems(request, response, {**rates, "USD": 1.0}) == []
    bids = [bid for seatbid in response.seatbid or () for bid in seatbid.bid or ()]
    assert [(b.impid, b.crid, b.price, b.dealid) for b in bids] == [
        (b["impid"], b["creative"], b["price"], b["deal"]) for b in expected["bids"]
    ]


def test_every_case_file_is_run() -> None:
    assert len(CASE_FILES) >= 60
    assert {p.parent.name for p in CASE_FILES} == {"exemplary", "supplemental"}
