"""``openbid deploy analyze`` and ``canary --analyze``: judge the canary against the baseline.

``analyze`` makes one judgement over the last ``window`` (the analysis config's, or
``--window``). ``canary --analyze DURATION`` judges at intervals while the canary runs and, with
``--auto``, promotes it when the analysis passes and rolls it back when it fails, saying why and
telling the notification webhook.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console

from openbid.deploy.analysis.auto import AutoOutcome, Decision, Schedule, analyse_at_intervals
from openbid.deploy.analysis.config import AnalysisConfig, ProviderName, load_analysis
from openbid.deploy.analysis.judgement import analyze, now, window_ending
from openbid.deploy.analysis.model import Judgement, Window
from openbid.deploy.analysis.providers.base import MetricProvider
from openbid.deploy.analysis.providers.select import open_provider
from openbid.deploy.analysis.report import as_json, print_progress
from openbid.deploy.aws import Aws
from openbid.deploy.platform import Platform
from openbid.deploy.promote import promote
from openbid.deploy.rollback import rollback
from openbid.deploy.templating import Lookups


@dataclass(frozen=True)
class Analysis:
    """The analysis config and the provider it chose, ready to judge."""

    config: AnalysisConfig
    provider: MetricProvider

    def judge(self, window: Window) -> Judgement:
        """One judgement over ``window``."""
        return analyze(self.config, self.provider, window)


def open_analysis(
    path: Path | None,
    provider: ProviderName | None,
    aws: Aws,
    prometheus_url: str | None = None,
) -> Analysis:
    """Load the analysis config (the packaged default without ``path``) and open its provider;
    ``prometheus_url`` (the local platform's server) replaces the config's."""
    config = load_analysis(path, Lookups(aws.read_parameter), provider)
    if prometheus_url is not None:
        source = msgspec.structs.replace(config.prometheus, url=prometheus_url)
        config = msgspec.structs.replace(config, prometheus=source)
    return Analysis(config, open_provider(config, aws))


def analyze_once(
    analysis: Analysis, lookback: float | None, end: datetime | None = None
) -> Judgement:
    """One judgement over the ``lookback`` seconds (default: the config's window) to ``end``."""
    config = analysis.config
    seconds = lookback if lookback is not None else config.window.seconds
    return analysis.judge(window_ending(end or now(), seconds, config.step.seconds))


def analyse_canary(
    analysis: Analysis,
    duration: float,
    interval: float | None,
    console: Console,
    clock: Callable[[], datetime] = now,
    sleep: Callable[[float], None] = time.sleep,
) -> AutoOutcome:
    """Judge the live canary every ``interval`` for ``duration``; what the analysis decides."""
    config = analysis.config
    schedule = Schedule(
        duration=duration,
        interval=min(interval if interval is not None else config.interval.seconds, duration),
        lookback=config.window.seconds,
        step=config.step.seconds,
    )
    return analyse_at_intervals(
        analysis.judge, schedule, clock, sleep, lambda j: print_progress(j, console)
    )


def act_on(platform: Platform, outcome: AutoOutcome) -> str:
    """Promote or roll back as decided; what was done."""
    if outcome.decision is Decision.PROMOTE:
        return promote(platform)
    return rollback(platform, None)


def notification(outcome: AutoOutcome, revision: str, done: str | None) -> dict[str, Any]:
    """The webhook's JSON body: the decision, what was done, why, and the judgement."""
    return {
        "event": "openbid.canary.analysis",
        "revision": revision,
        "decision": outcome.decision.value,
        "done": done,
        "reason": outcome.reason,
        "judgement": as_json(outcome.judgement),
    }
