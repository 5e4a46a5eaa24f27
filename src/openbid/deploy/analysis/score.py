"""From each metric's classification to a score of 0-100 and a verdict, as Kayenta scores.

The score is the weighted share of judged metrics that passed; metrics without data are left
out of it. A critical metric that fails makes the verdict Fail (and the score 0); a critical
metric without data, or no metric with data at all, makes it Inconclusive: too little traffic
is not a pass. Otherwise the score decides: Pass at or above ``pass_score``, Marginal at or
above ``marginal_score``, else Fail.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from openbid.deploy.analysis.model import Classification, MetricResult, Verdict


@dataclass(frozen=True)
class Scored:
    """The score, the verdict and its reason."""

    score: float
    verdict: Verdict
    reason: str


def _names(results: Sequence[MetricResult]) -> str:
    return ", ".join(f"{r.name} ({r.outcome.reason})" for r in results)


def score(results: Sequence[MetricResult], pass_score: float, marginal_score: float) -> Scored:
    """The score and verdict of ``results``."""
    judged = [r for r in results if r.outcome.classification is not Classification.NODATA]
    total = sum(r.weight for r in judged)
    passed = sum(r.weight for r in judged if r.outcome.classification is Classification.PASS)
    value = round(100 * passed / total, 1) if total else 0.0
    critical_failed = [r for r in judged if r.critical and r.outcome.classification.failed]
    if critical_failed:
        return Scored(0.0, Verdict.FAIL, f"critical metric failed: {_names(critical_failed)}")
    critical_missing = [
        r for r in results if r.critical and r.outcome.classification is Classification.NODATA
    ]
    if critical_missing:
        return Scored(
            value, Verdict.INCONCLUSIVE, f"no data for critical metric: {_names(critical_missing)}"
        )
    if not total:
        return Scored(0.0, Verdict.INCONCLUSIVE, "no metric has enough data")
    failed = [r for r in judged if r.outcome.classification.failed]
    detail = f"; failed: {_names(failed)}" if failed else ""
    if value >= pass_score:
        return Scored(value, Verdict.PASS, f"score {value:g} ≥ {pass_score:g}{detail}")
    if value >= marginal_score:
        return Scored(value, Verdict.MARGINAL, f"score {value:g} below {pass_score:g}{detail}")
    return Scored(value, Verdict.FAIL, f"score {value:g} below {marginal_score:g}{detail}")
