"""The 60-second soak (bench/soak.py): one bidder under steady simulator traffic keeps its memory
flat after warm-up, its p99 steady, and answers every request without an error or a timeout."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SOAK = Path(__file__).parents[2] / "bench" / "soak.py"


def test_a_minute_of_traffic_leaves_the_bidder_as_it_found_it() -> None:
    done = subprocess.run(
        [
            sys.executable, str(SOAK), "--duration", "60", "--window", "15", "--rate", "400",
            "--max-rss-growth", "0.05", "--p99-floor-ms", "50", "--json",
        ],
        capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    figures = json.loads(done.stdout)
    assert figures["problems"] == [], figures
    assert done.returncode == 0
    assert [w["errors"] + w["timeouts"] for w in figures["windows"]] == [0, 0, 0, 0]
