"""One simulation from start to finish: the load generator on a fresh event loop, live progress,
and Ctrl-C stopping the sending (the answers still due are waited for and reported)."""

import asyncio
import contextlib
import signal

from rich.console import Console

from openbid.exchange import eventloop
from openbid.exchange.live import live_progress
from openbid.exchange.loadgen import LoadGenerator, RunConfig
from openbid.exchange.profile import Profile
from openbid.exchange.stats import Stats
from openbid.exchange.traffic import Traffic


def simulate(
    config: RunConfig, profile: Profile, corpus: list[bytes], progress: Console | None = None
) -> Stats:
    """Run the simulation; progress on ``progress`` if given. Raises BidderUnreachable."""
    stats = Stats(profile.rates())
    generator = LoadGenerator(config, profile, Traffic(profile, config.seed, corpus), stats)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, generator.stop)
        if progress is None:
            await generator.run()
            return
        async with live_progress(stats, config.duration, progress):
            await generator.run()

    eventloop.run(main())
    return stats
