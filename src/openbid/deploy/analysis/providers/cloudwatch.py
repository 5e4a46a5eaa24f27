"""CloudWatch: ``GetMetricData`` for the canary's and the baseline's target groups at once.

In weighted mode the canary has a target group of its own, so the load balancer's per-target-
group metrics (requests, 5xx, response time percentiles) separate it from the stable tasks.
``$load_balancer`` and ``$target_group`` in a statistic's dimensions become the ARN suffixes
the config names; a metric with ``per`` is the ratio of two statistics, period by period (done
here rather than in metric math, so periods where the divisor is zero are left out).
"""

from datetime import datetime
from string import Template
from typing import TYPE_CHECKING, Any

from openbid.deploy.analysis.config import CloudWatchSource, CloudWatchStat, MetricSpec
from openbid.deploy.analysis.model import Samples, Window
from openbid.deploy.aws import aws_errors
from openbid.deploy.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

SIDES = ("canary", "baseline")
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)


def period(step: float) -> int:
    """The CloudWatch period nearest ``step``: 1, 5, 10, 30 or a multiple of 60 seconds."""
    if step < 60:
        return min(HIGH_RESOLUTION_PERIODS, key=lambda p: abs(p - step))
    return max(60, round(step / 60) * 60)


class CloudWatchProvider:
    """Reads load balancer metrics per target group from CloudWatch."""

    name = "cloudwatch"

    def __init__(self, source: CloudWatchSource, client: "CloudWatchClient") -> None:
        self._source = source
        self._client = client

    def _stat(self, stat: CloudWatchStat, group: str, seconds: int) -> dict[str, Any]:
        values = {"load_balancer": self._source.load_balancer, "target_group": group}
        dimensions = [
            {"Name": name, "Value": Template(value).safe_substitute(values)}
            for name, value in stat.dimensions.items()
        ]
        return {
            "Metric": {
                "Namespace": stat.namespace,
                "MetricName": stat.metric,
                "Dimensions": dimensions,
            },
            "Period": seconds,
            "Stat": stat.stat,
        }

    def queries(self, metric: MetricSpec, window: Window) -> list["MetricDataQueryTypeDef"]:
        """The ``MetricDataQueries`` for both sides: ids ``canary_value``, ``canary_per``, ..."""
        if metric.cloudwatch is None:
            raise ConfigError(f"metric {metric.name} has no cloudwatch query")
        seconds = period(window.step)
        groups = {
            "canary": self._source.canary_target_group,
            "baseline": self._source.baseline_target_group,
        }
        queries: list[Any] = []
        for side in SIDES:
            parts = {"value": metric.cloudwatch.value, "per": metric.cloudwatch.per}
            for part, stat in parts.items():
                if stat is not None:
                    queries.append(
                        {
                            "Id": f"{side}_{part}",
                            "MetricStat": self._stat(stat, groups[side], seconds),
                            "ReturnData": True,
                        }
                    )
        return queries

    def fetch(self, metric: MetricSpec, window: Window) -> Samples:
        """Both sides' samples over ``window``, one per period."""
        series: dict[str, dict[datetime, float]] = {}
        paginator = self._client.get_paginator("get_metric_data")
        with aws_errors():
            pages = paginator.paginate(
                MetricDataQueries=self.queries(metric, window),
                StartTime=window.start,
                EndTime=window.end,
                ScanBy="TimestampAscending",
            )
            for page in pages:
                for result in page.get("MetricDataResults", []):
                    points = series.setdefault(result.get("Id", ""), {})
                    points.update(
                        zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                    )
        per = metric.cloudwatch is not None and metric.cloudwatch.per is not None
        return Samples.of(*(_values(series, side, per) for side in SIDES))


def _values(series: dict[str, dict[datetime, float]], side: str, per: bool) -> list[float]:
    """One side's values, divided period by period when the metric is a ratio."""
    values = series.get(f"{side}_value", {})
    if not per:
        return [values[t] for t in sorted(values)]
    divisors = series.get(f"{side}_per", {})
    return [values[t] / divisors[t] for t in sorted(values) if divisors.get(t)]
