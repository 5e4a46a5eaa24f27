"""DogStatsD over UDP: a receiver on loopback sees every metric, aggregated, with the ECS tags."""

from collections.abc import Iterator

import pytest
from telemetry_fixtures import StatsdReceiver, ecs_documents, fake_metadata_endpoint, parse_line

from openbid.telemetry.ecs import METADATA_ENV
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.statsd import LATENCY_SAMPLES, StatsdExporter, statsd_address, statsd_client
from openbid.telemetry.tags import runtime_tags


@pytest.fixture
def receiver() -> Iterator[StatsdReceiver]:
    receiving = StatsdReceiver()
    yield receiving
    receiving.close()


def test_every_metric_arrives_with_the_ecs_tags(receiver: StatsdReceiver) -> None:
    with fake_metadata_endpoint(ecs_documents()) as uri:
        tags = runtime_tags({METADATA_ENV: uri, "OPENBID_DEPLOYMENT": "canary"})
    metrics = BidderMetrics()
    address = statsd_address(f"udp://127.0.0.1:{receiver.port}", {})
    assert address is not None
    exporter = StatsdExporter(metrics, statsd_client(address, tags))
    for _ in range(100):
        metrics.requests.inc("default", 200)
        metrics.latency.observe(0.003)
    metrics.bids.inc("default")
    metrics.no_bids.inc("below_floor")
    metrics.deadline_misses.inc()
    metrics.errors.inc("bad_request")
    metrics.notices.inc("win", "ok")
    metrics.spend.add(1_500_000, "USD")
    metrics.event_drops.inc()
    metrics.catalog_reloads.inc("failed")
    metrics.pacing_throttle.set(0.5, "li-1")
    metrics.event_queue_depth.set(3)
    metrics.catalog_info.replace(1, "v7")

    exporter.flush()
    lines = receiver.lines()

    parsed = [parse_line(line) for line in lines]
    by_name: dict[str, list[tuple[str, str, dict[str, str]]]] = {}
    for name, value, kind, line_tags in parsed:
        by_name.setdefault(name, []).append((value, kind, line_tags))
        assert line_tags.items() >= tags.items(), line_tags
        assert line_tags["ecs_cluster"] == "bidders"
        assert line_tags["deployment"] == "canary"
    expected = {
        "openbid.requests", "openbid.bids", "openbid.no_bids", "openbid.deadline_misses",
        "openbid.errors", "openbid.notices", "openbid.spend_micros", "openbid.event_drops",
        "openbid.catalog_reloads", "openbid.pacing_throttle", "openbid.event_queue_depth",
        "openbid.catalog_info", "openbid.request_duration_seconds",
        "openbid.process_cpu_seconds_total",
    }  # fmt: skip
    assert expected <= by_name.keys()
    assert by_name["openbid.requests"] == [
        ("100", "c", {**tags, "exchange": "default", "status": "200"})
    ]
    assert by_name["openbid.spend_micros"][0][:2] == ("1500000", "c")
    assert by_name["openbid.pacing_throttle"][0][2]["line_item"] == "li-1"
    distribution = by_name["openbid.request_duration_seconds"]
    assert {kind for _, kind, _ in distribution} == {"d"}
    assert len(distribution) == 100  # every latency while under the sample size
    assert len(lines) < 150  # aggregated: one count line, not 100


def test_counters_send_only_what_they_grew(receiver: StatsdReceiver) -> None:
    metrics = BidderMetrics()
    exporter = StatsdExporter(metrics, statsd_client(("127.0.0.1", receiver.port), {}))
    metrics.requests.inc("default", 204)
    exporter.flush()
    metrics.requests.inc("default", 204)
    metrics.requests.inc("default", 204)
    exporter.flush()
    exporter.flush()
    counts = [
        parse_line(line)[1] for line in receiver.lines() if line.startswith("openbid.requests")
    ]
    assert counts == ["1", "2"]


def test_latencies_are_sampled_per_flush(receiver: StatsdReceiver) -> None:
    metrics = BidderMetrics()
    exporter = StatsdExporter(metrics, statsd_client(("127.0.0.1", receiver.port), {}))
    for index in range(5000):
        metrics.latency.observe(index / 1e6)
    exporter.close()
    sent = [line for line in receiver.lines() if line.startswith("openbid.request_duration")]
    assert len(sent) == metrics.latency.keep == LATENCY_SAMPLES
    assert metrics.latency.samples == []


def test_address_from_flag_or_environment() -> None:
    assert statsd_address(None, {}) is None
    assert statsd_address(None, {"DD_AGENT_HOST": "127.0.0.1"}) == ("127.0.0.1", 8125)
    assert statsd_address(None, {"DD_AGENT_HOST": "h", "DD_DOGSTATSD_PORT": "9125"}) == ("h", 9125)
    assert statsd_address("udp://127.0.0.1:18125", {"DD_AGENT_HOST": "x"}) == ("127.0.0.1", 18125)
    with pytest.raises(ValueError, match="udp://"):
        statsd_address("tcp://h:1", {})
