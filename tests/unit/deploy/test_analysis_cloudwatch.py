"""The CloudWatch provider's GetMetricData calls, checked with botocore's Stubber: percentiles
(which moto does not compute), periods, and both target groups in one call."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from openbid.deploy.analysis.config import (
    CloudWatchQuery,
    CloudWatchSource,
    CloudWatchStat,
    MetricSpec,
)
from openbid.deploy.analysis.model import Direction, Samples, Window
from openbid.deploy.analysis.providers.cloudwatch import CloudWatchProvider, period
from openbid.deploy.errors import PermissionDeniedError

END = datetime(2026, 11, 28, 12, 10, tzinfo=UTC)
WINDOW = Window(END - timedelta(minutes=3), END, 60.0)
SOURCE = CloudWatchSource(
    load_balancer="app/openbid/1",
    canary_target_group="targetgroup/canary/2",
    baseline_target_group="targetgroup/stable/3",
)
P99 = MetricSpec(
    name="p99_latency_seconds",
    direction=Direction.HIGHER_IS_WORSE,
    cloudwatch=CloudWatchQuery(value=CloudWatchStat(metric="TargetResponseTime", stat="p99")),
)


def stat_query(side: str, group: str) -> dict[str, object]:
    return {
        "Id": f"{side}_value",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "TargetResponseTime",
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": "app/openbid/1"},
                    {"Name": "TargetGroup", "Value": group},
                ],
            },
            "Period": 60,
            "Stat": "p99",
        },
        "ReturnData": True,
    }


def test_p99_of_both_target_groups_in_one_call() -> None:
    client = boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    minutes = [WINDOW.start + timedelta(minutes=n) for n in range(3)]
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {"Id": "canary_value", "Timestamps": minutes, "Values": [0.012, 0.011, 0.013]},
                    {"Id": "baseline_value", "Timestamps": minutes[:2], "Values": [0.009, 0.008]},
                ]
            },
            {
                "MetricDataQueries": [
                    stat_query("canary", "targetgroup/canary/2"),
                    stat_query("baseline", "targetgroup/stable/3"),
                ],
                "StartTime": WINDOW.start,
                "EndTime": END,
                "ScanBy": "TimestampAscending",
            },
        )
        samples = CloudWatchProvider(SOURCE, client).fetch(P99, WINDOW)
        stubber.assert_no_pending_responses()
    assert samples == Samples((0.012, 0.011, 0.013), (0.009, 0.008))


def test_access_denied_is_a_readable_error() -> None:
    client = boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        stubber.add_client_error("get_metric_data", "AccessDenied", "not allowed")
        with pytest.raises(PermissionDeniedError, match="AWS refused GetMetricData"):
            CloudWatchProvider(SOURCE, client).fetch(P99, WINDOW)


@pytest.mark.parametrize(
    ("step", "seconds"), [(1, 1), (7, 5), (20, 10), (45, 30), (60, 60), (100, 120), (30 * 60, 1800)]
)
def test_periods_are_ones_cloudwatch_accepts(step: float, seconds: int) -> None:
    assert period(step) == seconds
