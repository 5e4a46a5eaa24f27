"""openbid's metrics: the one object the bid path and its neighbours report to.

Every call is an in-process dict or list update (about 0.15 µs, see
``bench/telemetry_overhead.py``); the exporters (:mod:`openbid.telemetry.prometheus`,
:mod:`openbid.telemetry.statsd`) read these aggregates in the background.
"""

from openbid.telemetry.aggregates import LocalCounter, LocalGauge, LocalHistogram, MetricInfo

# Upper bounds in seconds, chosen in milliseconds for a world of 10-100 ms tmax: fine below
# 10 ms where the bidder itself should be, coarser up to the longest tmax exchanges send.
LATENCY_BOUNDS_S = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
    0.15, 0.25, 0.5,
)  # fmt: skip
MAX_THROTTLED_LINE_ITEMS = 200  # series of the per-line-item pacing gauge, at most


class BidderMetrics:
    """The bidder's counters, gauges and latency histogram, as attributes to bump directly:
    ``metrics.requests.inc(exchange, status)``, ``metrics.latency.observe(seconds)``."""

    def __init__(self) -> None:
        self.requests = LocalCounter(
            MetricInfo("requests", "Bid requests answered.", ("exchange", "status"))
        )
        self.bids = LocalCounter(
            MetricInfo("bids", "Bids made (one per impression).", ("exchange",))
        )
        self.no_bids = LocalCounter(
            MetricInfo("no_bids", "Bid requests answered without a bid.", ("reason",))
        )
        self.deadline_misses = LocalCounter(
            MetricInfo("deadline_misses", "Requests whose deadline passed before the answer.")
        )
        self.errors = LocalCounter(MetricInfo("errors", "Errors, by kind.", ("kind",)))
        self.notices = LocalCounter(
            MetricInfo("notices", "Win/billing/loss/impression/click notices.", ("type", "outcome"))
        )
        self.bid_price = LocalCounter(
            MetricInfo(
                "bid_price_micros",
                "Sum of bid prices in micros of the response currency (mean: over bids).",
                ("currency",),
            )
        )
        self.spend = LocalCounter(
            MetricInfo("spend_micros", "Spend in micros of the currency.", ("currency",))
        )
        self.event_drops = LocalCounter(
            MetricInfo("event_drops", "Events dropped because the event queue was full.")
        )
        self.catalog_reloads = LocalCounter(
            MetricInfo("catalog_reloads", "Catalog reloads, by outcome (ok, failed).", ("outcome",))
        )
        self.pacing_throttle = LocalGauge(
            MetricInfo(
                "pacing_throttle",
                "Probability an evenly paced line item bids when eligible (1: not held back).",
                ("line_item",),
            ),
            max_series=MAX_THROTTLED_LINE_ITEMS,
        )
        self.event_queue_depth = LocalGauge(
            MetricInfo("event_queue_depth", "Events waiting to be written.")
        )
        self.load_shed_fraction = LocalGauge(
            MetricInfo(
                "load_shed_fraction",
                "Share of bid requests answered with a no-bid, undecoded, because the bidder "
                "is saturated (0: none).",
            )
        )
        self.catalog_info = LocalGauge(
            MetricInfo("catalog_info", "The catalog version in service (value 1).", ("version",))
        )
        self.latency = LocalHistogram(
            MetricInfo("request_duration_seconds", "Time from a request's arrival to its answer."),
            LATENCY_BOUNDS_S,
        )

    def counters(self) -> tuple[LocalCounter, ...]:
        """Every counter, for exporters."""
        return (
            self.requests, self.bids, self.no_bids, self.deadline_misses, self.errors,
            self.notices, self.bid_price, self.spend, self.event_drops, self.catalog_reloads,
        )  # fmt: skip

    def gauges(self) -> tuple[LocalGauge, ...]:
        """Every gauge, for exporters."""
        return (
            self.pacing_throttle, self.event_queue_depth, self.load_shed_fraction,
            self.catalog_info,
        )  # fmt: skip

    def histograms(self) -> tuple[LocalHistogram, ...]:
        """Every histogram, for exporters."""
        return (self.latency,)
