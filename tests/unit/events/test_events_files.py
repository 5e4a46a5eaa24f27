"""The local file sink: partitions by event hour, rotation by size and time, finished files
only under their final names, recovery of journals left by a dead writer, and both formats
readable by DuckDB."""

import os
import time
from pathlib import Path

import duckdb
import pytest
from event_streams import START_US, stream

from openbid.events.encode import FileFormat
from openbid.events.files import STAGING, FileSink
from openbid.events.partition import HOUR_US
from openbid.events.sink import encode_lines
from openbid.events.sources import local_files


def finished(root: Path) -> list[Path]:
    return local_files(root, None, None)


def count(files: list[Path]) -> int:
    parquet = [str(f) for f in files if f.suffix == ".parquet"]
    jsonl = [str(f) for f in files if f.name.endswith(".jsonl.gz")]
    total = 0
    with duckdb.connect() as db:
        if parquet:
            total += db.execute(f"SELECT count(*) FROM read_parquet({parquet})").fetchall()[0][0]
        if jsonl:
            query = f"SELECT count(*) FROM read_json({jsonl}, format = 'newline_delimited')"
            total += db.execute(query).fetchall()[0][0]
    return int(total)


@pytest.mark.parametrize("file_format", list(FileFormat))
def test_files_are_partitioned_by_event_hour_and_readable(
    tmp_path: Path, file_format: FileFormat
) -> None:
    events, _ = stream(1000, spacing_us=10_000_000)  # 10 s apart: about 3 hours
    sink = FileSink(tmp_path, file_format)
    sink.write(events)
    assert finished(tmp_path) == []  # journaled, not finished yet
    assert sink.close(time.monotonic() + 5)
    files = finished(tmp_path)
    hours = {event.ts // HOUR_US for event in events}
    assert len(files) == len(hours)
    assert {f.parent.relative_to(tmp_path).as_posix() for f in files} >= {
        "dt=2026-05-28/hour=20",
        "dt=2026-05-28/hour=21",
    }
    assert all(f.name.endswith(file_format.suffix) for f in files)
    assert count(files) == len(events)
    assert not list((tmp_path / STAGING).rglob("*.*"))


def test_rotation_by_size(tmp_path: Path) -> None:
    events, _ = stream(2000, spacing_us=1000)  # all in one hour
    sink = FileSink(tmp_path, FileFormat.JSONL, rotate_bytes=64 << 10)
    for start in range(0, len(events), 100):
        sink.write(events[start : start + 100])
    sink.close(time.monotonic() + 5)
    files = finished(tmp_path)
    size = len(encode_lines(events))  # a journal is finished once past 64 KiB: < 64 + one batch
    assert size // (64 << 10 + len(encode_lines(events[:100]))) <= len(files) <= size // (64 << 10)
    assert count(files) == len(events)


def test_rotation_by_time(tmp_path: Path) -> None:
    events, _ = stream(70, spacing_us=1000)
    assert len(events) > 50
    sink = FileSink(tmp_path, FileFormat.PARQUET, rotate_seconds=0.2)
    sink.write(events[:50])
    sink.tick()
    assert finished(tmp_path) == []
    time.sleep(0.25)
    sink.tick()
    assert count(finished(tmp_path)) == 50
    sink.write(events[50:])
    sink.close(time.monotonic() + 5)
    assert len(finished(tmp_path)) == 2
    assert count(finished(tmp_path)) == len(events)


def _orphan(root: Path, name: str, data: bytes) -> Path:
    journal = root / STAGING / "dt=2026-05-28/hour=20" / name
    journal.parent.mkdir(parents=True)
    journal.write_bytes(data)
    return journal


def test_a_dead_writers_journal_is_finished_on_start_without_its_torn_line(
    tmp_path: Path,
) -> None:
    events, _ = stream(40, spacing_us=1000)
    lines = encode_lines(events)
    journal = _orphan(tmp_path, "events-x-00001.jsonl", lines + b'{"schema_version":1,"ev')
    (journal.parent / "events-x-00001.parquet.tmp").write_bytes(b"PAR1 half a file")
    sink = FileSink(tmp_path, FileFormat.PARQUET)
    assert sink.recovered == 1
    files = finished(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "dt=2026-05-28/hour=20/events-x-00001.parquet"
    ]
    assert count(files) == len(events)
    assert not journal.exists()
    assert not list(journal.parent.iterdir())


def test_recovery_never_writes_an_event_twice(tmp_path: Path) -> None:
    events, _ = stream(10, spacing_us=1000)
    journal = _orphan(tmp_path, "events-y-00001.jsonl", encode_lines(events))
    final = tmp_path / "dt=2026-05-28/hour=20/events-y-00001.jsonl.gz"
    final.parent.mkdir(parents=True)
    final.write_bytes(b"already published")  # the crash came between rename and delete
    assert FileSink(tmp_path, FileFormat.PARQUET).recovered == 0
    assert not journal.exists()
    assert final.read_bytes() == b"already published"


def test_a_live_writers_journal_is_left_alone(tmp_path: Path) -> None:
    events, _ = stream(10, spacing_us=1000)
    live = FileSink(tmp_path, FileFormat.PARQUET)
    live.write(events)
    other = FileSink(tmp_path, FileFormat.PARQUET)
    assert other.recovered == 0
    assert finished(tmp_path) == []
    live.close(time.monotonic() + 5)
    assert count(finished(tmp_path)) == len(events)


def test_staging_and_temporary_files_are_never_listed(tmp_path: Path) -> None:
    visible = tmp_path / "dt=2026-05-28/hour=20/events-a.parquet"
    hidden = [
        tmp_path / STAGING / "dt=2026-05-28/hour=20/events-b.parquet",
        tmp_path / "dt=2026-05-28/hour=20/.events-c.parquet",
        tmp_path / "_temporary/events-d.parquet",
        tmp_path / "dt=2026-05-28/hour=20/events-e.parquet.tmp",
    ]
    for path in [visible, *hidden]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert finished(tmp_path) == [visible]


def test_journal_hour_is_the_events_not_the_clocks(tmp_path: Path) -> None:
    events, _ = stream(5, start_us=START_US - 7 * HOUR_US, spacing_us=1000)
    sink = FileSink(tmp_path, FileFormat.JSONL)
    sink.write(events)
    sink.close(time.monotonic() + 5)
    assert [f.parent.name for f in finished(tmp_path)] == ["hour=13"]
    assert os.listdir(tmp_path / "dt=2026-05-28") == ["hour=13"]
