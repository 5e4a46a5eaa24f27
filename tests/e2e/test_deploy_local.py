"""The whole deploy loop on one machine: `openbid deploy local up` starts stable tasks behind
HAProxy and a Prometheus server; the exchange simulator drives traffic through HAProxy while
`openbid deploy canary --platform local --analyze --auto` promotes a good version and rolls back
a slow one, an erroring one and an overbidding one — and the simulator sees no connection error
through any of it."""

import json
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from openbid.deploy.analysis.config import DEFAULT_ANALYSIS
from openbid.exchange.bidder_process import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
OPENBID = [sys.executable, "-m", "openbid"]
DEMO_CATALOG = Path(__file__).parents[2] / "src/openbid/catalog/demo-catalog.yaml"
JUDGED = (
    "error_rate", "deadline_miss_rate", "p99_latency_seconds", "bid_rate",
    "spend_per_mille_micros",
)  # fmt: skip
RATE = 60
ANALYZE = "15s"


@dataclass(frozen=True)
class Local:
    """A running local deployment: its state directory, bid URL and analysis config."""

    state_dir: Path
    bid_url: str
    analysis: Path


def _openbid(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [*OPENBID, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert "Traceback" not in run.stderr, run.stderr
    return run


def _versions(directory: Path) -> Path:
    """A good version, and one bad version of each kind."""
    overbid = directory / "overbid-catalog.yaml"
    overbid.write_text(
        re.sub(
            r"cpm: (\d+(?:\.\d+)?)",
            lambda m: f"cpm: {float(m.group(1)) * 3:.2f}",
            DEMO_CATALOG.read_text(),
        )
    )
    path = directory / "versions.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "v2": {},
                "v3-slow": {"faults": "latency_ms=40"},
                "v3-errors": {"faults": "error_rate=0.2"},
                "v3-overbid": {"catalog": overbid.name},
            }
        )
    )
    return path


def _analysis(directory: Path) -> Path:
    """The packaged analysis cut to compressed windows and the metrics traffic decides here."""
    config: dict[str, Any] = yaml.safe_load(
        DEFAULT_ANALYSIS.read_text().replace(
            "{{ env('OPENBID_PROMETHEUS_URL', 'http://127.0.0.1:9090') }}", "http://unused"
        )
    )
    config["prometheus"]["rate_interval"] = "4s"
    config.update(window="30s", step="1s", interval="5s", min_points=5)
    config["metrics"] = [m for m in config["metrics"] if m["name"] in JUDGED]
    for metric in config["metrics"]:
        if metric["name"] == "p99_latency_seconds":
            metric["judge"]["min_difference"] = 0.01  # 10 ms: noise on a shared machine is less
    path = directory / "analysis.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Local]:
    """Two stable tasks of v1 behind HAProxy, and Prometheus; stopped whatever happens."""
    if shutil.which("haproxy", path="/usr/sbin:/usr/bin") is None:
        pytest.fail("haproxy is required (scripts/install-system-deps.sh installs it)")
    directory = tmp_path_factory.mktemp("local")
    state_dir = directory / "state"
    port = free_port()
    try:
        up = _openbid(
            "deploy", "local", "up", "--state-dir", str(state_dir), "--image", "v1",
            "--port", str(port), "--prometheus-port", str(free_port()),
            "--versions", str(_versions(directory)),
        )  # fmt: skip
        assert up.returncode == 0, up.stderr
        yield Local(state_dir, f"http://127.0.0.1:{port}/openrtb2/bid", _analysis(directory))
    finally:
        if (state_dir / "settings.json").exists():
            _openbid("deploy", "local", "down", "--state-dir", str(state_dir), timeout=60)


class Traffic:
    """The exchange simulator driving requests through HAProxy until stopped."""

    def __init__(self, bid_url: str) -> None:
        self._run = subprocess.Popen(
            [*OPENBID, "exchange", "run", "--bidder", bid_url, "--rate", str(RATE),
             "--duration", "100", "--connections", "4", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def stop(self) -> dict[str, Any]:
        """Interrupt the simulator; its report (empty if it printed none)."""
        if self._run.poll() is None:
            self._run.send_signal(signal.SIGINT)
        try:
            out, _ = self._run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self._run.kill()
            out, _ = self._run.communicate()
        report: dict[str, Any] = json.loads(out) if out and out.strip() else {}
        return report


@pytest.fixture
def traffic(local: Local) -> Iterator[Traffic]:
    """Traffic through HAProxy for the test's length; stopped whatever happens."""
    running = Traffic(local.bid_url)
    try:
        yield running
    finally:
        running.stop()


def _canary(local: Local, image: str) -> subprocess.CompletedProcess[str]:
    return _openbid(
        "deploy", "canary", "--platform", "local", "--state-dir", str(local.state_dir),
        "--image", image, "--weight", "30", "--analyze", ANALYZE, "--interval", "5s", "--auto",
        "--analysis", str(local.analysis),
    )  # fmt: skip


def _status(local: Local) -> dict[str, Any]:
    run = _openbid("deploy", "status", "--platform", "local", "--state-dir", str(local.state_dir),
                   "--json")  # fmt: skip
    assert run.returncode == 0, run.stderr
    status: dict[str, Any] = json.loads(run.stdout)
    return status


def _running_labels(status: dict[str, Any], role: str) -> list[str]:
    return [
        p["version"] for p in status["processes"] if p["role"] == role and p["state"] == "running"
    ]


def _connection_errors(report: dict[str, Any]) -> dict[str, int]:
    """What the simulator counted as errors other than the bidder's own 500s."""
    return {k: n for k, n in report["errors_by_status"].items() if k != "500"}


def test_a_good_canary_is_promoted_without_dropping_traffic(local: Local, traffic: Traffic) -> None:
    run = _canary(local, "v2")
    assert run.returncode == 0, run.stderr
    assert "promoted: the service runs" in run.stderr
    status = _status(local)
    assert status["phase"] == "idle"
    assert status["canary"] is None
    assert _running_labels(status, "stable") == ["v2", "v2"]
    assert _running_labels(status, "canary") == []
    assert [p["state"] for p in status["processes"][:2]] == ["running", "running"]
    report = traffic.stop()
    assert report["requests"] > RATE * 10
    assert report["errors"] == 0, report["errors_by_status"]


@pytest.mark.parametrize(
    ("image", "failing"),
    [
        ("v3-slow", "p99_latency_seconds"),
        ("v3-errors", "error_rate"),
        ("v3-overbid", "spend_per_mille_micros"),
    ],
)
def test_a_bad_canary_is_rolled_back(
    local: Local, traffic: Traffic, image: str, failing: str
) -> None:
    stable_before = _running_labels(_status(local), "stable")
    run = _canary(local, image)
    assert run.returncode == 3, run.stderr
    assert "rolled back: the service runs" in run.stderr
    assert failing in run.stderr.split("rolled back:", 1)[1]
    status = _status(local)
    assert status["phase"] == "idle"
    assert _running_labels(status, "canary") == []
    assert _running_labels(status, "stable") == stable_before
    assert status["listener"]["canary_weight"] == 0
    report = traffic.stop()
    assert report["requests"] > RATE * 5
    assert _connection_errors(report) == {}


def test_a_promotion_undone_by_hand_returns_the_stable_tasks_to_before(
    local: Local, traffic: Traffic
) -> None:
    state_dir = ["--platform", "local", "--state-dir", str(local.state_dir)]
    before = _status(local)
    canary = _openbid("deploy", "canary", "--image", "v4", "--weight", "20", *state_dir)
    assert canary.returncode == 0, canary.stderr
    assert _running_labels(_status(local), "canary") == ["v4"]
    promote = _openbid("deploy", "promote", *state_dir)
    assert promote.returncode == 0, promote.stderr
    assert _running_labels(_status(local), "stable") == ["v4", "v4"]
    rollback = _openbid("deploy", "rollback", *state_dir)
    assert rollback.returncode == 0, rollback.stderr
    after = _status(local)
    assert after["service"]["revision"] == before["service"]["revision"]
    assert _running_labels(after, "stable") == _running_labels(before, "stable")
    report = traffic.stop()
    assert report["errors"] == 0, report["errors_by_status"]
