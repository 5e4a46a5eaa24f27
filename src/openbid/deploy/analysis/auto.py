"""``canary --analyze DURATION --auto``: judge at intervals, then promote or roll back.

Each judgement covers the time since the canary went live (at most the config's ``window``).
A Fail at any judgement rolls back at once; at the end, a Pass promotes, and anything else
(Marginal, or Inconclusive: too little traffic to tell) rolls back, since only a pass is a pass.
Judgements before the end that are Marginal or Inconclusive let the analysis go on.
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from openbid.deploy.analysis.durations import format_duration
from openbid.deploy.analysis.model import Judgement, Verdict, Window

VERDICT_EXIT = {Verdict.PASS: 0, Verdict.FAIL: 3, Verdict.MARGINAL: 4, Verdict.INCONCLUSIVE: 5}
"""Exit codes of ``analyze``: only a pass is 0."""
ROLLED_BACK_EXIT = 3
"""Exit code of ``canary --auto`` when the analysis rolled the canary back."""


class Decision(enum.StrEnum):
    """What the analysis decided."""

    PROMOTE = "promote"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class AutoOutcome:
    """The decision, the judgement it rests on, and why in words."""

    decision: Decision
    judgement: Judgement
    reason: str


@dataclass(frozen=True)
class Schedule:
    """How long to analyse, how often to judge, how far back to look and at what resolution."""

    duration: float
    interval: float
    lookback: float
    step: float


def decide(judgement: Judgement, elapsed: float, final: bool) -> AutoOutcome | None:
    """The decision after one judgement, or None to keep analysing."""
    after = f"after {format_duration(elapsed)}"
    if judgement.verdict is Verdict.FAIL:
        return AutoOutcome(Decision.ROLLBACK, judgement, f"failed {after}: {judgement.reason}")
    if not final:
        return None
    if judgement.verdict is Verdict.PASS:
        return AutoOutcome(Decision.PROMOTE, judgement, f"passed {after}: {judgement.reason}")
    return AutoOutcome(
        Decision.ROLLBACK,
        judgement,
        f"{judgement.verdict.value} at the end, {after} (only a pass promotes): {judgement.reason}",
    )


def analyse_at_intervals(
    judge: Callable[[Window], Judgement],
    schedule: Schedule,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    report: Callable[[Judgement], None],
) -> AutoOutcome:
    """Judge every ``interval`` until a failure or ``duration`` is over; the decision."""
    started = clock()
    deadline = started + timedelta(seconds=schedule.duration)
    while True:
        wake = min(clock() + timedelta(seconds=schedule.interval), deadline)
        pause = (wake - clock()).total_seconds()
        if pause > 0:
            sleep(pause)
        end = clock()
        start = max(started, end - timedelta(seconds=schedule.lookback))
        judgement = judge(Window(start, end, schedule.step))
        report(judgement)
        elapsed = (end - started).total_seconds()
        outcome = decide(judgement, elapsed, final=end >= deadline)
        if outcome is not None:
            return outcome
