"""What a run counts as it goes: every request's fate, latencies, auctions, money and notices.

Every request sent ends in exactly one of bid, no-bid, timeout or error, so the four add up to the
requests sent. Latency is recorded in an HDR histogram (microseconds, 3 significant digits)
from the moment each request was *due*, not when it happened to be sent.
"""

import time
from collections import Counter
from collections.abc import Mapping

import msgspec
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

from openbid.exchange.auction import BidOutcome

HISTOGRAM_MAX_US = 3_600_000_000  # an hour: far beyond any give-up time
SIGNIFICANT_DIGITS = 3
EXAMPLES_KEPT = 10


class Tally(msgspec.Struct):
    """Bids, wins and money for one campaign, creative, advertiser, seat or deal (USD)."""

    bids: int = 0
    wins: int = 0
    won_usd: float = 0.0
    spend_usd: float = 0.0
    impressions: int = 0
    clicks: int = 0


class PlacementTally(msgspec.Struct):
    """Requests, bids and wins for one kind of traffic (a placement, or the corpus)."""

    requests: int = 0
    bids: int = 0
    wins: int = 0


def histogram() -> HdrHistogram:
    """An empty latency histogram in microseconds."""
    return HdrHistogram(1, HISTOGRAM_MAX_US, SIGNIFICANT_DIGITS)


class Stats:
    """The running counts of one simulation."""

    def __init__(self, rates: Mapping[str, float]) -> None:
        self.rates = rates
        self.requests = self.bids = self.no_bids = self.timeouts = self.errors = 0
        self.errors_by_status: Counter[str] = Counter()
        self.latency = histogram()
        self.send_lag = histogram()
        self.by_traffic: dict[str, PlacementTally] = {}
        self.imps_offered = self.imps_bid = self.imps_won = 0
        self.invalid_bids = 0
        self.invalid_examples: list[str] = []
        self.losses: Counter[int] = Counter()
        self.won_usd = self.spend_usd = 0.0
        self.renders = self.clicks = self.no_markup = 0
        self.by_campaign: dict[str, Tally] = {}
        self.by_creative: dict[str, Tally] = {}
        self.by_advertiser: dict[str, Tally] = {}
        self.by_seat: dict[str, Tally] = {}
        self.by_deal: dict[str, Tally] = {}
        self.notices: Counter[tuple[str, str]] = Counter()
        self.trackers_skipped: Counter[str] = Counter()
        self.started = self.sending_ended = self.finished = time.monotonic()
        self.interrupted = False  # sending stopped before the schedule's end (Ctrl-C)
        self._cpu_started = time.process_time()
        self.cpu_seconds = 0.0

    def start(self, at: float) -> None:
        """The run's first request is due at ``at`` (time.monotonic() seconds)."""
        self.started = self.sending_ended = self.finished = at
        self._cpu_started = time.process_time()

    def finish(self) -> None:
        """Every answer is in: stop the clocks."""
        self.finished = time.monotonic()
        self.cpu_seconds = time.process_time() - self._cpu_started

    def sent(self, label: str, imps: int, lag: float) -> None:
        """A request went out ``lag`` seconds after it was due."""
        self.requests += 1
        self.imps_offered += imps
        self._traffic(label).requests += 1
        self.send_lag.record_value(max(1, round(lag * 1e6)))
        self.sending_ended = time.monotonic()

    def answered(self, latency: float) -> None:
        """An answer (of any kind) came ``latency`` seconds after its request was due."""
        self.latency.record_value(max(1, round(latency * 1e6)))

    def timeout(self) -> None:
        """No answer within ``tmax``."""
        self.timeouts += 1

    def no_bid(self) -> None:
        """204, or a 200 without a bid."""
        self.no_bids += 1

    def error(self, status: str) -> None:
        """Anything else: a 4xx/5xx, an undecodable 200, a connection failure."""
        self.errors += 1
        self.errors_by_status[status] += 1

    def auction(self, label: str, currency: str, outcomes: list[BidOutcome]) -> None:
        """A response with bids went through the auction."""
        self.bids += 1
        traffic = self._traffic(label)
        traffic.bids += 1
        self.imps_bid += len({o.bid.impid for o in outcomes})
        if any(o.won for o in outcomes):
            traffic.wins += 1
        for outcome in outcomes:
            self.losses[outcome.loss] += 1
            if outcome.problems:
                self.invalid_bids += 1
                if len(self.invalid_examples) < EXAMPLES_KEPT:
                    self.invalid_examples.append("; ".join(outcome.problems))
            won_usd = self.usd(outcome.price or 0.0, currency) / 1000 if outcome.won else 0.0
            self.imps_won += outcome.won
            self.won_usd += won_usd
            for tally in self._tallies(outcome):
                tally.bids += 1
                tally.wins += outcome.won
                tally.won_usd += won_usd

    def rendered(self, outcome: BidOutcome, currency: str) -> None:
        """A won ad rendered: the impression is billed at the clearing price."""
        spend = self.usd(outcome.price or 0.0, currency) / 1000
        self.renders += 1
        self.spend_usd += spend
        for tally in self._tallies(outcome):
            tally.impressions += 1
            tally.spend_usd += spend

    def clicked(self, outcome: BidOutcome) -> None:
        """A rendered ad was clicked."""
        self.clicks += 1
        for tally in self._tallies(outcome):
            tally.clicks += 1

    def notice(self, kind: str, outcome: str) -> None:
        """A notice or tracker of ``kind`` was fetched with ``outcome`` (a status or failure)."""
        self.notices[kind, outcome] += 1

    def usd(self, amount: float, currency: str) -> float:
        """``amount`` of ``currency`` in dollars (unchanged when the rate is unknown)."""
        return amount / self.rates.get(currency, 1.0)

    def latency_ms(self, percentile: float) -> float:
        """The latency at ``percentile`` (0-100), in milliseconds."""
        value: int = self.latency.get_value_at_percentile(percentile)
        return value / 1000

    def _traffic(self, label: str) -> PlacementTally:
        traffic = self.by_traffic.get(label)
        if traffic is None:
            traffic = self.by_traffic[label] = PlacementTally()
        return traffic

    def _tallies(self, outcome: BidOutcome) -> list[Tally]:
        bid = outcome.bid
        keys = [
            (self.by_campaign, bid.cid or "(no cid)"),
            (self.by_creative, bid.crid or "(no crid)"),
            (self.by_advertiser, (bid.adomain or ["(no adomain)"])[0]),
            (self.by_seat, outcome.seat or "(no seat)"),
        ]
        if bid.dealid:
            keys.append((self.by_deal, bid.dealid))
        tallies = []
        for table, key in keys:
            tally = table.get(key)
            if tally is None:
                tally = table[key] = Tally()
            tallies.append(tally)
        return tallies
