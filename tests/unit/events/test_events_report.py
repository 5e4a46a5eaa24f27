"""``openbid report`` against a generated stream whose totals the test knows: per campaign,
filtered, in a time range, by hour; CSV, JSON, the chart, and readable errors."""

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from event_streams import START_US, Totals, stream
from typer.testing import CliRunner

from openbid.cli import app
from openbid.events.encode import FileFormat
from openbid.events.files import STAGING, FileSink
from openbid.events.schema import Event, EventKind

runner = CliRunner()


def write_log(root: Path, events: list[Event]) -> None:
    """Half the events as gzip JSON Lines, half as Parquet, plus a torn file in staging."""
    middle = len(events) // 2
    for part, file_format in (
        (events[:middle], FileFormat.JSONL),
        (events[middle:], FileFormat.PARQUET),
    ):
        sink = FileSink(root, file_format)
        sink.write(part)
        sink.close(time.monotonic() + 5)
    torn = root / STAGING / "dt=2026-05-28/hour=20/events-torn.parquet.tmp"
    torn.parent.mkdir(parents=True, exist_ok=True)
    torn.write_bytes(b"PAR1 and then nothing")


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Event], Totals]:
    root = tmp_path_factory.mktemp("events")
    events, totals = stream(4000)
    write_log(root, events)
    return root, events, totals


def run_json(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["report", *args, "--json"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_numbers_per_campaign_match_the_stream(log_dir: tuple[Path, list[Event], Totals]) -> None:
    root, _, totals = log_dir
    document = run_json(str(root))
    assert document["currency"] == "USD"
    rows = {row["campaign"]: row for row in document["rows"]}
    expected = {name: tally for name, tally in totals.by_campaign.items() if name}
    assert set(rows) == set(expected)
    for name, tally in expected.items():
        row = rows[name]
        assert row["bids"] == tally["bid"]
        assert row["wins"] == tally["win"]
        assert row["bills"] == tally["bill"]
        assert row["impressions"] == tally["impression"]
        assert row["clicks"] == tally["click"]
        assert row["spend"] == pytest.approx(tally["spend"] / 1e9, abs=1e-6)
        assert row["win_rate"] == pytest.approx(tally["win"] / tally["bid"])
        assert row["ctr"] == pytest.approx(tally["click"] / tally["impression"])
        assert row["ecpm"] == pytest.approx(tally["spend"] / 1e6 / tally["impression"], abs=1e-5)
    [total] = document["totals"]
    assert total["bids"] == totals.kinds["bid"]
    assert total["spend"] == pytest.approx(totals.kinds["spend"] / 1e9, abs=1e-6)


def test_filters_and_time_range(log_dir: tuple[Path, list[Event], Totals]) -> None:
    root, events, _ = log_dir
    start_us, end_us = START_US + 3600 * 10**6, START_US + 3 * 3600 * 10**6
    start = datetime.fromtimestamp(start_us / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    end = datetime.fromtimestamp(end_us / 1e6, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    campaign_of = {e.bid_id: e.campaign for e in events if e.kind is EventKind.BID}
    inside = [
        e
        for e in events
        if start_us <= e.ts < end_us and campaign_of.get(e.bid_id) == "cmp-fjord-ctv"
    ]
    document = run_json(
        str(root), "--from", start, "--to", end, "--campaign", "cmp-fjord-ctv", "--by", "exchange"
    )
    rows = document["rows"]
    assert {row["exchange"] for row in rows} <= {"adx", "rubicon", "default"}
    assert sum(row["bids"] for row in rows) == sum(e.kind is EventKind.BID for e in inside)
    assert sum(row["wins"] for row in rows) == sum(e.kind is EventKind.WIN for e in inside)
    spend = sum(e.clearing_price_micros or 0 for e in inside if e.kind is EventKind.BILL)
    assert document["totals"][0]["spend"] == pytest.approx(spend / 1e9, abs=1e-6)


def test_by_hour_rows_add_up_and_come_in_time_order(
    log_dir: tuple[Path, list[Event], Totals],
) -> None:
    root, _, totals = log_dir
    rows = run_json(str(root), "--by", "hour")["rows"]
    hours = [row["hour"] for row in rows]
    assert hours == sorted(hours)
    assert hours[0] == "2026-05-28 20:00"
    assert sum(row["clicks"] for row in rows) == totals.kinds["click"]


def test_csv_and_table(log_dir: tuple[Path, list[Event], Totals]) -> None:
    root, _, totals = log_dir
    result = runner.invoke(app, ["report", str(root), "--by", "line-item", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sum(int(row["bids"]) for row in rows) == totals.kinds["bid"]
    assert "li-acme-display-us" in {row["line_item"] for row in rows}
    table = runner.invoke(app, ["report", f"file://{root}"])
    assert table.exit_code == 0, table.output
    assert "cmp-acme-spring" in table.stdout
    assert "total" in table.stdout
    assert "money in USD" in table.stdout


def test_chart_is_a_png(log_dir: tuple[Path, list[Event], Totals], tmp_path: Path) -> None:
    root, _, _ = log_dir
    chart = tmp_path / "spend.png"
    result = runner.invoke(app, ["report", str(root), "--chart", str(chart), "--csv"])
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 20_000


def test_no_match_is_an_empty_report_not_an_error(
    log_dir: tuple[Path, list[Event], Totals],
) -> None:
    root, _, _ = log_dir
    result = runner.invoke(app, ["report", str(root), "--campaign", "nope", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"] == []
    assert "no events match" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["/no/such/dir"], 1, "no event log at /no/such/dir"),
        (["--csv", "--json"], 2, "give --csv or --json, not both"),
        (["--from", "2026-05-02", "--to", "2026-05-01"], 2, "--from must be before --to"),
        (["--from", "yesterday"], 2, "Invalid value for '--from'"),
        (["http://example.com/x"], 1, "give a directory, a file:// URL or an s3:// URL"),
        (["s3://"], 1, "an S3 URL is s3://BUCKET"),
    ],
)
def test_errors_are_readable(
    args: list[str], code: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "openbid-events").mkdir()
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_empty_log_says_so(tmp_path: Path) -> None:
    (tmp_path / STAGING).mkdir()
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert f"no event files in {tmp_path}" in result.stderr
