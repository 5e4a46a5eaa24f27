"""``canary --analyze --auto``: judge at intervals; a failure rolls back at once, only a pass at
the end promotes; each judgement covers the time since the canary went live."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from openbid.deploy.analysis.auto import Decision, Schedule, analyse_at_intervals, decide
from openbid.deploy.analysis.model import Judgement, Verdict, Window

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = START
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def judgement(window: Window, verdict: Verdict) -> Judgement:
    return Judgement(window, "fake", (), 100.0, verdict, f"it was {verdict}")


def scripted(verdicts: list[Verdict], windows: list[Window]) -> Callable[[Window], Judgement]:
    """A judge that gives ``verdicts`` in turn and records the windows it was asked about."""

    def judge(window: Window) -> Judgement:
        windows.append(window)
        return judgement(window, verdicts[len(windows) - 1])

    return judge


def run(
    verdicts: list[Verdict], schedule: Schedule
) -> tuple[Decision, str, list[Window], FakeTime]:
    time = FakeTime()
    windows: list[Window] = []
    reports: list[Judgement] = []
    outcome = analyse_at_intervals(
        scripted(verdicts, windows), schedule, time.clock, time.sleep, reports.append
    )
    assert len(reports) == len(windows)
    return outcome.decision, outcome.reason, windows, time


def test_a_pass_at_the_end_promotes_after_every_interval() -> None:
    verdicts = [Verdict.INCONCLUSIVE, Verdict.MARGINAL, Verdict.PASS, Verdict.PASS]
    decision, reason, windows, time = run(verdicts, Schedule(600, 180, 600, 30))
    assert decision is Decision.PROMOTE
    assert reason == "passed after 10m: it was pass"
    assert time.sleeps == [180, 180, 180, 60]
    assert [w.start for w in windows] == [START] * 4
    assert [w.seconds for w in windows] == [180, 360, 540, 600]
    assert {w.step for w in windows} == {30}


def test_a_failure_rolls_back_at_once() -> None:
    decision, reason, windows, _ = run([Verdict.PASS, Verdict.FAIL], Schedule(600, 60, 600, 30))
    assert decision is Decision.ROLLBACK
    assert reason == "failed after 2m: it was fail"
    assert len(windows) == 2


def test_anything_but_a_pass_at_the_end_rolls_back() -> None:
    decision, reason, _, _ = run([Verdict.PASS, Verdict.INCONCLUSIVE], Schedule(120, 60, 600, 30))
    assert decision is Decision.ROLLBACK
    assert reason == (
        "inconclusive at the end, after 2m (only a pass promotes): it was inconclusive"
    )


def test_windows_look_back_no_further_than_the_lookback() -> None:
    _, _, windows, _ = run([Verdict.PASS] * 3, Schedule(900, 300, 400, 30))
    assert [w.seconds for w in windows] == [300, 400, 400]
    assert windows[-1].end == START + timedelta(seconds=900)


def test_decide_keeps_going_until_the_end() -> None:
    window = Window(START, START, 30)
    assert decide(judgement(window, Verdict.MARGINAL), 60, final=False) is None
    assert decide(judgement(window, Verdict.PASS), 60, final=False) is None
    failed = decide(judgement(window, Verdict.FAIL), 60, final=False)
    assert failed is not None
    assert failed.decision is Decision.ROLLBACK
