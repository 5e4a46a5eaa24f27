"""A PNG of canary against stable over a local run: p99 latency, error rate and spend, with
each canary's time shaded by how it ended."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from openbid.deploy.analysis.config import AnalysisConfig, MetricSpec
from openbid.deploy.analysis.model import Window
from openbid.deploy.analysis.providers.prometheus import Points

CHARTED = (
    ("p99_latency_seconds", "p99 latency (ms)", 1000.0),
    ("error_rate", "errors per request", 1.0),
    ("spend_per_mille_micros", "spend per 1000 requests ($)", 1e-6),
)
"""Metric, axis title, and the factor from the metric's unit to the axis's."""
SIDES = (("baseline", "stable", "tab:blue"), ("canary", "canary", "tab:orange"))


class Timelines(Protocol):
    """Where the samples come from (the Prometheus provider)."""

    def timeline(self, metric: MetricSpec, window: Window) -> tuple[Points, Points]:
        """Both sides' samples with their times: canary, then baseline."""


@dataclass(frozen=True)
class Phase:
    """One canary: its version, when it ran (epoch seconds), and how it ended."""

    version: str
    start: float
    end: float
    promoted: bool


def _with_gaps(points: Points, step: float) -> tuple[list[float], list[float]]:
    """Times and values, with a break wherever samples are missing (a canary came and went)."""
    times: list[float] = []
    values: list[float] = []
    for time, value in points:
        if times and time - times[-1] > 2 * step:
            times.append(times[-1] + step)
            values.append(math.nan)
        times.append(time)
        values.append(value)
    return times, values


def draw_chart(
    provider: Timelines,
    config: AnalysisConfig,
    window: Window,
    phases: list[Phase],
    path: Path,
) -> None:
    """Chart the ``CHARTED`` metrics of both sides over ``window`` into ``path``."""
    import matplotlib  # noqa: PLC0415 - matplotlib loads only when a chart is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    metrics = {metric.name: metric for metric in config.metrics}
    origin = window.start.timestamp()
    figure, axes = plt.subplots(len(CHARTED), 1, sharex=True, figsize=(11, 8))
    for axis, (name, title, factor) in zip(axes, CHARTED, strict=True):
        canary, baseline = provider.timeline(metrics[name], window)
        sides = {"canary": canary, "baseline": baseline}
        for side, label, colour in SIDES:
            times, values = _with_gaps(sides[side], window.step)
            axis.plot(
                [t - origin for t in times],
                [v * factor for v in values],
                label=label,
                color=colour,
                linewidth=1.2,
            )
        for phase in phases:
            axis.axvspan(
                phase.start - origin,
                phase.end - origin,
                color="tab:green" if phase.promoted else "tab:red",
                alpha=0.12,
            )
        axis.set_ylabel(title)
        axis.grid(alpha=0.3)
    axes[0].legend(loc="upper left")
    for phase in phases:
        ending = "promoted" if phase.promoted else "rolled back"
        axes[0].annotate(
            f"canary {phase.version}: {ending}",
            xy=(phase.start - origin, 1.0),
            xycoords=("data", "axes fraction"),
            va="bottom",
            fontsize=9,
        )
    axes[-1].set_xlabel(f"seconds since {datetime.fromtimestamp(origin, UTC):%H:%M:%S} UTC")
    figure.suptitle("openbid canary analysis: canary against stable", y=0.995)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
