"""Datadog: the v2 scalar query API (``POST /api/v2/query/scalar``), one value per time slice.

A scalar query gives one number per group over its time range, so the window is cut into
``slices`` equal parts and each part queried for each side: the samples are the values of the
metric's formula, slice by slice (and group by group if the query groups). ``$scope`` in the
queries becomes the side's tags. Keys come from the environment variables the config names.
"""

import itertools
import os
from datetime import datetime
from string import Template
from typing import Any

import httpx2
import msgspec

from openbid.deploy.analysis.config import DatadogQuery, DatadogSource, MetricSpec
from openbid.deploy.analysis.model import Samples, Window
from openbid.deploy.errors import ConfigError, MetricsError


class _Column(msgspec.Struct):
    name: str = ""
    type: str = ""
    values: list[Any] = msgspec.field(default_factory=list)
    """Numbers (or null) in a number column; tag lists in a group column."""


class _Attributes(msgspec.Struct):
    columns: list[_Column] = msgspec.field(default_factory=list)


class _Data(msgspec.Struct):
    attributes: _Attributes


class _Answer(msgspec.Struct):
    data: _Data | None = None
    errors: str | list[str] | None = None


def _milliseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def slices(window: Window, count: int) -> list[tuple[int, int]]:
    """``count`` consecutive (from, to) ranges in milliseconds covering the window."""
    start, end = _milliseconds(window.start), _milliseconds(window.end)
    edges = [start + (end - start) * i // count for i in range(count + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def scalar_request(query: DatadogQuery, scope: str, start: int, end: int) -> dict[str, Any]:
    """The body of one scalar query of ``query`` for one side and one slice."""
    return {
        "data": {
            "type": "scalar_request",
            "attributes": {
                "from": start,
                "to": end,
                "queries": [
                    {
                        "data_source": "metrics",
                        "name": name,
                        "query": Template(text).safe_substitute(scope=scope),
                        "aggregator": query.aggregator,
                    }
                    for name, text in query.queries.items()
                ],
                "formulas": [{"formula": query.formula}],
            },
        }
    }


class DatadogProvider:
    """Reads metrics from Datadog's scalar query API."""

    name = "datadog"

    def __init__(self, source: DatadogSource, client: httpx2.Client | None = None) -> None:
        self._source = source
        api_key = os.environ.get(source.api_key_env, "")
        app_key = os.environ.get(source.app_key_env, "")
        if not (api_key and app_key):
            raise ConfigError(
                f"the Datadog provider needs {source.api_key_env} and {source.app_key_env} set"
            )
        self._client = client or httpx2.Client(
            base_url=source.url,
            timeout=source.timeout.seconds,
            headers={"DD-API-KEY": api_key, "DD-APPLICATION-KEY": app_key},
        )

    def fetch(self, metric: MetricSpec, window: Window) -> Samples:
        """Both sides' samples over ``window``, one per slice."""
        query = metric.datadog
        if query is None:
            raise ConfigError(f"metric {metric.name} has no datadog query")
        sides = (self._source.canary, self._source.baseline)
        ranges = slices(window, self._source.slices)
        canary, baseline = (
            [v for start, end in ranges for v in self._scalar(metric, query, scope, start, end)]
            for scope in sides
        )
        return Samples.of(canary, baseline)

    def _scalar(
        self, metric: MetricSpec, query: DatadogQuery, scope: str, start: int, end: int
    ) -> list[float]:
        url = self._source.url
        body = msgspec.json.encode(scalar_request(query, scope, start, end))
        try:
            response = self._client.post(
                "/api/v2/query/scalar", content=body, headers={"Content-Type": "application/json"}
            )
        except httpx2.HTTPError as error:
            raise MetricsError(f"cannot reach Datadog at {url}: {error}") from None
        try:
            answer = msgspec.json.decode(response.content, type=_Answer)
        except msgspec.DecodeError:
            raise MetricsError(
                f"Datadog at {url} answered {response.status_code} with no scalar response to "
                f"the query of {metric.name}"
            ) from None
        if response.status_code != 200 or answer.data is None:
            errors = answer.errors
            said = "; ".join(errors) if isinstance(errors, list) else errors or "no data"
            raise MetricsError(
                f"Datadog refused the query of {metric.name} ({response.status_code}): {said}"
            )
        numbers = [c for c in answer.data.attributes.columns if c.type == "number"]
        if not numbers:
            return []
        return [
            float(v)
            for v in numbers[-1].values
            if isinstance(v, int | float) and not isinstance(v, bool)
        ]
