"""A judgement for people (a table) and for machines (JSON)."""

from typing import Any

from rich.console import Console
from rich.table import Table

from openbid.deploy.analysis.durations import format_duration
from openbid.deploy.analysis.model import Classification, Judgement, MetricResult, Verdict

VERDICT_STYLE = {
    Verdict.PASS: "bold green",
    Verdict.MARGINAL: "bold yellow",
    Verdict.FAIL: "bold red",
    Verdict.INCONCLUSIVE: "bold magenta",
}
CLASSIFICATION_STYLE = {
    Classification.PASS: "green",
    Classification.HIGH: "red",
    Classification.LOW: "red",
    Classification.NODATA: "magenta",
}


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _metric_json(result: MetricResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "classification": result.outcome.classification.value,
        "reason": result.outcome.reason,
        "direction": result.direction.value,
        "critical": result.critical,
        "weight": result.weight,
        "judge": result.judge,
        "canary": {"points": len(result.samples.canary), "mean": result.canary_mean},
        "baseline": {"points": len(result.samples.baseline), "mean": result.baseline_mean},
    }


def as_json(judgement: Judgement) -> dict[str, Any]:
    """The judgement as plain data (``--json``)."""
    window = judgement.window
    return {
        "verdict": judgement.verdict.value,
        "score": judgement.score,
        "reason": judgement.reason,
        "provider": judgement.provider,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "step_seconds": window.step,
        },
        "metrics": [_metric_json(result) for result in judgement.metrics],
    }


def print_judgement(judgement: Judgement, console: Console) -> None:
    """The judgement as a table of metrics and a verdict line."""
    window = judgement.window
    table = Table(
        title=f"canary vs baseline, {format_duration(window.seconds)} to "
        f"{window.end:%H:%M:%S} UTC ({judgement.provider})"
    )
    for column in ("metric", "canary", "baseline", "points", "result", "why"):
        table.add_column(column)
    for result in judgement.metrics:
        classification = result.outcome.classification
        style = CLASSIFICATION_STYLE[classification]
        name = result.name + (" [bold](critical)[/]" if result.critical else "")
        table.add_row(
            name,
            _figure(result.canary_mean),
            _figure(result.baseline_mean),
            f"{len(result.samples.canary)}/{len(result.samples.baseline)}",
            f"[{style}]{classification.value}[/]",
            result.outcome.reason,
        )
    console.print(table)
    style = VERDICT_STYLE[judgement.verdict]
    console.print(
        f"[{style}]{judgement.verdict.value.upper()}[/] score {judgement.score:g}: "
        f"{judgement.reason}",
        highlight=False,
    )


def print_progress(judgement: Judgement, console: Console) -> None:
    """One line per judgement while ``canary --auto`` analyses."""
    style = VERDICT_STYLE[judgement.verdict]
    failed = [r.name for r in judgement.metrics if r.outcome.classification.failed]
    nodata = [
        r.name for r in judgement.metrics if r.outcome.classification is Classification.NODATA
    ]
    notes = (f", failing: {', '.join(failed)}" if failed else "") + (
        f", no data: {', '.join(nodata)}" if nodata else ""
    )
    console.print(
        f"{judgement.window.end:%H:%M:%S} [{style}]{judgement.verdict.value}[/] "
        f"score {judgement.score:g} over {format_duration(judgement.window.seconds)}{notes}",
        highlight=False,
    )
