"""The provider the analysis config chooses, opened with what it needs."""

from openbid.deploy.analysis.config import AnalysisConfig, ProviderName
from openbid.deploy.analysis.providers.base import MetricProvider
from openbid.deploy.analysis.providers.cloudwatch import CloudWatchProvider
from openbid.deploy.analysis.providers.datadog import DatadogProvider
from openbid.deploy.analysis.providers.prometheus import PrometheusProvider
from openbid.deploy.aws import Aws
from openbid.deploy.errors import ConfigError


def open_provider(config: AnalysisConfig, aws: Aws) -> MetricProvider:
    """The provider ``config.provider``; CloudWatch is reached through ``aws``."""
    match config.provider:
        case ProviderName.PROMETHEUS:
            return PrometheusProvider(config.prometheus)
        case ProviderName.DATADOG:
            return DatadogProvider(config.datadog)
        case ProviderName.CLOUDWATCH:
            source = config.cloudwatch
            if source is None:
                raise ConfigError("provider cloudwatch needs a `cloudwatch` section")
            region = source.region or aws.region
            return CloudWatchProvider(source, Aws(region, aws.endpoint_url).cloudwatch())
