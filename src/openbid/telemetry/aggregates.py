"""Metrics as plain in-process aggregates: what the bid path bumps, with no lock and no I/O.

Everything here is touched from one thread (the event loop that serves bids); exporters read
the values later on the same loop, so an increment is a dict update and nothing more.
Counters only grow: exporters remember what they last sent and send the difference.
"""

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass

LabelValue = str | int
Labels = tuple[LabelValue, ...]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric's name (without prefix or unit suffix), help text and label names."""

    name: str
    help: str
    labels: tuple[str, ...] = ()


class LocalCounter:
    """A monotonically growing count per label set."""

    __slots__ = ("info", "values")

    def __init__(self, info: MetricInfo) -> None:
        self.info = info
        self.values: dict[Labels, int] = {}

    def inc(self, *labels: LabelValue) -> None:
        """Add one to the series of ``labels`` (in the order of ``info.labels``)."""
        values = self.values
        values[labels] = values.get(labels, 0) + 1

    def add(self, amount: int, *labels: LabelValue) -> None:
        """Add ``amount`` (not negative) to the series of ``labels``."""
        values = self.values
        values[labels] = values.get(labels, 0) + amount


class LocalGauge:
    """A value per label set that goes up and down; at most ``max_series`` label sets are kept
    (further ones are dropped and counted in ``dropped``), for labels such as line item ids."""

    __slots__ = ("dropped", "info", "max_series", "values")

    def __init__(self, info: MetricInfo, max_series: int = 1000) -> None:
        self.info = info
        self.max_series = max_series
        self.values: dict[Labels, float] = {}
        self.dropped = 0

    def set(self, value: float, *labels: LabelValue) -> None:
        """Set the series of ``labels`` to ``value``."""
        values = self.values
        if labels not in values and len(values) >= self.max_series:
            self.dropped += 1
            return
        values[labels] = value

    def replace(self, value: float, *labels: LabelValue) -> None:
        """Make ``labels`` the only series, at ``value`` (e.g. the catalog version in service)."""
        self.values = {labels: value}

    def clear(self) -> None:
        """Drop every series (before setting the ones that exist now)."""
        self.values = {}

    def forget(self, *labels: LabelValue) -> None:
        """Drop the series of ``labels`` (e.g. a line item that left the catalog)."""
        self.values.pop(labels, None)


class LocalHistogram:
    """Observations counted into fixed buckets (upper bounds, inclusive), with their sum; it can
    also keep a uniform sample of up to ``keep`` raw values per export interval."""

    __slots__ = (
        "_bounds", "_random", "_seen", "buckets", "count", "info", "keep", "samples", "sum",
    )  # fmt: skip

    def __init__(self, info: MetricInfo, bounds: Sequence[float], keep: int = 0) -> None:
        self.info = info
        self._bounds = tuple(bounds)
        self.buckets = [0] * (len(self._bounds) + 1)  # the last one is +Inf
        self.sum = 0.0
        self.count = 0
        self.keep = keep
        self.samples: list[float] = []
        self._seen = 0  # observations since the sample was last taken
        self._random = random.random

    @property
    def bounds(self) -> tuple[float, ...]:
        """The finite upper bounds, ascending."""
        return self._bounds

    def observe(self, value: float) -> None:
        """Count ``value`` into its bucket (and maybe into the sample)."""
        self.buckets[bisect.bisect_left(self._bounds, value)] += 1
        self.sum += value
        self.count += 1
        keep = self.keep
        if keep:
            self._seen += 1
            samples = self.samples
            if len(samples) < keep:
                samples.append(value)
            else:  # reservoir sampling: every value of the interval has the same chance
                slot = int(self._random() * self._seen)
                if slot < keep:
                    samples[slot] = value

    def take_samples(self) -> list[float]:
        """The sample gathered since the last call; a new one starts."""
        samples, self.samples = self.samples, []
        self._seen = 0
        return samples
