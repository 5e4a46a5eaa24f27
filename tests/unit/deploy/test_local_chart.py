"""The demo's chart: canary against stable, broken where a side has no samples."""

import math
from datetime import UTC, datetime
from pathlib import Path

from openbid.deploy.analysis.config import MetricSpec, load_analysis
from openbid.deploy.analysis.model import Window
from openbid.deploy.analysis.providers.prometheus import Points
from openbid.deploy.local.chart import Phase, _with_gaps, draw_chart
from openbid.deploy.local.demo import write_inputs
from openbid.deploy.templating import Lookups

START = datetime(2026, 1, 1, tzinfo=UTC)


class Recorded:
    """A provider answering every metric with the same two series."""

    def timeline(self, metric: MetricSpec, window: Window) -> tuple[Points, Points]:
        base = window.start.timestamp()
        canary = [(base + t, 2.0) for t in (10, 11, 12, 30, 31)]
        baseline = [(base + t, 1.0) for t in range(40)]
        return canary, baseline


def test_gaps_break_the_line_where_samples_are_missing() -> None:
    times, values = _with_gaps([(0, 1.0), (1, 2.0), (9, 3.0)], step=1)
    assert times == [0, 1, 2, 9]
    assert values[:2] == [1.0, 2.0]
    assert math.isnan(values[2])
    assert values[3] == 3.0


def test_the_demo_inputs_load_and_the_chart_is_a_png(tmp_path: Path) -> None:
    versions, analysis = write_inputs(tmp_path)
    assert "latency_ms=40" in versions.read_text()
    config = load_analysis(analysis, Lookups())
    assert config.step.seconds == 1
    window = Window(START, datetime(2026, 1, 1, 0, 0, 40, tzinfo=UTC), 1.0)
    phases = [Phase("v2", START.timestamp() + 9, START.timestamp() + 13, promoted=True)]
    chart = tmp_path / "chart.png"
    draw_chart(Recorded(), config, window, phases, chart)
    assert chart.read_bytes().startswith(b"\x89PNG")
