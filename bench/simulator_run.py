"""One `openbid exchange run` against a bidder, as the benchmarks drive it: its JSON report."""

import json
import subprocess
import sys
from typing import Any


def run_exchange(bid_url: str, rate: float, seconds: float, *options: str) -> dict[str, Any]:
    """Offer ``rate`` requests a second for ``seconds`` (plus simulator ``options``); the
    simulator's report. Raises RuntimeError when it printed none."""
    result = subprocess.run(
        [
            sys.executable, "-m", "openbid", "exchange", "run", "--bidder", bid_url,
            "--rate", str(rate), "--duration", str(seconds), "--json", *options,
        ],
        capture_output=True, text=True, timeout=seconds + 120, check=False,
    )  # fmt: skip
    if not result.stdout.strip():
        raise RuntimeError(f"exchange run printed no report: {result.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(result.stdout)
    return report
