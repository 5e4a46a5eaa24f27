"""The plain data of an analysis: a metric's samples, how it was classified, the verdict."""

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class Direction(enum.StrEnum):
    """Which way a change in a metric is bad."""

    HIGHER_IS_WORSE = "higher_is_worse"
    LOWER_IS_WORSE = "lower_is_worse"
    EITHER = "either"

    @property
    def bad_if_higher(self) -> bool:
        """A rise is a failure."""
        return self is not Direction.LOWER_IS_WORSE

    @property
    def bad_if_lower(self) -> bool:
        """A fall is a failure."""
        return self is not Direction.HIGHER_IS_WORSE


class Classification(enum.StrEnum):
    """One metric's outcome: within tolerance, too high, too low, or too little data to say."""

    PASS = "pass"
    HIGH = "high"
    LOW = "low"
    NODATA = "nodata"

    @property
    def failed(self) -> bool:
        """Too high or too low in a direction that is bad."""
        return self in (Classification.HIGH, Classification.LOW)


class Verdict(enum.StrEnum):
    """The canary's outcome."""

    PASS = "pass"
    MARGINAL = "marginal"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Window:
    """The time range both the canary and the baseline are measured over, and its resolution."""

    start: datetime
    end: datetime
    step: float

    @property
    def seconds(self) -> float:
        """How long the window is."""
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Samples:
    """A metric's values for the canary and for the baseline (each a point in time or a task)."""

    canary: tuple[float, ...]
    baseline: tuple[float, ...]

    @classmethod
    def of(cls, canary: Sequence[float], baseline: Sequence[float]) -> "Samples":
        """Samples with the points that are not numbers (0/0, missing) left out."""
        return cls(_finite(canary), _finite(baseline))


def _finite(values: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(v) for v in values if v is not None and math.isfinite(v))


@dataclass(frozen=True)
class Outcome:
    """A judge's classification of one metric and why, in a few words."""

    classification: Classification
    reason: str


@dataclass(frozen=True)
class MetricResult:
    """One metric's samples, summary and outcome."""

    name: str
    direction: Direction
    critical: bool
    weight: float
    judge: str
    samples: Samples
    outcome: Outcome

    @property
    def canary_mean(self) -> float | None:
        """Mean of the canary's samples, if any."""
        return _mean(self.samples.canary)

    @property
    def baseline_mean(self) -> float | None:
        """Mean of the baseline's samples, if any."""
        return _mean(self.samples.baseline)


def _mean(values: tuple[float, ...]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Judgement:
    """The whole analysis: every metric, the score and the verdict, and the one-line reason."""

    window: Window
    provider: str
    metrics: tuple[MetricResult, ...]
    score: float
    verdict: Verdict
    reason: str
