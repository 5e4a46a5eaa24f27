"""Every fixture request, sent over HTTP to a real `openbid serve`, gets 200, 204 or 400 —
never a 5xx, never a hang — and every 200 is a valid bid response."""

from collections import Counter
from pathlib import Path

import pytest

from openbid.exchange.bidder_process import BidderProcess
from openbid.exchange.replay import Outcome, is_failure, read_requests, replay
from openbid.exchange.samples import sample_paths

FIXTURES = Path(__file__).parent.parent / "fixtures"
PREBID_REQUESTS = FIXTURES / "prebid-server" / "prebid-server-bidder-requests.jsonl"

pytestmark = pytest.mark.e2e


def _failures(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.label}: {o.status} {o.detail} {o.problems}" for o in outcomes if is_failure(o)]


def test_openrtb_spec_examples(bidder_process: BidderProcess) -> None:
    files = sorted((FIXTURES / "openrtb").glob("bid-request/*/*.json"))
    assert len(files) == 11
    outcomes = replay(bidder_process.bid_url, read_requests(files))
    assert _failures(outcomes) == []
    statuses = Counter(o.status for o in outcomes)
    assert statuses[200] >= 9, statuses  # the demo catalog bids on nearly all spec examples


def test_prebid_server_corpus(bidder_process: BidderProcess) -> None:
    outcomes = replay(bidder_process.bid_url, read_requests([PREBID_REQUESTS]))
    assert len(outcomes) == 1613
    assert _failures(outcomes) == []
    statuses = Counter(o.status for o in outcomes)
    assert set(statuses) <= {200, 204, 400}
    assert statuses[200] > 100, statuses  # real bids, not only no-bids
    assert statuses[400] < 100, statuses  # the decoder is not too strict for real traffic


def test_demo_samples(bidder_process: BidderProcess) -> None:
    outcomes = replay(bidder_process.bid_url, read_requests(sample_paths()))
    assert _failures(outcomes) == []
    by_label = {o.label.removesuffix(".json"): o for o in outcomes}
    assert by_label["13-malformed"].status == 400
    assert by_label["06-private-deal"].bids[0].dealid == "AB-Agency1-0001"
    assert by_label["11-floor-too-high"].status == 204
