"""The in-process aggregates the bid path bumps."""

import asyncio

from openbid.telemetry.aggregates import LocalGauge, LocalHistogram, MetricInfo
from openbid.telemetry.flush import export_every
from openbid.telemetry.metrics import BidderMetrics


def test_counters_count_per_label_set() -> None:
    metrics = BidderMetrics()
    metrics.requests.inc("default", 200)
    metrics.requests.inc("default", 200)
    metrics.requests.inc("x", 204)
    metrics.spend.add(10, "USD")
    assert metrics.requests.values == {("default", 200): 2, ("x", 204): 1}
    assert metrics.spend.values == {("USD",): 10}


def test_gauge_series_are_capped() -> None:
    gauge = LocalGauge(MetricInfo("g", "g", ("line_item",)), max_series=2)
    gauge.set(0.1, "a")
    gauge.set(0.2, "b")
    gauge.set(0.3, "c")
    gauge.set(0.4, "a")
    assert gauge.values == {("a",): 0.4, ("b",): 0.2}
    assert gauge.dropped == 1
    gauge.forget("a")
    gauge.replace(1, "v")
    assert gauge.values == {("v",): 1}


def test_histogram_buckets_are_inclusive_upper_bounds() -> None:
    histogram = LocalHistogram(MetricInfo("h", "h"), (0.001, 0.01))
    for value in (0.0005, 0.001, 0.002, 0.01, 5):
        histogram.observe(value)
    assert histogram.buckets == [2, 2, 1]
    assert histogram.count == 5
    assert histogram.samples == []  # keep is 0: no sample


def test_histogram_sample_is_bounded_and_restarts() -> None:
    histogram = LocalHistogram(MetricInfo("h", "h"), (1.0,), keep=10)
    for value in range(1000):
        histogram.observe(float(value))
    sample = histogram.take_samples()
    assert len(sample) == 10
    assert max(sample) > 100  # later values get in too
    histogram.observe(1.0)
    assert histogram.take_samples() == [1.0]


def test_exports_run_every_interval_and_once_when_cancelled() -> None:
    calls: list[str] = []

    def failing() -> None:
        raise RuntimeError("agent gone")

    async def scenario() -> None:
        task = asyncio.create_task(export_every(0.01, [failing, lambda: calls.append("x")]))
        await asyncio.sleep(0.055)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert len(calls) >= 4
