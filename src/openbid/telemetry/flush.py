"""The background task that exports metrics every few seconds, on the bidder's event loop.

It runs on the loop that serves bids, so it reads the aggregates without locks; each round
costs well under a millisecond (``bench/telemetry_overhead.py``) and is never per request.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence

log = logging.getLogger("openbid.telemetry")

DEFAULT_INTERVAL = 5.0  # seconds between exports


async def export_every(interval: float, exports: Sequence[Callable[[], None]]) -> None:
    """Call each of ``exports`` every ``interval`` seconds until cancelled, then once more."""
    try:
        while True:
            await asyncio.sleep(interval)
            _run(exports)
    finally:
        _run(exports)


def _run(exports: Sequence[Callable[[], None]]) -> None:
    for export in exports:
        try:
            export()
        except Exception:
            log.exception("metrics export failed")
