"""The `openbid` command: help for every option, readable errors, and each sub-command at work."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.exchange.bidder_process import BidderProcess

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"
SERVE_OPTIONS = [
    "--host", "--port", "--catalog", "--seat", "--notice-url", "--signing-keys",
    "--default-tmax-ms", "--network-margin-ms", "--max-body-kib", "--drain-seconds", "--log-level",
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
def test_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "openbid", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Every answer was a valid bid response" in result.stdout
    assert "cr-kettle-300x250" in result.stdout
