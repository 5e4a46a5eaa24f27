"""The S3 event sink against a moto server on loopback: partitioned keys, multipart uploads,
spilling to local disk while S3 is unreachable and uploading by itself once it is back, and
``openbid report`` reading s3:// by download.

The moto server is the deploy tests' (``moto_fixtures.MotoServer``). "Unreachable" is a gate
between the sink and moto: a loopback port that resets every connection while closed and
forwards them while open, so the sink keeps one endpoint URL throughout, as in an outage.
"""

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from typer.testing import CliRunner

from openbid.cli import app
from openbid.events.encode import FileFormat
from openbid.events.files import FileSink
from openbid.events.log import open_event_log
from openbid.events.s3 import S3Sink, S3Uploader

from .moto_fixtures import CREDENTIALS, REGION, MotoServer

# The event stream generator lives with the unit tests of events (their directory is on the
# import path only when they are collected too).
sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "events"))
from event_streams import stream

BUCKET = "openbid-events-test"
MIB = 1 << 20


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    client = boto3.client("s3", endpoint_url=moto.url, region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    yield client
    moto.reset()


class Gate:
    """A loopback TCP port forwarding to ``upstream`` while open, resetting while closed."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.open = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.open:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                end.close()

    def close(self) -> None:
        """Stop listening."""
        self._listener.close()


def keys(client: object, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_events_land_partitioned_and_the_report_reads_them(s3: object, tmp_path: Path) -> None:
    events, totals = stream(2000, spacing_us=5_000_000)  # about 3 hours
    log = open_event_log(f"s3://{BUCKET}/bidder/prod?spool={tmp_path / 'spool'}&format=jsonl")
    assert log is not None
    for event in events:
        assert log.emit(event)
    assert log.close(timeout=30)
    stored = keys(s3, "bidder/prod/")
    assert stored
    assert all(key.endswith(".jsonl.gz") for key in stored)
    assert "bidder/prod/dt=2026-05-28/hour=21/" in {key.rsplit("/", 1)[0] + "/" for key in stored}
    assert not [p for p in (tmp_path / "spool").rglob("*") if p.is_file()]

    result = CliRunner().invoke(app, ["report", f"s3://{BUCKET}/bidder/prod", "--json"])
    assert result.exit_code == 0, result.output
    [total] = json.loads(result.stdout)["totals"]
    assert total["bids"] == totals.kinds["bid"]
    assert total["clicks"] == totals.kinds["click"]
    assert total["spend"] == pytest.approx(totals.kinds["spend"] / 1e9, abs=1e-6)


def test_large_files_go_up_in_parts(s3: object, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    big = spool / "dt=2026-05-28/hour=20/events-big.parquet"
    big.parent.mkdir(parents=True)
    big.write_bytes(os.urandom(11 * MIB))
    transfer = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    uploader = S3Uploader(s3, BUCKET, "p", spool, transfer)  # type: ignore[arg-type]
    assert uploader.close(time.monotonic() + 30)
    head = s3.head_object(Bucket=BUCKET, Key="p/dt=2026-05-28/hour=20/events-big.parquet")  # type: ignore[attr-defined]
    assert head["ContentLength"] == 11 * MIB
    assert head["ETag"].strip('"').endswith("-3")  # a multipart upload of three parts


def test_spills_while_s3_is_down_and_uploads_by_itself_when_back(
    s3: object, moto: MotoServer, tmp_path: Path
) -> None:
    host, port = moto.url.removeprefix("http://").split(":")
    gate = Gate((host, int(port)))
    client = boto3.client(
        "s3",
        endpoint_url=gate.url,
        region_name=REGION,
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
    )
    spool = tmp_path / "spool"
    uploader = S3Uploader(client, BUCKET, "spill", spool, TransferConfig(), max_backoff=0.3)
    sink = S3Sink(FileSink(spool, FileFormat.PARQUET, on_finished=uploader.notify), uploader)
    events, _ = stream(300, spacing_us=30_000_000)
    sink.write(events)
    sink.tick()
    sink._files.close(time.monotonic())  # finish the files; the uploader is still running
    deadline = time.monotonic() + 10
    while uploader.failures < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uploader.failures >= 2
    spilled = uploader.pending()
    assert spilled
    assert keys(s3, "spill/") == []

    gate.open = True
    deadline = time.monotonic() + 15
    while uploader.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uploader.pending() == []
    assert len(keys(s3, "spill/")) == len(spilled)
    assert sink.close(time.monotonic() + 5)
    gate.close()


def test_report_on_a_missing_bucket_is_readable(s3: object) -> None:
    result = CliRunner().invoke(app, ["report", "s3://no-such-bucket/x"])
    assert result.exit_code == 1
    assert "cannot read s3://no-such-bucket/x" in result.stderr
    assert "NoSuchBucket" in result.stderr
