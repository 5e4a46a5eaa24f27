"""Prometheus: a range query (``/api/v1/query_range``) per side, one sample per step.

``$scope`` in the metric's PromQL becomes the canary's or the baseline's label matchers and
``$rate`` the rate interval. Every series a query returns is pooled into the side's samples, so
a query may keep one series per task (``by (task_id)``) or sum them into one.
"""

from string import Template

import httpx2
import msgspec

from openbid.deploy.analysis.config import MetricSpec, PrometheusSource
from openbid.deploy.analysis.model import Samples, Window
from openbid.deploy.errors import ConfigError, MetricsError

Points = list[tuple[float, float]]
"""Samples with their times (epoch seconds)."""


class _Series(msgspec.Struct):
    values: list[tuple[float, str]] = msgspec.field(default_factory=list)


class _Data(msgspec.Struct):
    resultType: str  # noqa: N815 (the API's name)
    result: list[_Series]


class _Answer(msgspec.Struct):
    status: str
    data: _Data | None = None
    error: str = ""
    errorType: str = ""  # noqa: N815 (the API's name)


def _number(text: str) -> float:
    """A sample value as Prometheus writes it (``NaN`` and ``+Inf`` included)."""
    return float(text)


def promql_duration(seconds: float) -> str:
    """Seconds as a PromQL duration (whole milliseconds)."""
    return f"{max(1, round(seconds * 1000))}ms"


class PrometheusProvider:
    """Reads metrics from a Prometheus server's HTTP API."""

    name = "prometheus"

    def __init__(self, source: PrometheusSource, client: httpx2.Client | None = None) -> None:
        self._source = source
        self._client = client or httpx2.Client(
            base_url=source.url, timeout=source.timeout.seconds, headers=source.headers
        )

    def query(self, metric: MetricSpec, scope: str) -> str:
        """The metric's PromQL for one side."""
        if metric.prometheus is None:
            raise ConfigError(f"metric {metric.name} has no prometheus query")
        rate = promql_duration(self._source.rate_interval.seconds)
        return Template(metric.prometheus).safe_substitute(scope=scope, rate=rate)

    def fetch(self, metric: MetricSpec, window: Window) -> Samples:
        """Both sides' samples over ``window``."""
        canary, baseline = self.timeline(metric, window)
        return Samples.of([value for _, value in canary], [value for _, value in baseline])

    def timeline(self, metric: MetricSpec, window: Window) -> tuple[Points, Points]:
        """Both sides' samples over ``window`` with their times (canary, then baseline)."""
        return (
            self._range(metric, self.query(metric, self._source.canary), window),
            self._range(metric, self.query(metric, self._source.baseline), window),
        )

    def _range(self, metric: MetricSpec, query: str, window: Window) -> Points:
        params = {
            "query": query,
            "start": f"{window.start.timestamp():.3f}",
            "end": f"{window.end.timestamp():.3f}",
            "step": f"{window.step:g}",
        }
        url = self._source.url
        try:
            response = self._client.get("/api/v1/query_range", params=params)
        except httpx2.HTTPError as error:
            raise MetricsError(f"cannot reach Prometheus at {url}: {error}") from None
        try:
            answer = msgspec.json.decode(response.content, type=_Answer)
        except msgspec.DecodeError:
            raise MetricsError(
                f"Prometheus at {url} answered {response.status_code} with no query result "
                f"(is it a Prometheus server?)"
            ) from None
        if answer.status != "success" or answer.data is None:
            raise MetricsError(
                f"Prometheus refused the query of {metric.name} ({answer.errorType or 'error'}): "
                f"{answer.error or response.status_code} — query: {query}"
            )
        if answer.data.resultType != "matrix":
            raise MetricsError(
                f"the query of {metric.name} gave a {answer.data.resultType}, not a range of "
                f"samples: {query}"
            )
        return [(t, _number(v)) for series in answer.data.result for t, v in series.values]
