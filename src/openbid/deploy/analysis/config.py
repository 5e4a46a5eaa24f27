"""The analysis file (``canary.yaml``): which metrics to compare, how to judge them, and where
to read them from.

It is checked into the user's repository beside ``deploy.yaml`` and, like it, rendered as a
template first (``{{ env("X") }}``, ``{{ ssm("/name") }}``). Each metric has a direction, a
criticality, a weight, a judge, and one query per provider it can be read from; ``$scope`` in a
query stands for the canary's or the baseline's selector. ``default.yaml`` beside this module
is used when no file is given. Every mistake is a ``ConfigError`` naming the file and the key.
"""

import enum
from importlib.resources import files
from pathlib import Path
from typing import Any

import msgspec
import yaml

from openbid.deploy.analysis.durations import parse_duration
from openbid.deploy.analysis.model import Direction
from openbid.deploy.config import Spec
from openbid.deploy.errors import ConfigError
from openbid.deploy.templating import Lookups, render_template

DEFAULT_ANALYSIS = Path(str(files("openbid.deploy.analysis").joinpath("default.yaml")))


class Duration:
    """A positive duration, written ``30s``, ``10m``, ``1h`` (or a number of seconds)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Duration({self.seconds:g})"


def _decode(kind: type, value: Any) -> Any:
    """msgspec's hook for the types it does not know: durations."""
    if kind is Duration:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"expected a duration (like 30s or 10m), got {value!r}")
        return Duration(parse_duration(value))
    raise NotImplementedError(kind)


class ProviderName(enum.StrEnum):
    """Where the metrics are read from."""

    PROMETHEUS = "prometheus"
    CLOUDWATCH = "cloudwatch"
    DATADOG = "datadog"


class MannWhitneyJudge(Spec, tag="mann_whitney", tag_field="kind"):
    """Kayenta's judge: fail when the shift's confidence interval is beyond the tolerance."""

    confidence: float = 0.98
    tolerance: float = 0.25
    min_difference: float = 0.0

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise ValueError(f"confidence must be in [0.5, 1), not {self.confidence}")
        _non_negative(tolerance=self.tolerance, min_difference=self.min_difference)


class ThresholdJudge(Spec, tag="threshold", tag_field="kind"):
    """The simple judge: means against means (with tolerance) and against fixed bounds."""

    tolerance: float = 0.25
    min_difference: float = 0.0
    minimum: float | None = msgspec.field(default=None, name="min")
    maximum: float | None = msgspec.field(default=None, name="max")

    def __post_init__(self) -> None:
        _non_negative(tolerance=self.tolerance, min_difference=self.min_difference)
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"min ({self.minimum}) is above max ({self.maximum})")


Judge = MannWhitneyJudge | ThresholdJudge


def _non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative, not {value}")


class CloudWatchStat(Spec):
    """One CloudWatch statistic; ``$load_balancer`` and ``$target_group`` in dimension values
    stand for the load balancer and the canary's or the baseline's target group."""

    metric: str
    stat: str
    namespace: str = "AWS/ApplicationELB"
    dimensions: dict[str, str] = msgspec.field(
        default_factory=lambda: {"LoadBalancer": "$load_balancer", "TargetGroup": "$target_group"}
    )


class CloudWatchQuery(Spec):
    """A metric read from CloudWatch: ``value``, divided by ``per`` (period by period) if given."""

    value: CloudWatchStat
    per: CloudWatchStat | None = None


class DatadogQuery(Spec):
    """A metric read from Datadog: named queries combined by a formula (``a / b``)."""

    queries: dict[str, str]
    formula: str
    aggregator: str = "sum"

    def __post_init__(self) -> None:
        if not self.queries:
            raise ValueError("a Datadog metric needs at least one query")


class MetricSpec(Spec):
    """One metric compared between the canary and the baseline."""

    name: str
    direction: Direction
    description: str = ""
    critical: bool = False
    weight: float = 1.0
    judge: Judge = msgspec.field(default_factory=MannWhitneyJudge)
    prometheus: str | None = None
    cloudwatch: CloudWatchQuery | None = None
    datadog: DatadogQuery | None = None

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError(f"weight must be positive, not {self.weight}")

    def query_for(self, provider: ProviderName) -> str | CloudWatchQuery | DatadogQuery | None:
        """This metric's query for ``provider``, if it has one."""
        match provider:
            case ProviderName.PROMETHEUS:
                return self.prometheus
            case ProviderName.CLOUDWATCH:
                return self.cloudwatch
            case ProviderName.DATADOG:
                return self.datadog


class PrometheusSource(Spec):
    """A Prometheus server's HTTP API, and the label matchers that tell canary from baseline."""

    url: str = "http://127.0.0.1:9090"
    canary: str = 'deployment="canary"'
    baseline: str = 'deployment="stable"'
    rate_interval: Duration = msgspec.field(default_factory=lambda: Duration(60.0))
    timeout: Duration = msgspec.field(default_factory=lambda: Duration(10.0))
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class CloudWatchSource(Spec):
    """The load balancer and target groups (ARN suffixes, as CloudWatch names them) to compare;
    the canary must run in weighted mode so its target group's metrics are its own."""

    load_balancer: str
    canary_target_group: str
    baseline_target_group: str
    region: str | None = None


class DatadogSource(Spec):
    """Datadog's API, the tags that tell canary from baseline, and the variables holding keys."""

    url: str = "https://api.datadoghq.com"
    canary: str = "deployment:canary"
    baseline: str = "deployment:stable"
    api_key_env: str = "DD_API_KEY"
    app_key_env: str = "DD_APP_KEY"
    slices: int = 10
    """Scalar queries per judgement and metric: the window is cut into this many samples."""
    timeout: Duration = msgspec.field(default_factory=lambda: Duration(10.0))

    def __post_init__(self) -> None:
        if self.slices < 1:
            raise ValueError(f"slices must be at least 1, not {self.slices}")


class AnalysisConfig(Spec):
    """The whole analysis file."""

    provider: ProviderName
    metrics: list[MetricSpec]
    prometheus: PrometheusSource = msgspec.field(default_factory=PrometheusSource)
    cloudwatch: CloudWatchSource | None = None
    datadog: DatadogSource = msgspec.field(default_factory=DatadogSource)
    window: Duration = msgspec.field(default_factory=lambda: Duration(600.0))
    """How far back ``analyze`` looks (``canary --auto`` looks back to the canary's start)."""
    step: Duration = msgspec.field(default_factory=lambda: Duration(30.0))
    """The resolution of a Prometheus or CloudWatch series: one sample per step."""
    interval: Duration = msgspec.field(default_factory=lambda: Duration(60.0))
    """Time between judgements in ``canary --auto``."""
    min_points: int = 5
    pass_score: float = 95.0
    marginal_score: float = 75.0

    def __post_init__(self) -> None:
        if self.min_points < 2:
            raise ValueError(f"min_points must be at least 2, not {self.min_points}")
        if not 0 <= self.marginal_score <= self.pass_score <= 100:
            raise ValueError(
                "scores must satisfy 0 <= marginal_score <= pass_score <= 100, not "
                f"{self.marginal_score} and {self.pass_score}"
            )
        names = [metric.name for metric in self.metrics]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"metric names must be unique: {', '.join(twice)} appear twice")
        if self.provider is ProviderName.CLOUDWATCH and self.cloudwatch is None:
            raise ValueError("provider cloudwatch needs a `cloudwatch` section")
        if not self.measured():
            raise ValueError(f"no metric has a {self.provider} query")

    def measured(self) -> list[MetricSpec]:
        """The metrics the chosen provider has a query for."""
        return [m for m in self.metrics if m.query_for(self.provider) is not None]

    def unmeasured(self) -> list[MetricSpec]:
        """The metrics the chosen provider cannot read."""
        return [m for m in self.metrics if m.query_for(self.provider) is None]


def load_analysis(
    path: Path | None, lookups: Lookups, provider: ProviderName | None = None
) -> AnalysisConfig:
    """Render, parse and check the analysis file (the packaged default when ``path`` is None);
    ``provider`` overrides the file's choice."""
    source = path or DEFAULT_ANALYSIS
    if not source.is_file():
        raise ConfigError(f"no analysis config at {source}")
    try:
        text = render_template(source, {}, lookups)
    except ConfigError as error:
        if str(source) in str(error):
            raise
        raise ConfigError(f"{source}: {error}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {error}") from None
    if isinstance(raw, dict) and provider is not None:
        raw = {**raw, "provider": provider.value}
    try:
        return msgspec.convert(raw, AnalysisConfig, strict=False, dec_hook=_decode)
    except msgspec.ValidationError as error:
        raise ConfigError(f"{source}: {error}") from None
