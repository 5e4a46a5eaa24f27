"""The analysis config: the packaged default and the example load; mistakes are named."""

from pathlib import Path

import pytest

from openbid.deploy.analysis.config import (
    DEFAULT_ANALYSIS,
    MannWhitneyJudge,
    ProviderName,
    ThresholdJudge,
    load_analysis,
)
from openbid.deploy.analysis.durations import format_duration, parse_duration
from openbid.deploy.analysis.model import Direction
from openbid.deploy.errors import ConfigError
from openbid.deploy.templating import Lookups

ROOT = Path(__file__).resolve().parents[3]
METRICS = {
    "error_rate",
    "deadline_miss_rate",
    "p99_latency_seconds",
    "bid_rate",
    "mean_bid_price_micros",
    "win_rate",
    "spend_per_mille_micros",
    "cpu_seconds_per_request",
}
MINIMAL = (
    "provider: prometheus\nmetrics:\n  - {name: errors, direction: higher_is_worse, "
    "prometheus: 'x'}\n"
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "canary.yaml"
    path.write_text(text)
    return path


def test_the_default_compares_every_metric_on_prometheus() -> None:
    config = load_analysis(None, Lookups())
    assert config.provider is ProviderName.PROMETHEUS
    assert {m.name for m in config.measured()} == METRICS
    assert config.prometheus.url == "http://127.0.0.1:9090"
    assert (config.window.seconds, config.step.seconds, config.interval.seconds) == (600, 30, 60)
    critical = {m.name for m in config.metrics if m.critical}
    assert critical == {
        "error_rate",
        "deadline_miss_rate",
        "p99_latency_seconds",
        "spend_per_mille_micros",
    }
    assert all(isinstance(m.judge, MannWhitneyJudge) for m in config.metrics)


def test_the_default_reads_the_prometheus_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENBID_PROMETHEUS_URL", "http://127.0.0.1:19090")
    assert load_analysis(DEFAULT_ANALYSIS, Lookups()).prometheus.url == "http://127.0.0.1:19090"


def test_the_example_reads_names_from_ssm_and_can_switch_provider() -> None:
    parameters = {
        "/openbid/prod/cluster": "openbid-prod",
        "/openbid/prod/load-balancer-full-name": "app/openbid-prod/abc",
        "/openbid/prod/canary-target-group-full-name": "targetgroup/canary/1",
        "/openbid/prod/stable-target-group-full-name": "targetgroup/stable/2",
    }
    lookups = Lookups(parameters.__getitem__)
    config = load_analysis(ROOT / "infra" / "canary.yaml", lookups)
    assert config.provider is ProviderName.DATADOG
    assert config.datadog.canary == "deployment:canary,ecs_cluster:openbid-prod"
    assert {m.name for m in config.measured()} == METRICS
    switched = load_analysis(ROOT / "infra" / "canary.yaml", lookups, ProviderName.CLOUDWATCH)
    assert switched.cloudwatch is not None
    assert switched.cloudwatch.baseline_target_group == "targetgroup/stable/2"
    assert {m.name for m in switched.measured()} == {"error_rate", "p99_latency_seconds"}
    assert len(switched.unmeasured()) == 6


def test_a_threshold_judge_with_bounds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "provider: prometheus\nmetrics:\n"
        "  - name: misses\n    direction: higher_is_worse\n    prometheus: 'x'\n"
        "    judge: {kind: threshold, max: 0.01, tolerance: 0.1}\n",
    )
    metric = load_analysis(path, Lookups()).metrics[0]
    assert metric.judge == ThresholdJudge(tolerance=0.1, maximum=0.01)
    assert metric.direction is Direction.HIGHER_IS_WORSE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "windw: 10m\n", "Object contains unknown field `windw`"),
        (MINIMAL + "window: 10 minutes\n", "'10 minutes' is not a duration"),
        (MINIMAL + "step: -5\n", "a duration must be positive"),
        (
            MINIMAL.replace("higher_is_worse", "up"),
            "Invalid enum value 'up' - at `$.metrics[0].direction`",
        ),
        (
            MINIMAL.replace("prometheus: 'x'", "prometheus: 'x', judge: {kind: bayes}"),
            "Invalid value 'bayes'",
        ),
        (
            MINIMAL.replace(
                "prometheus: 'x'", "prometheus: 'x', judge: {kind: mann_whitney, confidence: 1.5}"
            ),
            "confidence must be in [0.5, 1), not 1.5",
        ),
        (MINIMAL + "pass_score: 50\nmarginal_score: 80\n", "marginal_score <= pass_score"),
        (
            MINIMAL + MINIMAL.split("metrics:\n")[1],
            "metric names must be unique: errors appear twice",
        ),
        ("provider: cloudwatch\n" + MINIMAL.split("\n", 1)[1], "needs a `cloudwatch` section"),
        (
            MINIMAL.replace("provider: prometheus", "provider: datadog"),
            "no metric has a datadog query",
        ),
        ("provider: prometheus\nmetrics: [\n", "not valid YAML"),
        (
            "{{ must_env('OPENBID_NOT_SET_ANYWHERE') }}",
            "environment variable OPENBID_NOT_SET_ANYWHERE",
        ),
    ],
)
def test_mistakes_are_config_errors_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_analysis(path, Lookups())
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no analysis config at .*nowhere\.yaml"):
        load_analysis(tmp_path / "nowhere.yaml", Lookups())


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("1h", 3600), ("1m30s", 90), ("250ms", 0.25), (45, 45)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "m", "10x", "1m 30", "0s"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_durations_read_back() -> None:
    assert [format_duration(s) for s in (2.5, 90, 600, 3660)] == ["2.5s", "1m30s", "10m", "1h1m"]
