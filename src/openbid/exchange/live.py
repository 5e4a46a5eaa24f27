"""Live progress while a run goes: elapsed time, requests, bids, wins, timeouts, errors, p99."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from openbid.exchange.stats import Stats

REFRESH = 0.25  # seconds between updates


def _status(stats: Stats, elapsed: float) -> str:
    rate = stats.requests / elapsed if elapsed > 0 else 0.0
    p99 = stats.latency_ms(99) if stats.latency.get_total_count() else 0.0
    return (
        f"{stats.requests:,} sent ({rate:,.0f}/s)  {stats.bids:,} bids  {stats.imps_won:,} wins  "
        f"{stats.timeouts:,} timeouts  {stats.errors:,} errors  p99 {p99:.1f} ms"
    )


@contextlib.asynccontextmanager
async def live_progress(stats: Stats, duration: float, console: Console) -> AsyncIterator[None]:
    """Show a progress bar over ``duration`` with the running counts, until the block ends."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        auto_refresh=False,
        transient=True,
    )
    task = progress.add_task("exchange", total=duration, status="")

    async def refresh() -> None:
        while True:
            elapsed = max(0.0, time.monotonic() - stats.started)
            status = _status(stats, min(elapsed, duration))
            progress.update(task, completed=min(elapsed, duration), status=status, refresh=True)
            await asyncio.sleep(REFRESH)

    with progress:
        updater = asyncio.get_running_loop().create_task(refresh())
        try:
            yield
        finally:
            updater.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await updater
