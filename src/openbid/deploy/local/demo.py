"""``openbid deploy local demo`` (``make demo-deploy``): the whole deploy loop on one machine.

Two stable tasks of ``v1`` come up behind HAProxy with Prometheus; the exchange simulator sends
traffic through HAProxy for the whole run; a good version (``v2``) is canaried, analysed and
promoted; a deliberately slow one (``v3-slow``: the fault switch adds latency) is canaried and
rolled back by the analysis. The canary verbs run as the CLI would be run by hand, so their
reports are printed as they come; at the end a PNG charts canary against stable.
"""

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from openbid.deploy.analysis.config import DEFAULT_ANALYSIS
from openbid.deploy.analysis.model import Window
from openbid.deploy.analysis.providers.prometheus import PrometheusProvider
from openbid.deploy.analyze import open_analysis
from openbid.deploy.aws import Aws
from openbid.deploy.local.chart import CHARTED, Phase, draw_chart
from openbid.deploy.local.layout import StateDir
from openbid.deploy.local.platform import load_settings
from openbid.deploy.local.tasks import free_port
from openbid.deploy.local.up import UpOptions, down, up

OPENBID = [sys.executable, "-m", "openbid"]
GOOD, BAD, BAD_FAULTS = "v2", "v3-slow", "latency_ms=40"
RATE = 60
WEIGHT = 30
ANALYZE, INTERVAL = "20s", "5s"
WARM_UP = 8.0
"""Seconds of traffic before the first canary, so the stable tasks have a history."""
PAUSE = 5.0
"""Seconds between the two canaries, so the chart keeps them apart."""
TRAFFIC_LIMIT = 600
"""The simulator stops by itself after this many seconds whatever happens."""


@dataclass(frozen=True)
class DemoOutcome:
    """How the run went: each canary's phase, the traffic report, and the chart."""

    phases: list[Phase]
    traffic: dict[str, Any]
    chart: Path

    @property
    def as_expected(self) -> bool:
        """The good version promoted, the bad one rolled back."""
        return [p.promoted for p in self.phases] == [True, False]


def write_inputs(directory: Path) -> tuple[Path, Path]:
    """The versions file (a good and a slow version) and a compressed analysis config."""
    versions = directory / "versions.yaml"
    versions.write_text(yaml.safe_dump({GOOD: {}, BAD: {"faults": BAD_FAULTS}}))
    config: dict[str, Any] = yaml.safe_load(
        DEFAULT_ANALYSIS.read_text().replace(
            "{{ env('OPENBID_PROMETHEUS_URL', 'http://127.0.0.1:9090') }}",
            "http://127.0.0.1:9090",
        )
    )
    config["prometheus"]["rate_interval"] = "4s"
    config.update(window="30s", step="1s", interval=INTERVAL, min_points=5)
    judged = {name for name, _, _ in CHARTED} | {"deadline_miss_rate", "bid_rate"}
    config["metrics"] = [m for m in config["metrics"] if m["name"] in judged]
    for metric in config["metrics"]:
        if metric["name"] == "p99_latency_seconds":
            metric["judge"]["min_difference"] = 0.01
    analysis = directory / "analysis.yaml"
    analysis.write_text(yaml.safe_dump(config, sort_keys=False))
    return versions, analysis


def _canary(state: StateDir, analysis: Path, version: str, console: Console) -> Phase:
    """``openbid deploy canary --platform local --analyze --auto`` of ``version``."""
    console.rule(f"canary {version}: analysed for {ANALYZE}, then promoted or rolled back")
    start = time.time()
    code = subprocess.run(
        [*OPENBID, "deploy", "canary", "--platform", "local", "--state-dir", str(state.root),
         "--image", version, "--weight", str(WEIGHT), "--analyze", ANALYZE,
         "--interval", INTERVAL, "--auto", "--analysis", str(analysis)],
        check=False,
    ).returncode  # fmt: skip
    return Phase(version, start, time.time(), promoted=code == 0)


def _stop_traffic(process: "subprocess.Popen[bytes]", report: Path) -> dict[str, Any]:
    """Interrupt the simulator; its JSON report."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    try:
        result: dict[str, Any] = json.loads(report.read_text())
    except (OSError, ValueError):
        return {}
    return result


def run_demo(directory: Path, console: Console) -> DemoOutcome:
    """The whole loop, its files in ``directory``; every process stopped at the end."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    state = StateDir.at(directory / "state")
    versions, analysis = write_inputs(directory)
    console.rule("stable v1: two tasks behind HAProxy, scraped by Prometheus")
    options = UpOptions("v1", 2, free_port(), free_port(), versions)
    try:
        console.print(up(state, options, console), highlight=False)
        settings = load_settings(state)
        report = directory / "traffic.json"
        with report.open("wb") as out:
            traffic = subprocess.Popen(
                [*OPENBID, "exchange", "run", "--bidder", settings.bid_url,
                 "--rate", str(RATE), "--duration", str(TRAFFIC_LIMIT), "--connections", "4",
                 "--json"],
                stdout=out, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        console.print(f"exchange simulator: {RATE} requests/s through {settings.bid_url}")
        try:
            started = datetime.now(UTC)
            time.sleep(WARM_UP)
            phases = [_canary(state, analysis, GOOD, console)]
            time.sleep(PAUSE)
            phases.append(_canary(state, analysis, BAD, console))
            time.sleep(PAUSE)
        finally:
            result = _stop_traffic(traffic, report)
        chart = directory / "canary-vs-stable.png"
        config = open_analysis(analysis, None, Aws(), settings.prometheus_url).config
        window = Window(started, datetime.now(UTC), config.step.seconds)
        draw_chart(PrometheusProvider(config.prometheus), config, window, phases, chart)
    finally:
        console.rule("stopping the local deployment")
        console.print(down(state, console), highlight=False)
    return DemoOutcome(phases, result, chart)
