"""Load shedding: when the event loop is saturated, answer a growing share of bid requests with
a precomputed no-bid before any decoding, so the rest are still answered within their deadline.

The signal is the loop itself, sampled every ``interval``: the share of the CPU it may use that
the loop thread did use (a container's CPU quota, e.g. a 0.5-vCPU Fargate task, counts as the
whole), and how late the sampling timer fired (the time a newly arrived request waits for the
loop). While either is over its limit the shed fraction grows by ``step_up``;
once both are comfortably under, it shrinks by ``step_down`` (additive increase, additive
decrease, so it settles where the loop just keeps up).
"""

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
ALLOWANCE_REFRESH = 1.0  # seconds between readings of the CPU quota (~0.1 ms each)


def _quota_v2(root: Path, path: str) -> float | None:
    try:
        quota, period = (root / path.lstrip("/") / "cpu.max").read_text().split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _quota_v1(root: Path, path: str) -> float | None:
    folder = root / "cpu" / path.lstrip("/")
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 else quota / period


def cpu_allowance(root: Path = CGROUP_ROOT, membership: Path = Path("/proc/self/cgroup")) -> float:
    """How much of one CPU this process may use: its cgroup's CPU quota (v2 or v1), at most 1."""
    try:
        lines = membership.read_text().splitlines()
    except OSError:
        return 1.0
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            quota = _quota_v2(root, path)
        elif "cpu" in controllers.split(","):
            quota = _quota_v1(root, path)
        else:
            continue
        if quota is not None:
            return min(1.0, quota)
    return 1.0


@dataclass(frozen=True, slots=True)
class ShedPolicy:
    """When the loop counts as saturated, and how fast the shed fraction follows."""

    interval: float = 0.05  # seconds between samples
    busy_high: float = 0.97  # CPU share of the loop thread that means saturated
    busy_low: float = 0.90  # ... and that means there is room again
    lag_high: float = 0.010  # seconds the sampling timer fired late: saturated
    lag_low: float = 0.002
    step_up: float = 0.05
    step_down: float = 0.02
    max_fraction: float = 0.95  # a trickle always reaches the bidder, so recovery is seen


class LoadShedder:
    """The share of sheddable requests to answer at once with a no-bid, and how many were."""

    def __init__(
        self,
        policy: ShedPolicy = ShedPolicy(),
        clock: Callable[[], float] = time.monotonic,
        cpu: Callable[[], float] = time.thread_time,
        draw: Callable[[], float] = random.random,
        allowance: Callable[[], float] = cpu_allowance,
    ) -> None:
        self.policy = policy
        self._read_allowance = allowance  # re-read now and then: a quota can be set after start
        self._allowance = allowance()
        self._allowance_read_at = clock()
        self._clock = clock
        self._cpu = cpu
        self._draw = draw
        self.fraction = 0.0
        self.shed = 0  # requests answered with the shed response
        self.busy = 0.0  # the last sample's CPU share
        self.lag = 0.0  # the last sample's timer lateness, seconds
        self._wall = clock()
        self._used = cpu()

    def should_shed(self) -> bool:
        """Whether to shed this request (counted when so)."""
        fraction = self.fraction
        if fraction and self._draw() < fraction:
            self.shed += 1
            return True
        return False

    def sample(self, lag: float) -> None:
        """Take one sample (``lag``: how late it was taken) and move the fraction."""
        wall, used = self._clock(), self._cpu()
        elapsed = wall - self._wall
        if elapsed <= 0:
            return
        if wall - self._allowance_read_at >= ALLOWANCE_REFRESH:
            self._allowance = self._read_allowance()
            self._allowance_read_at = wall
        self.busy = min(1.0, (used - self._used) / (elapsed * self._allowance))
        self.lag = lag
        self._wall, self._used = wall, used
        policy = self.policy
        if self.busy >= policy.busy_high or lag >= policy.lag_high:
            self.fraction = min(policy.max_fraction, self.fraction + policy.step_up)
        elif self.busy <= policy.busy_low and lag <= policy.lag_low:
            self.fraction = max(0.0, self.fraction - policy.step_down)

    async def run(self) -> None:
        """Sample every ``policy.interval`` until cancelled."""
        interval = self.policy.interval
        clock = self._clock
        while True:
            due = clock() + interval
            await asyncio.sleep(interval)
            self.sample(max(0.0, clock() - due))
