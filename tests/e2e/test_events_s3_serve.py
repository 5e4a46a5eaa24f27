"""`openbid serve --events s3://...` against a `moto_server` on loopback: the bids a client
received are all in S3 after a graceful stop, under ``dt=.../hour=...``, and `openbid report`
reads them back from there."""

import http.client
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from openbid.cli import app
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port

pytestmark = pytest.mark.e2e
REQUEST = (
    Path(__file__).parents[1] / "fixtures/openrtb/bid-request/2.6/simple-banner.json"
).read_bytes()
BUCKET = "openbid-events-e2e"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PARTITIONED = re.compile(r"^bidder/dt=\d{4}-\d{2}-\d{2}/hour=\d{2}/events-[^/]+\.parquet$")


@pytest.fixture
def moto_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A `moto_server` process on a free loopback port, with the environment pointing at it."""
    port = free_port()
    moto = Path(sys.executable).parent / "moto_server"
    server = subprocess.Popen(
        [str(moto), "-H", LOOPBACK, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = http.client.HTTPConnection(LOOPBACK, port, timeout=1)
            try:
                probe.request("GET", "/")
                break
            except OSError:
                assert server.poll() is None, "moto_server exited"
                assert time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
            finally:
                probe.close()
        for name, value in CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def test_bids_reach_s3_partitioned_and_the_report_reads_them(moto_url: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket=BUCKET)
    events = f"s3://{BUCKET}/bidder?spool={tmp_path / 'spool'}"
    with BidderProcess(["--events", events], log_path=tmp_path / "serve.log") as bidder:
        bids = 0
        conn = http.client.HTTPConnection(LOOPBACK, bidder.port, timeout=5)
        for _ in range(25):
            conn.request("POST", "/openrtb2/bid", body=REQUEST)
            answer = conn.getresponse()
            body = answer.read()
            assert answer.status == 200
            bids += len(json.loads(body)["seatbid"][0]["bid"])
        conn.close()
        assert bidder.stop(timeout=30) == 0

    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys
    assert all(PARTITIONED.match(key) for key in keys), keys
    assert not list((tmp_path / "spool").rglob("*.parquet"))  # all uploaded, none left

    result = CliRunner().invoke(
        app, ["report", f"s3://{BUCKET}/bidder", "--json"], env=dict(os.environ)
    )
    assert result.exit_code == 0, result.output
    [total] = json.loads(result.stdout)["totals"]
    assert total["bids"] == bids == 25
