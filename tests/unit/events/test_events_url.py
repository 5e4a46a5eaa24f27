"""``--events`` URLs: each names its sink; bad ones say what is wrong."""

import io
import time
from pathlib import Path

import msgspec
import pytest
from event_streams import stream

from openbid.events.encode import FileFormat
from openbid.events.files import FileSink
from openbid.events.log import open_event_log
from openbid.events.stdout import StdoutSink
from openbid.events.url import EventsUrlError, open_sink


def test_none_disables_the_log() -> None:
    assert open_sink("none") is None
    assert open_event_log("none") is None


def test_paths_and_file_urls_with_options(tmp_path: Path) -> None:
    plain = open_sink(str(tmp_path / "a"))
    assert isinstance(plain, FileSink)
    assert plain.format is FileFormat.PARQUET
    url = open_sink(f"file://{tmp_path}/b?format=jsonl&rotate_seconds=5&rotate_mb=1")
    assert isinstance(url, FileSink)
    assert url.format is FileFormat.JSONL
    assert url.root == tmp_path / "b"
    query = open_sink(f"{tmp_path}/c?format=jsonl")
    assert isinstance(query, FileSink)
    assert query.root == tmp_path / "c"


def test_stdout_sink_writes_json_lines() -> None:
    assert isinstance(open_sink("stdout"), StdoutSink)
    buffer = io.BytesIO()
    events, _ = stream(5)
    sink = StdoutSink(buffer)
    sink.write(events)
    assert sink.close(time.monotonic())
    lines = buffer.getvalue().splitlines()
    assert [msgspec.json.decode(line)["event_id"] for line in lines] == [e.event_id for e in events]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/", "events go to none, stdout, a directory, or s3://"),
        ("./x?format=csv", "format must be parquet or jsonl"),
        ("./x?rotate_mb=0", "rotate_mb must be above 0"),
        ("./x?rotate_seconds=soon", "rotate_seconds must be a number"),
        ("./x?spool=/tmp", "unknown option spool"),
        ("s3://", "an S3 URL is s3://BUCKET"),
        ("s3://bucket/p?format=xml", "format must be parquet or jsonl"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(EventsUrlError, match=message):
        open_sink(url.replace("./x", str(tmp_path / "x")))
