"""One analysis: fetch every metric for both sides, classify each, score the lot."""

from datetime import UTC, datetime, timedelta

from openbid.deploy.analysis.config import AnalysisConfig, MannWhitneyJudge, MetricSpec
from openbid.deploy.analysis.mann_whitney import judge_mann_whitney
from openbid.deploy.analysis.model import Judgement, MetricResult, Outcome, Samples, Window
from openbid.deploy.analysis.providers.base import MetricProvider
from openbid.deploy.analysis.score import score
from openbid.deploy.analysis.threshold import judge_threshold


def window_ending(end: datetime, seconds: float, step: float) -> Window:
    """The window of ``seconds`` that ends at ``end``."""
    return Window(end - timedelta(seconds=seconds), end, step)


def now() -> datetime:
    """The current time, with its time zone (providers want absolute times)."""
    return datetime.now(UTC)


def classify(metric: MetricSpec, samples: Samples, min_points: int) -> Outcome:
    """The metric's judge applied to its samples."""
    judge = metric.judge
    if isinstance(judge, MannWhitneyJudge):
        return judge_mann_whitney(
            samples,
            metric.direction,
            confidence=judge.confidence,
            tolerance=judge.tolerance,
            min_difference=judge.min_difference,
            min_points=min_points,
        )
    return judge_threshold(
        samples,
        metric.direction,
        tolerance=judge.tolerance,
        min_difference=judge.min_difference,
        minimum=judge.minimum,
        maximum=judge.maximum,
        min_points=min_points,
    )


def judge_metric(metric: MetricSpec, samples: Samples, min_points: int) -> MetricResult:
    """One metric's result."""
    return MetricResult(
        name=metric.name,
        direction=metric.direction,
        critical=metric.critical,
        weight=metric.weight,
        judge=str(metric.judge.__struct_config__.tag),
        samples=samples,
        outcome=classify(metric, samples, min_points),
    )


def analyze(config: AnalysisConfig, provider: MetricProvider, window: Window) -> Judgement:
    """Judge the canary against the baseline over ``window``."""
    results = tuple(
        judge_metric(metric, provider.fetch(metric, window), config.min_points)
        for metric in config.measured()
    )
    scored = score(results, config.pass_score, config.marginal_score)
    return Judgement(
        window=window,
        provider=provider.name,
        metrics=results,
        score=scored.score,
        verdict=scored.verdict,
        reason=scored.reason,
    )
