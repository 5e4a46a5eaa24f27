"""Secrets never reach a log line, an event or the admin API: a full run at debug level — bids,
notices, admin calls, a bad token, a reload-free stop — is searched for the signing secret, the
admin token and the Redis password."""

import gzip
import http.client
import json
import subprocess
import sys
from pathlib import Path

import pytest

from openbid.exchange.bidder_process import LOOPBACK, BidderProcess, free_port

pytestmark = pytest.mark.e2e
SIGNING_SECRET = "s3cr3t-signing-0123456789abcdef"
OLD_SECRET = "old-s3cr3t-signing-fedcba9876543210"
ADMIN_TOKEN = "t0ken-admin-5f1d2c3b4a"
SECRETS = (SIGNING_SECRET, OLD_SECRET, ADMIN_TOKEN)


def _admin(port: int, path: str, token: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_a_full_run_never_writes_a_secret(tmp_path: Path) -> None:
    admin_port = free_port()
    log = tmp_path / "serve.log"
    events = tmp_path / "events"
    args = [
        "--signing-keys", f"new:{SIGNING_SECRET},old:{OLD_SECRET}",
        "--admin-token", ADMIN_TOKEN, "--admin-port", str(admin_port),
        "--events", f"{events}/?format=jsonl", "--log-level", "debug",
    ]  # fmt: skip
    with BidderProcess(args, log_path=log) as bidder:
        sim = subprocess.run(
            [
                sys.executable, "-m", "openbid", "exchange", "run", "--bidder", bidder.bid_url,
                "--rate", "200", "--duration", "3", "--json",
            ],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert json.loads(sim.stdout)["bids"] > 0
        answers = [_admin(admin_port, path, ADMIN_TOKEN) for path in ("/status", "/metrics")]
        assert [status for status, _ in answers] == [200, 200]
        assert _admin(admin_port, "/status", "wrong-" + ADMIN_TOKEN)[0] == 401
    written = [log.read_text(errors="replace"), *(body.decode() for _, body in answers)]
    event_files = [path for path in events.rglob("*.gz") if path.is_file()]
    assert event_files, "the run wrote events"
    written += [gzip.decompress(path.read_bytes()).decode() for path in event_files]
    written += [sim.stdout, sim.stderr]
    assert "listening on" in written[0], "the run logged"
    leaked = {secret for secret in SECRETS for text in written if secret in text}
    assert leaked == set()
