"""Live reload under load: a catalog change is served within 2 s without a failed request, and a
corrupt catalog is rejected while the previous one keeps serving."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from openbid.catalog.load import DEMO_CATALOG
from openbid.exchange.bidder_process import LOOPBACK, BidderProcess
from openbid.exchange.samples import sample_paths

pytestmark = pytest.mark.e2e
DEMO_TEXT = (Path(__file__).parents[2] / "src/openbid/catalog" / DEMO_CATALOG).read_text()
REQUEST = next(p for p in sample_paths() if p.name.startswith("01-")).read_bytes()
OLD_CPM = "bid: {strategy: fixed_cpm, cpm: 1.80}"  # li-acme-display-us, which wins REQUEST


class SteadyClient(threading.Thread):
    """Sends REQUEST back to back on one keep-alive connection and keeps every outcome."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.statuses: Counter[int] = Counter()
        self.prices: list[tuple[float, float]] = []  # (monotonic time, price)
        self.stop = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=5)
        while not self.stop.is_set():
            conn.request("POST", "/openrtb2/bid", body=REQUEST)
            answer = conn.getresponse()
            body = answer.read()
            self.statuses[answer.status] += 1
            if answer.status == 200:
                price = json.loads(body)["seatbid"][0]["bid"][0]["price"]
                self.prices.append((time.monotonic(), price))
            time.sleep(0.002)
        conn.close()

    def first_time_priced(self, price: float, after: float) -> float | None:
        return next((t for t, p in self.prices if t >= after and p == price), None)


def _write(path: Path, text: str) -> float:
    staging = path.with_suffix(".tmp")
    staging.write_text(text)
    os.replace(staging, path)
    return time.monotonic()


def _catalog_version(port: int) -> str:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    conn.request("GET", "/readyz")
    version: str = json.loads(conn.getresponse().read())["catalog"]
    conn.close()
    return version


def test_live_reload_under_load(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(DEMO_TEXT)
    assert OLD_CPM in DEMO_TEXT
    with BidderProcess(["--catalog", str(catalog)], log_path=tmp_path / "serve.log") as bidder:
        client = SteadyClient(bidder.port)
        client.start()
        try:
            time.sleep(0.5)
            changed_at = _write(
                catalog, DEMO_TEXT.replace(OLD_CPM, OLD_CPM.replace("1.80", "2.40"))
            )
            deadline = changed_at + 2.0
            while time.monotonic() < deadline and client.first_time_priced(2.4, changed_at) is None:
                time.sleep(0.05)
            seen = client.first_time_priced(2.4, changed_at)
            assert seen is not None, "the new price was not served within 2 s"
            assert seen - changed_at <= 2.0
            good_version = _catalog_version(bidder.port)

            rejected_at = _write(catalog, "line_items: [{id: broken")
            time.sleep(2.5)
            assert _catalog_version(bidder.port) == good_version
            assert client.prices[-1][1] == 2.4
            assert client.prices[-1][0] > rejected_at + 2.0  # still bidding on the old catalog

            fixed_at = _write(catalog, DEMO_TEXT)
            time.sleep(2.0)
            assert client.first_time_priced(1.8, fixed_at) is not None
        finally:
            client.stop.set()
            client.join(10)
    assert set(client.statuses) == {200}, client.statuses
    assert client.statuses[200] > 100
    log = (tmp_path / "serve.log").read_text()
    assert "rejected, still serving the previous one" in log


def test_a_paused_line_item_in_the_store_stops_bidding(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    catalog_file = tmp_path / "catalog.yaml"
    catalog_file.write_text(DEMO_TEXT)
    for args in (["init"], ["load", str(catalog_file)]):
        done = subprocess.run(
            [sys.executable, "-m", "openbid", "catalog", *args, "--catalog-url", url],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    with BidderProcess(["--catalog-url", url], log_path=tmp_path / "serve.log") as bidder:
        client = SteadyClient(bidder.port)
        client.start()
        try:
            time.sleep(0.3)
            paused_at = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "openbid", "catalog", "pause", "li-acme-display-us",
                 "--catalog-url", url],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            time.sleep(2.5)
        finally:
            client.stop.set()
            client.join(10)
    # Paused, the US display line item (1.80) gives way to desktop display off news sites (1.10).
    assert client.first_time_priced(1.1, paused_at) is not None, client.prices[-5:]
    assert client.prices[-1][1] == 1.1
    assert set(client.statuses) == {200}, client.statuses
