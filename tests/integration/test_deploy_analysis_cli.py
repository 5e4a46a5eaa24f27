"""``openbid deploy analyze`` end to end against a Prometheus stand-in on loopback: the packaged
config, a table or JSON, an exit code per verdict, and readable errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from openbid.cli import app

from .fake_http import fake_server
from .fake_prometheus import BASELINE, bidder_prometheus

pytestmark = pytest.mark.timeout(60)
runner = CliRunner()


def analyze(prometheus_url: str, *args: str) -> Result:
    result = runner.invoke(
        app,
        ["deploy", "analyze", *args],
        env={"OPENBID_PROMETHEUS_URL": prometheus_url, "COLUMNS": "200"},
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_a_good_canary_passes_with_a_table() -> None:
    with fake_server(bidder_prometheus()) as prometheus:
        result = analyze(prometheus.url)
    assert result.exit_code == 0, result.output
    for name in BASELINE:
        assert name in result.output
    assert "PASS score 100" in result.output
    assert len(prometheus.requests) == 2 * len(BASELINE)


@pytest.mark.parametrize(
    ("metric", "factor"),
    [("error_rate", 3.0), ("p99_latency_seconds", 2.0), ("spend_per_mille_micros", 3.0)],
)
def test_a_bad_canary_fails_on_its_critical_metric(metric: str, factor: float) -> None:
    with fake_server(bidder_prometheus({metric: factor})) as prometheus:
        result = analyze(prometheus.url, "--json", "--window", "5m")
    assert result.exit_code == 3, result.output
    judgement = json.loads(result.stdout)
    assert judgement["verdict"] == "fail"
    assert judgement["reason"].startswith(f"critical metric failed: {metric} (higher:")
    classes = {m["name"]: m["classification"] for m in judgement["metrics"]}
    assert classes.pop(metric) == "high"
    assert set(classes.values()) == {"pass"}
    start, end = (judgement["window"][k] for k in ("start", "end"))
    assert start < end


def test_a_non_critical_failure_is_marginal() -> None:
    with fake_server(bidder_prometheus({"win_rate": 0.3})) as prometheus:
        result = analyze(prometheus.url)
    assert result.exit_code == 4, result.output
    assert "MARGINAL score 87.5" in result.output


def test_a_canary_without_traffic_is_inconclusive() -> None:
    with fake_server(bidder_prometheus(canary_present=False)) as prometheus:
        result = analyze(prometheus.url, "--json")
    assert result.exit_code == 5
    judgement = json.loads(result.stdout)
    assert judgement["verdict"] == "inconclusive"
    assert judgement["reason"].startswith("no data for critical metric: error_rate")


def test_prometheus_down_is_a_message_and_exit_1() -> None:
    with fake_server(bidder_prometheus()) as prometheus:
        url = prometheus.url
    result = analyze(url)
    assert result.exit_code == 1
    assert f"error: cannot reach Prometheus at {url}" in result.output


def test_a_bad_analysis_config_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "canary.yaml"
    path.write_text("provider: graphite\nmetrics: []\n")
    result = analyze("http://127.0.0.1:9", "--analysis", str(path))
    assert result.exit_code == 2
    assert f"error: {path}: Invalid enum value 'graphite' - at `$.provider`" in result.output


def test_a_bad_window_is_a_usage_error() -> None:
    result = analyze("http://127.0.0.1:9", "--window", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a duration" in result.output
