"""What the analysis needs from a metrics provider: one metric's samples, canary and baseline."""

from typing import Protocol

from openbid.deploy.analysis.config import MetricSpec
from openbid.deploy.analysis.model import Samples, Window


class MetricProvider(Protocol):
    """Reads a metric for the canary and the baseline over the same window."""

    name: str

    def fetch(self, metric: MetricSpec, window: Window) -> Samples:
        """The metric's samples for both sides; raises ``MetricsError`` when it cannot."""
        ...
