"""A writer killed with SIGKILL mid-write: the report reads every finished file and never a
partial one, and the next writer on the directory recovers everything that was handed to the
sink before the kill (so a crash loses at most the batch window being collected).

The child process emits numbered ``bid`` events as fast as it can into small, fast-rotating
Parquet files, calls ``flush`` after every 200 and prints how many were flushed; the parent
kills it at an arbitrary moment while files are being encoded and renamed.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.events.encode import FileFormat
from openbid.events.files import FileSink
from openbid.events.sources import local_files

CHILD = """
import sys
from openbid.events.build import EventBuilder, Origin
from openbid.events.log import open_event_log
from openbid.events.schema import Deployment

log = open_event_log(sys.argv[1] + "?rotate_seconds=0.3&rotate_mb=0.5", batch_window=0.05)
build = EventBuilder(Origin("test", Deployment.STABLE, "crash"))
n = 0
while True:
    for _ in range(200):
        log.emit(build.bid(auction_id=str(n), imp_id="1", bid_id=f"b{n}", exchange="x",
                           line_item="li", campaign="c", advertiser="a", creative="cr",
                           price_micros=1_000_000, currency="USD"))
        n += 1
    log.flush()
    print(n, flush=True)
"""


def numbers(root: Path) -> list[int]:
    files = [str(path) for path in local_files(root, None, None)]
    if not files:
        return []
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT auction_id::BIGINT FROM read_parquet({files}) ORDER BY 1"
        ).fetchall()
    return [int(row[0]) for row in rows]


@pytest.mark.parametrize("run_seconds", [0.3, 0.9, 1.7])
def test_sigkill_leaves_no_partial_file_and_loses_only_the_last_window(
    tmp_path: Path, run_seconds: float
) -> None:
    root = tmp_path / "events"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline(), "the writer process died by itself"  # it is writing now
    time.sleep(run_seconds)
    assert child.poll() is None, "the writer process died by itself"
    os.kill(child.pid, signal.SIGKILL)
    output, _ = child.communicate(timeout=10)
    flushed = int(output.split()[-1])

    result = CliRunner().invoke(app, ["report", str(root), "--json"])
    assert result.exit_code == 0, result.output
    visible = numbers(root)
    assert visible == sorted(set(visible))  # no event twice
    [total] = json.loads(result.stdout)["totals"] or [{"bids": 0}]
    assert total["bids"] == len(visible)

    recovered = FileSink(root, FileFormat.PARQUET)
    recovered.close(time.monotonic() + 5)
    after = numbers(root)
    assert after == list(range(len(after)))  # nothing lost before the end, nothing doubled
    assert len(after) >= flushed
