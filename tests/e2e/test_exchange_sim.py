"""The exchange simulator against a real `openbid serve` on loopback: synthetic traffic mixed
with the Prebid Server corpus, every response checked as an exchange would, the counts adding up."""

from pathlib import Path

import pytest

from openbid.exchange import loadgen
from openbid.exchange.auction import Auction, BidOutcome
from openbid.exchange.bidder_process import BidderProcess
from openbid.exchange.loadgen import RunConfig
from openbid.exchange.profile import load_profile
from openbid.exchange.report import summarize
from openbid.exchange.simulation import simulate
from openbid.exchange.traffic import load_corpus
from openbid.exchange.validate import bid_response_problems
from openbid.openrtb.model import BidRequest, BidResponse

FIXTURES = Path(__file__).parent.parent / "fixtures"
PREBID_REQUESTS = FIXTURES / "prebid-server" / "prebid-server-bidder-requests.jsonl"

pytestmark = pytest.mark.e2e


class _Recording(Auction):
    """The simulator's auction, keeping every request and bid response it is handed."""

    seen: list[tuple[BidRequest, BidResponse]] = []  # noqa: RUF012 -- filled per test

    def run(self, request: BidRequest, response: BidResponse) -> list[BidOutcome]:
        """Record, then clear as usual."""
        self.seen.append((request, response))
        return super().run(request, response)


def test_simulator_against_openbid_serve(
    bidder_process: BidderProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Recording.seen = []
    monkeypatch.setattr(loadgen, "Auction", _Recording)
    profile = load_profile()
    corpus = load_corpus([PREBID_REQUESTS]).bodies
    config = RunConfig(bidder=bidder_process.bid_url, rate=200, duration=4, seed=7)
    stats = simulate(config, profile, corpus)
    summary = summarize(stats, config)

    assert summary.requests == 800
    assert summary.requests == summary.bids + summary.no_bids + summary.timeouts + summary.errors
    assert summary.errors == 0, summary.errors_by_status
    assert summary.timeouts == 0
    assert summary.bid_rate > 0.5  # the default profile suits the demo catalog
    assert summary.invalid_bids == 0, summary.invalid_examples

    assert len(_Recording.seen) == summary.bids
    rates = profile.rates()
    for request, response in _Recording.seen:
        assert bid_response_problems(request, response, rates) == [], request.id

    impressions = summary.impressions
    assert 0 < impressions.won < impressions.bid <= impressions.offered
    assert summary.spend_usd > 0
    assert summary.by_campaign
    assert summary.by_advertiser
    assert {"corpus", "medium-rectangle"} <= set(summary.by_traffic)
    wins = sum(summary.notices["win"].values())
    losses = sum(summary.notices["loss"].values())
    assert wins == impressions.won  # every openbid bid carries nurl and lurl
    assert losses == sum(summary.loss_reasons.values()) - impressions.won
    for kind, outcomes in summary.notices.items():
        assert all(outcome.isdigit() for outcome in outcomes), (kind, outcomes)  # HTTP answers
