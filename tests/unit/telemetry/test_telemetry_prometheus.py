"""Prometheus exposition: parses, carries the task's tags on every series, multiprocess mode."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from openbid.telemetry.metrics import LATENCY_BOUNDS_S, BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter, _add_buckets

TAGS = {"ecs_cluster": "bidders", "task_version": "42", "deployment": "canary"}


def _samples(text: str) -> dict[str, list[Sample]]:
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        found.setdefault(family.name, []).extend(family.samples)
    return found


def _driven() -> BidderMetrics:
    metrics = BidderMetrics()
    for _ in range(3):
        metrics.requests.inc("default", 200)
    metrics.requests.inc("default", 204)
    metrics.bids.inc("default")
    metrics.no_bids.inc("below_floor")
    metrics.deadline_misses.inc()
    metrics.errors.inc("bad_request")
    metrics.notices.inc("win", "ok")
    metrics.spend.add(2_500_000, "USD")
    metrics.event_drops.add(2)
    metrics.catalog_reloads.inc("ok")
    metrics.pacing_throttle.set(0.25, "li-1")
    metrics.event_queue_depth.set(7)
    metrics.catalog_info.replace(1, "v1")
    metrics.latency.observe(0.0012)
    metrics.latency.observe(0.02)
    return metrics


def test_every_metric_parses_with_the_tags() -> None:
    metrics = _driven()
    text = PrometheusExporter(metrics, TAGS).render()[0].decode()
    samples = _samples(text)

    names = {
        "openbid_requests", "openbid_bids", "openbid_no_bids", "openbid_deadline_misses",
        "openbid_errors", "openbid_notices", "openbid_spend_micros", "openbid_event_drops",
        "openbid_catalog_reloads", "openbid_pacing_throttle", "openbid_event_queue_depth",
        "openbid_catalog_info", "openbid_request_duration_seconds", "process_cpu_seconds",
    }  # fmt: skip
    assert names <= samples.keys()
    for family_samples in samples.values():
        for sample in family_samples:
            assert sample.labels.items() >= TAGS.items(), sample
    requests = {
        s.labels["status"]: s.value for s in samples["openbid_requests"] if s.name.endswith("total")
    }
    assert requests == {"200": 3.0, "204": 1.0}
    assert [s.value for s in samples["openbid_spend_micros"]] == [2_500_000.0]
    buckets = {
        s.labels["le"]: s.value
        for s in samples["openbid_request_duration_seconds"]
        if s.name.endswith("_bucket")
    }
    assert (buckets["0.001"], buckets["0.002"], buckets["+Inf"]) == (0, 1, 2)


def test_increments_after_a_render_are_added_not_repeated() -> None:
    metrics = _driven()
    exporter = PrometheusExporter(metrics, TAGS)
    exporter.render()
    metrics.requests.inc("default", 200)
    metrics.latency.observe(0.0012)
    metrics.catalog_info.replace(1, "v2")
    samples = _samples(exporter.render()[0].decode())
    ok = [s for s in samples["openbid_requests"] if s.labels["status"] == "200"]
    assert [s.value for s in ok if s.name.endswith("total")] == [4.0]
    count = [s for s in samples["openbid_request_duration_seconds"] if s.name.endswith("_count")]
    assert [s.value for s in count] == [3.0]
    assert [s.labels["version"] for s in samples["openbid_catalog_info"]] == ["v2"]


def test_bulk_bucket_add_matches_observe() -> None:
    values = [0.0004, 0.001, 0.0011, 0.02, 0.3, 2.0]
    one_by_one = Histogram("h", "h", buckets=LATENCY_BOUNDS_S, registry=CollectorRegistry())
    for value in values:
        one_by_one.observe(value)
    metrics = BidderMetrics()
    for value in values:
        metrics.latency.observe(value)
    bulk = Histogram("h", "h", buckets=LATENCY_BOUNDS_S, registry=CollectorRegistry())
    _add_buckets(bulk, metrics.latency.buckets, metrics.latency.sum)
    (bulk_family,) = bulk.collect()
    (reference,) = one_by_one.collect()
    assert bulk_family.samples == reference.samples


WORKER = textwrap.dedent(
    """
    import sys
    from openbid.telemetry.metrics import BidderMetrics
    from openbid.telemetry.prometheus import PrometheusExporter

    metrics = BidderMetrics()
    exporter = PrometheusExporter(metrics, {"deployment": "stable"}, sys.argv[1])
    for _ in range(int(sys.argv[2])):
        metrics.requests.inc("default", 200)
        metrics.latency.observe(0.004)
    metrics.event_queue_depth.set(int(sys.argv[2]))
    exporter.sync()
    if sys.argv[3] == "render":
        sys.stdout.write(exporter.render()[0].decode())
    """
)


def test_multiprocess_mode_merges_every_worker(tmp_path: Path) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    def worker(count: int, action: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(directory), str(count), action],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    worker(2, "sync")
    text = worker(3, "render")

    samples = _samples(text)
    requests = [s for s in samples["openbid_requests"] if s.name.endswith("total")]
    assert [s.value for s in requests] == [5.0]
    assert all(s.labels["deployment"] == "stable" for s in requests)
    count = [s for s in samples["openbid_request_duration_seconds"] if s.name.endswith("_count")]
    assert [s.value for s in count] == [5.0]
    assert list(directory.iterdir())
