"""DogStatsD export of :class:`BidderMetrics`: aggregated values over UDP, never one per request.

Each ``flush()`` (every few seconds, off the bid path) sends counters as counts of what they grew
by since the last flush, gauges as they stand, a uniform sample of the interval's latencies as a
distribution (Datadog computes percentiles across tasks from it; exact counts come from
``openbid.requests``), and the process figures; the task's tags are the client's constant tags.
The client buffers lines into as few datagrams as fit, and sends them at the end of a flush.
"""

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from datadog.dogstatsd.base import DogStatsd
from prometheus_client import ProcessCollector

from openbid.telemetry.aggregates import Labels, MetricInfo
from openbid.telemetry.metrics import BidderMetrics

log = logging.getLogger("openbid.telemetry")

PREFIX = "openbid."
DEFAULT_PORT = 8125
LATENCY_SAMPLES = 512  # raw latencies kept per flush interval for the distribution
MAX_DATAGRAM = 8192  # the agent's default buffer; the agent is a sidecar, no MTU in the way


def statsd_address(url: str | None, env: Mapping[str, str]) -> tuple[str, int] | None:
    """Where DogStatsD listens: ``url`` (``udp://host:port``), else ``DD_AGENT_HOST`` and
    ``DD_DOGSTATSD_PORT``; None when neither is given. Raises ValueError for a bad URL."""
    if url:
        parts = urlsplit(url)
        if parts.scheme != "udp" or not parts.hostname:
            raise ValueError(f"a DogStatsD URL is udp://HOST:PORT, not {url!r}")
        return parts.hostname, parts.port or DEFAULT_PORT
    host = env.get("DD_AGENT_HOST", "").strip()
    if not host:
        return None
    return host, int(env.get("DD_DOGSTATSD_PORT") or DEFAULT_PORT)


def statsd_client(address: tuple[str, int], tags: Mapping[str, str]) -> DogStatsd:
    """A buffering DogStatsD client with ``tags`` on every metric, flushed only by us."""
    host, port = address
    return DogStatsd(
        host=host,
        port=port,
        constant_tags=[f"{name}:{value}" for name, value in tags.items()],
        disable_buffering=False,
        max_buffer_size=MAX_DATAGRAM,
        flush_interval=0,  # no flush thread of its own: StatsdExporter.flush sends
        disable_telemetry=True,
        origin_detection_enabled=False,
    )


def _tags(info: MetricInfo, labels: Labels) -> list[str] | None:
    return [f"{name}:{value}" for name, value in zip(info.labels, labels, strict=True)] or None


class StatsdExporter:
    """Sends the bidder's metrics to DogStatsD, aggregated per flush."""

    def __init__(self, metrics: BidderMetrics, client: DogStatsd) -> None:
        self._metrics = metrics
        self._client = client
        self._sent: dict[tuple[str, Labels], int] = {}
        self._process = ProcessCollector(registry=None)
        for histogram in metrics.histograms():
            histogram.keep = LATENCY_SAMPLES

    def flush(self) -> None:
        """Send what changed since the last flush, as a few datagrams."""
        client, sent = self._client, self._sent
        for counter in self._metrics.counters():
            info = counter.info
            for labels, value in counter.values.items():
                key = (info.name, labels)
                delta = value - sent.get(key, 0)
                if delta:
                    client.increment(PREFIX + info.name, delta, tags=_tags(info, labels))
                    sent[key] = value
        for gauge in self._metrics.gauges():
            for labels, level in gauge.values.items():
                client.gauge(PREFIX + gauge.info.name, level, tags=_tags(gauge.info, labels))
        for histogram in self._metrics.histograms():
            for sample in histogram.take_samples():
                client.distribution(PREFIX + histogram.info.name, sample)
        for family in self._process.collect():
            for figure in family.samples:
                client.gauge(PREFIX + figure.name, figure.value)
        if not client.flush():
            log.debug("DogStatsD send failed")

    def close(self) -> None:
        """Send what is left and close the socket (at shutdown)."""
        self.flush()
        self._client.close_socket()
