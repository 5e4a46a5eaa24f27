"""The `openbid` command: help for every option, readable errors, and each sub-command at work."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.exchange.bidder_process import BidderProcess, free_port

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"
SERVE_OPTIONS = [
    "--host", "--port", "--catalog", "--seat", "--notice-url", "--signing-keys",
    "--default-tmax-ms", "--network-margin-ms", "--max-body-kib", "--drain-seconds", "--log-level",
    "--catalog-url", "--exchanges", "--reload-seconds",
]  # fmt: skip


def test_serve_help_documents_every_option() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in SERVE_OPTIONS:
        assert option in result.output


def test_a_wrong_flag_is_a_readable_error() -> None:
    result = runner.invoke(app, ["serve", "--prot", "80"])
    assert result.exit_code == 2
    assert "No such option: --prot" in result.output
    assert "Traceback" not in result.output


def test_bad_signing_keys_are_a_readable_error() -> None:
    result = runner.invoke(app, ["serve", "--signing-keys", "nocolon"])
    assert result.exit_code == 2
    assert "Invalid value for --signing-keys" in result.output


def test_serve_refuses_a_bad_catalog_naming_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("line_items:\n  - {id: li-1, campaign_id: nope}\n")
    result = runner.invoke(app, ["serve", "--catalog", str(bad)])
    assert result.exit_code == 2
    assert "line_items[0]: object missing required field `name`" in result.output


def test_catalog_validate() -> None:
    result = runner.invoke(app, ["catalog", "validate"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "line items" in result.output
    assert "20" in result.output


def test_catalog_validate_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"campaigns": [{"id": "c", "advertiser_id": "x", "name": "c"}]}))
    result = runner.invoke(app, ["catalog", "validate", str(bad)])
    assert result.exit_code == 2
    assert "campaigns[0].advertiser_id: unknown advertiser 'x'" in result.output


@pytest.mark.e2e
def test_exchange_replay(bidder_process: BidderProcess) -> None:
    files = [str(p) for p in sorted((FIXTURES / "openrtb").glob("bid-request/2.6/*.json"))]
    result = runner.invoke(
        app, ["exchange", "replay", *files, "--bidder", bidder_process.bid_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["requests"] == 5
    assert summary["failures"] == []
    assert summary["bids"] == 5


def test_exchange_replay_missing_file() -> None:
    result = runner.invoke(app, ["exchange", "replay", "/nonexistent.json"])
    assert result.exit_code == 2
    assert "no such file" in result.output


@pytest.mark.e2e
def test_exchange_run_json(bidder_process: BidderProcess) -> None:
    result = runner.invoke(
        app,
        [
            *("exchange", "run", "--bidder", bidder_process.bid_url, "--rate", "100"),
            *("--duration", "2", "--seed", "3", "--json"),
            *("--corpus", str(FIXTURES / "openrtb" / "bid-request" / "2.6" / "simple-banner.json")),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["requests"] == 200
    counted = ("bids", "no_bids", "timeouts", "errors")
    assert sum(summary[key] for key in counted) == summary["requests"]
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "p99.9", "max", "mean"}
    assert summary["by_campaign"]
    assert "corpus" in summary["by_traffic"]


@pytest.mark.e2e
def test_exchange_run_tables(bidder_process: BidderProcess) -> None:
    result = runner.invoke(
        app,
        ["exchange", "run", "--bidder", bidder_process.bid_url, "--rate", "50", "--duration", "1"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    for title in ("Requests", "Latency", "Auctions", "Spend by campaign", "Notices"):
        assert title in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "0"], "Invalid value for '--rate'"),
        (["--shape", "square"], "Invalid value for '--shape'"),
        (["--bidder", "ftp://x/bid"], "not an http(s) URL"),
        (["--profile", "/nonexistent.yaml"], "does not exist"),
        (["--corpus", "/nonexistent.jsonl"], "no such file"),
    ],
)
def test_exchange_run_bad_flags_are_readable(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["exchange", "run", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_exchange_run_bad_profile_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "profile.yaml"
    bad.write_text("render_rate: often\n")
    result = runner.invoke(app, ["exchange", "run", "--profile", str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "Expected `float`, got `str` - at `$.render_rate`" in result.output


def test_exchange_run_unreachable_bidder() -> None:
    bidder = f"http://127.0.0.1:{free_port()}/openrtb2/bid"
    done = subprocess.run(
        [sys.executable, "-m", "openbid", "exchange", "run", "--bidder", bidder],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert f"cannot connect to {bidder}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.e2e
def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openbid", "demo", "--duration", "4", "--rate", "100"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every answer was a valid bid response" in result.stdout
    assert "cr-kettle-300x250" in result.stdout
    assert "400 requests to" in result.stdout
    for title in ("Latency", "Spend by advertiser", "Spend by campaign", "Notices"):
        assert title in result.stdout
    assert "cmp-acme-spring" in result.stdout
    assert "openbid serve stopped." in result.stdout
    assert "3. The event log: openbid report" in result.stdout
