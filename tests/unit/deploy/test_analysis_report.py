"""A judgement printed for people (a table and a verdict line) and for machines (JSON)."""

from datetime import UTC, datetime

from rich.console import Console

from openbid.deploy.analysis.model import (
    Classification,
    Direction,
    Judgement,
    MetricResult,
    Outcome,
    Samples,
    Verdict,
    Window,
)
from openbid.deploy.analysis.report import as_json, print_judgement, print_progress

WINDOW = Window(
    datetime(2026, 11, 28, 12, 0, tzinfo=UTC), datetime(2026, 11, 28, 12, 10, tzinfo=UTC), 30
)
ERRORS = MetricResult(
    name="error_rate",
    direction=Direction.HIGHER_IS_WORSE,
    critical=True,
    weight=1.0,
    judge="mann_whitney",
    samples=Samples((0.2, 0.4), (0.01, 0.01, 0.01, 0.01)),
    outcome=Outcome(Classification.HIGH, "higher: shift 0.19..0.39"),
)
WINS = MetricResult(
    name="win_rate",
    direction=Direction.EITHER,
    critical=False,
    weight=1.0,
    judge="threshold",
    samples=Samples((), ()),
    outcome=Outcome(Classification.NODATA, "0 canary and 0 baseline points (need 5)"),
)
JUDGEMENT = Judgement(
    WINDOW, "prometheus", (ERRORS, WINS), 0.0, Verdict.FAIL, "critical metric failed"
)


def test_json_has_the_verdict_and_every_metric() -> None:
    data = as_json(JUDGEMENT)
    assert data["verdict"] == "fail"
    assert data["window"] == {
        "start": "2026-11-28T12:00:00+00:00",
        "end": "2026-11-28T12:10:00+00:00",
        "step_seconds": 30,
    }
    first, second = data["metrics"]
    assert first["canary"] == {"points": 2, "mean": 0.30000000000000004}
    assert first["baseline"] == {"points": 4, "mean": 0.01}
    assert (first["classification"], first["critical"], first["judge"]) == (
        "high",
        True,
        "mann_whitney",
    )
    assert second["canary"] == {"points": 0, "mean": None}


def test_the_table_shows_each_metric_and_the_verdict() -> None:
    console = Console(record=True, width=200)
    print_judgement(JUDGEMENT, console)
    text = console.export_text()
    assert "canary vs baseline, 10m to 12:10:00 UTC (prometheus)" in text
    assert "error_rate (critical)" in text
    for shown in ("0.3 ", "2/4", "higher: shift 0.19..0.39", "win_rate", "nodata"):
        assert shown in text
    assert "FAIL score 0: critical metric failed" in text


def test_progress_names_failing_and_missing_metrics() -> None:
    console = Console(record=True, width=200)
    print_progress(JUDGEMENT, console)
    assert console.export_text().strip() == (
        "12:10:00 fail score 0 over 10m, failing: error_rate, no data: win_rate"
    )
