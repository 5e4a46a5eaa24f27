"""The metric providers against servers on loopback: a fake Prometheus HTTP API, a fake Datadog
scalar query API (answers shaped as Datadog's documented responses), CloudWatch on moto."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import msgspec
import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.deploy.analysis.config import (
    CloudWatchQuery,
    CloudWatchSource,
    CloudWatchStat,
    DatadogQuery,
    DatadogSource,
    Duration,
    MetricSpec,
    PrometheusSource,
)
from openbid.deploy.analysis.model import Direction, Samples, Window
from openbid.deploy.analysis.providers.cloudwatch import CloudWatchProvider
from openbid.deploy.analysis.providers.datadog import DatadogProvider
from openbid.deploy.analysis.providers.prometheus import PrometheusProvider
from openbid.deploy.errors import ConfigError, MetricsError

from .fake_http import Answer, Request, fake_server
from .moto_fixtures import CREDENTIALS, REGION, MotoServer

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef

pytestmark = pytest.mark.timeout(60)
END = datetime(2026, 11, 28, 12, 10, tzinfo=UTC)
WINDOW = Window(END - timedelta(minutes=10), END, 60.0)
ERRORS = MetricSpec(
    name="error_rate",
    direction=Direction.HIGHER_IS_WORSE,
    prometheus="sum(rate(openbid_errors_total{$scope}[$rate])) / "
    "sum(rate(openbid_requests_total{$scope}[$rate]))",
    datadog=DatadogQuery(
        queries={
            "a": "sum:openbid.errors{$scope}.as_count()",
            "b": "sum:openbid.requests{$scope}.as_count()",
        },
        formula="a / b",
    ),
    cloudwatch=CloudWatchQuery(
        value=CloudWatchStat(metric="HTTPCode_Target_5XX_Count", stat="Sum"),
        per=CloudWatchStat(metric="RequestCount", stat="Sum"),
    ),
)


def matrix(*series: list[str]) -> bytes:
    """A Prometheus range query answer with these series of values, one a minute."""
    start = WINDOW.start.timestamp()
    return json.dumps(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {"task_id": str(i)},
                        "values": [[start + 60 * n, v] for n, v in enumerate(s)],
                    }
                    for i, s in enumerate(series)
                ],
            },
        }
    ).encode()


def prometheus(url: str) -> PrometheusProvider:
    return PrometheusProvider(PrometheusSource(url=url, rate_interval=Duration(90.0)))


def test_prometheus_range_queries_per_side_pooling_series() -> None:
    def answer(request: Request) -> Answer:
        if 'deployment="canary"' in request.query["query"]:
            return 200, matrix(["0.5", "NaN", "0.25"])
        return 200, matrix(["0.125", "0.125"], ["+Inf", "0.0625"])

    with fake_server(answer) as server:
        samples = prometheus(server.url).fetch(ERRORS, WINDOW)
    assert samples == Samples((0.5, 0.25), (0.125, 0.125, 0.0625))
    canary, baseline = server.requests
    assert canary.path == baseline.path == "/api/v1/query_range"
    assert canary.query == {
        "query": 'sum(rate(openbid_errors_total{deployment="canary"}[90000ms])) / '
        'sum(rate(openbid_requests_total{deployment="canary"}[90000ms]))',
        "start": f"{WINDOW.start.timestamp():.3f}",
        "end": f"{END.timestamp():.3f}",
        "step": "60",
    }
    assert 'deployment="stable"' in baseline.query["query"]


def test_prometheus_refusing_a_query_says_why_and_what() -> None:
    body = {"status": "error", "errorType": "bad_data", "error": 'parse error: unexpected "}"'}

    def answer(_: Request) -> Answer:
        return 400, json.dumps(body).encode()

    with fake_server(answer) as server, pytest.raises(MetricsError) as raised:
        prometheus(server.url).fetch(ERRORS, WINDOW)
    message = str(raised.value)
    assert message.startswith(
        'Prometheus refused the query of error_rate (bad_data): parse error: unexpected "}"'
    )
    assert 'query: sum(rate(openbid_errors_total{deployment="canary"}' in message


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (404, b"<html>not here</html>", "answered 404 with no query result"),
        (
            200,
            b'{"status":"success","data":{"resultType":"vector","result":[]}}',
            "gave a vector, not a range of samples",
        ),
    ],
)
def test_prometheus_answers_that_are_not_ranges(status: int, body: bytes, message: str) -> None:
    with (
        fake_server(lambda _: (status, body)) as server,
        pytest.raises(MetricsError, match=message),
    ):
        prometheus(server.url).fetch(ERRORS, WINDOW)


def test_prometheus_unreachable() -> None:
    with fake_server(lambda _: (200, b"")) as server:
        url = server.url
    with pytest.raises(MetricsError, match=f"cannot reach Prometheus at {url}"):
        prometheus(url).fetch(ERRORS, WINDOW)


def scalar_answer(*values: float | None) -> bytes:
    """A Datadog scalar query answer whose formula column holds ``values`` (one per group)."""
    return json.dumps(
        {
            "data": {
                "type": "scalar_response",
                "attributes": {
                    "columns": [
                        {"name": "a", "type": "group", "values": [["task_id:1"]] * len(values)},
                        {
                            "name": "a / b",
                            "type": "number",
                            "values": list(values),
                            "meta": {"unit": None},
                        },
                    ]
                },
            }
        }
    ).encode()


@pytest.fixture
def datadog_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_API_KEY", "api-key")
    monkeypatch.setenv("DD_APP_KEY", "app-key")


@pytest.mark.usefixtures("datadog_keys")
def test_datadog_scalar_queries_slice_by_slice() -> None:
    def answer(request: Request) -> Answer:
        body = msgspec.json.decode(request.body)
        first = body["data"]["attributes"]["queries"][0]["query"]
        if "deployment:canary" in first:
            return 200, scalar_answer(0.5)
        return 200, scalar_answer(0.25, None)

    with fake_server(answer) as server:
        source = DatadogSource(url=server.url, slices=5)
        samples = DatadogProvider(source).fetch(ERRORS, WINDOW)
    assert samples == Samples((0.5,) * 5, (0.25,) * 5)
    assert len(server.requests) == 10
    request = server.requests[0]
    assert (request.method, request.path) == ("POST", "/api/v2/query/scalar")
    assert request.headers["dd-api-key"] == "api-key"
    assert request.headers["dd-application-key"] == "app-key"
    attributes = msgspec.json.decode(request.body)["data"]["attributes"]
    start = int(WINDOW.start.timestamp() * 1000)
    assert (attributes["from"], attributes["to"]) == (start, start + 120_000)
    assert attributes["queries"] == [
        {
            "data_source": "metrics",
            "name": "a",
            "query": "sum:openbid.errors{deployment:canary}.as_count()",
            "aggregator": "sum",
        },
        {
            "data_source": "metrics",
            "name": "b",
            "query": "sum:openbid.requests{deployment:canary}.as_count()",
            "aggregator": "sum",
        },
    ]
    assert attributes["formulas"] == [{"formula": "a / b"}]
    ends = [msgspec.json.decode(r.body)["data"]["attributes"]["to"] for r in server.requests[:5]]
    assert ends[-1] == int(END.timestamp() * 1000)


@pytest.mark.usefixtures("datadog_keys")
def test_datadog_refusing_says_why() -> None:
    def answer(_: Request) -> Answer:
        return 403, b'{"errors": ["Forbidden"]}'

    with fake_server(answer) as server, pytest.raises(MetricsError) as raised:
        DatadogProvider(DatadogSource(url=server.url)).fetch(ERRORS, WINDOW)
    assert str(raised.value) == "Datadog refused the query of error_rate (403): Forbidden"


def test_datadog_needs_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_API_KEY", raising=False)
    monkeypatch.setenv("DD_APP_KEY", "app-key")
    with pytest.raises(ConfigError, match="needs DD_API_KEY and DD_APP_KEY set"):
        DatadogProvider(DatadogSource())


@pytest.fixture(scope="module")
def moto_server() -> Iterator[MotoServer]:
    """A moto server for this module."""
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_url(moto_server: MotoServer) -> str:
    """The moto server's URL, its state emptied first (moto keeps one state per process)."""
    moto_server.reset()
    return moto_server.url


LOAD_BALANCER = "app/openbid-test/50dc6c495c0c9188"
GROUPS = {"canary": "targetgroup/canary/1", "stable": "targetgroup/stable/2"}


def test_cloudwatch_per_target_group_ratios_on_moto(
    moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_url)
    errors_per_minute = {"canary": [3, 4, 5], "stable": [1, 1, 2]}
    for side, group in GROUPS.items():
        dimensions: list[DimensionTypeDef] = [
            {"Name": "LoadBalancer", "Value": LOAD_BALANCER},
            {"Name": "TargetGroup", "Value": group},
        ]
        for minute, errors in enumerate(errors_per_minute[side]):
            at = WINDOW.start + timedelta(minutes=minute, seconds=10)
            client.put_metric_data(
                Namespace="AWS/ApplicationELB",
                MetricData=[
                    {
                        "MetricName": "RequestCount",
                        "Dimensions": dimensions,
                        "Timestamp": at,
                        "Value": 100,
                    },
                    {
                        "MetricName": "HTTPCode_Target_5XX_Count",
                        "Dimensions": dimensions,
                        "Timestamp": at,
                        "Value": errors,
                    },
                ],
            )
    source = CloudWatchSource(
        load_balancer=LOAD_BALANCER,
        canary_target_group=GROUPS["canary"],
        baseline_target_group=GROUPS["stable"],
    )
    samples = CloudWatchProvider(source, client).fetch(ERRORS, WINDOW)
    assert samples == Samples((0.03, 0.04, 0.05), (0.01, 0.01, 0.02))


def test_analyze_on_cloudwatch_fails_a_canary_with_more_5xx(
    moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("cloudwatch", region_name=REGION, endpoint_url=moto_url)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    errors = {"canary": 5.0, "stable": 0.0}
    for side, group in GROUPS.items():
        dimensions: list[DimensionTypeDef] = [
            {"Name": "LoadBalancer", "Value": LOAD_BALANCER},
            {"Name": "TargetGroup", "Value": group},
        ]
        for minute in range(1, 9):
            at = now - timedelta(minutes=minute, seconds=-5)
            client.put_metric_data(
                Namespace="AWS/ApplicationELB",
                MetricData=[
                    {"MetricName": name, "Dimensions": dimensions, "Timestamp": at, "Value": value}
                    for name, value in (
                        ("RequestCount", 100.0),
                        ("HTTPCode_Target_5XX_Count", errors[side] + minute % 2),
                    )
                ],
            )
    config = tmp_path / "canary.yaml"
    config.write_text(
        f"provider: cloudwatch\nstep: 1m\nwindow: 10m\n"
        f"cloudwatch: {{load_balancer: {LOAD_BALANCER}, canary_target_group: {GROUPS['canary']}, "
        f"baseline_target_group: {GROUPS['stable']}}}\n"
        "metrics:\n  - name: error_rate\n    direction: higher_is_worse\n    critical: true\n"
        "    cloudwatch:\n      value: {metric: HTTPCode_Target_5XX_Count, stat: Sum}\n"
        "      per: {metric: RequestCount, stat: Sum}\n"
    )
    result = CliRunner().invoke(
        app,
        ["deploy", "analyze", "--analysis", str(config), "--json", "--endpoint-url", moto_url],
    )
    assert result.exit_code == 3, result.output
    judgement = json.loads(result.stdout)
    assert judgement["provider"] == "cloudwatch"
    (errors_metric,) = judgement["metrics"]
    assert errors_metric["classification"] == "high"
    assert errors_metric["canary"]["points"] == errors_metric["baseline"]["points"] == 8
