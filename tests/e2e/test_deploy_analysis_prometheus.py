"""Canary analysis on one machine against a real Prometheus server: `openbid serve` tasks
labelled stable, canary (the same version) and overbid (every price tripled), each driven by the
exchange simulator and scraped by Prometheus; `openbid deploy analyze` passes the same version
and fails the overbidding one on its spend."""

import http.client
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from openbid.deploy.analysis.config import DEFAULT_ANALYSIS
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
TOKEN = "analysis-e2e-token"
SIGNING = ["--signing-keys", "e2e:0123456789abcdef0123"]
DEMO_CATALOG = Path(__file__).parents[2] / "src/openbid/catalog/demo-catalog.yaml"
TRAFFIC_SECONDS = 20
RATE = 40
JUDGED = ("error_rate", "deadline_miss_rate", "bid_rate", "win_rate", "spend_per_mille_micros")


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def overbidding_catalog(directory: Path) -> Path:
    """The demo catalog with every CPM tripled."""
    text = re.sub(
        r"cpm: (\d+(?:\.\d+)?)",
        lambda m: f"cpm: {float(m.group(1)) * 3:.2f}",
        DEMO_CATALOG.read_text(),
    )
    path = directory / "overbid-catalog.yaml"
    path.write_text(text)
    return path


def start_task(
    stack: ExitStack, monkeypatch: pytest.MonkeyPatch, tmp: Path, name: str, *args: str
) -> tuple[BidderProcess, int]:
    """One bidder task labelled ``name``; its admin port."""
    admin = free_port()
    monkeypatch.setenv("OPENBID_DEPLOYMENT", name)
    process = BidderProcess(
        [*SIGNING, "--admin-token", TOKEN, "--admin-port", str(admin), "--metrics-interval",
         "0.2", "--events", str(tmp / f"events-{name}"), *args],
        log_path=tmp / f"serve-{name}.log",
    )  # fmt: skip
    stack.enter_context(process)
    return process, admin


@pytest.fixture
def prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if found is None:
        pytest.fail("prometheus is required (scripts/install-system-deps.sh installs it)")
    return found


def start_prometheus(stack: ExitStack, binary: str, tmp: Path, targets: list[int]) -> str:
    """A Prometheus server scraping ``targets`` (admin ports) every second; its URL."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "openbid",
                "authorization": {"credentials": TOKEN},
                "static_configs": [{"targets": [f"{LOOPBACK}:{p}" for p in targets]}],
            }
        ],
    }
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    log = (tmp / "prometheus.log").open("wb")
    stack.callback(log.close)
    process = subprocess.Popen(
        [binary, f"--config.file={path}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address={LOOPBACK}:{port}"],
        stdout=log, stderr=log,
    )  # fmt: skip

    def stop() -> None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    deadline = time.monotonic() + 30
    while _get(port, "/-/ready")[0] != 200:
        assert process.poll() is None, (tmp / "prometheus.log").read_text()
        assert time.monotonic() < deadline, "prometheus not ready in 30 s"
        time.sleep(0.2)
    return f"http://{LOOPBACK}:{port}"


def simulator(bidder: BidderProcess, seed: int) -> list[str]:
    """``openbid exchange run`` against one task."""
    return [
        sys.executable, "-m", "openbid", "exchange", "run", "--bidder", bidder.bid_url,
        "--rate", str(RATE), "--duration", str(TRAFFIC_SECONDS), "--seed", str(seed),
        "--connections", "4", "--json",
    ]  # fmt: skip


def drive(bidders: list[BidderProcess]) -> None:
    """The exchange simulator against every task at once, as a load balancer would spread it."""
    runs = [
        subprocess.Popen(simulator(b, seed), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for seed, b in enumerate(bidders, start=1)
    ]
    for run in runs:
        out, _ = run.communicate(timeout=TRAFFIC_SECONDS + 60)
        assert run.returncode == 0, out[-2000:]


def analysis_config(tmp: Path, prometheus: str, canary: str) -> Path:
    """The packaged config cut to a compressed window and the metrics traffic decides here."""
    config: dict[str, Any] = yaml.safe_load(
        DEFAULT_ANALYSIS.read_text().replace(
            "{{ env('OPENBID_PROMETHEUS_URL', 'http://127.0.0.1:9090') }}", prometheus
        )
    )
    config["prometheus"].update(canary=f'deployment="{canary}"', rate_interval="4s")
    config.update(window=f"{TRAFFIC_SECONDS - 6}s", step="1s", min_points=5)
    config["metrics"] = [m for m in config["metrics"] if m["name"] in JUDGED]
    path = tmp / f"analysis-{canary}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def analyze(config: Path) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "openbid", "deploy", "analyze", "--analysis", str(config), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "Traceback" not in run.stderr, run.stderr
    judgement: dict[str, Any] = json.loads(run.stdout)
    assert (
        run.returncode
        == {"pass": 0, "fail": 3, "marginal": 4, "inconclusive": 5}[judgement["verdict"]]
    )
    return judgement


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prometheus_binary: str) -> Iterator[str]:
    """Two stable tasks, a canary of the same version and an overbidding one, all scraped and
    driven with traffic; the Prometheus URL."""
    with ExitStack() as stack:
        overbid = overbidding_catalog(tmp_path)
        started = [
            start_task(stack, monkeypatch, tmp_path, "stable"),
            start_task(stack, monkeypatch, tmp_path, "stable"),
            start_task(stack, monkeypatch, tmp_path, "canary"),
            start_task(stack, monkeypatch, tmp_path, "overbid", "--catalog", str(overbid)),
        ]
        url = start_prometheus(stack, prometheus_binary, tmp_path, [admin for _, admin in started])
        drive([process for process, _ in started])
        yield url


def test_the_same_version_passes_and_an_overbidding_one_fails(tasks: str, tmp_path: Path) -> None:
    same = analyze(analysis_config(tmp_path, tasks, "canary"))
    points = {m["name"]: (m["canary"]["points"], m["baseline"]["points"]) for m in same["metrics"]}
    assert all(c >= 5 and b >= 5 for c, b in points.values()), points
    assert same["verdict"] in ("pass", "marginal"), same

    overbid = analyze(analysis_config(tmp_path, tasks, "overbid"))
    assert overbid["verdict"] == "fail", overbid
    spend = next(m for m in overbid["metrics"] if m["name"] == "spend_per_mille_micros")
    assert spend["classification"] == "high", spend
