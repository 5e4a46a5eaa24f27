"""Live catalog reload: poll the source, compile a changed catalog off the event loop, swap it in.

The swap is one attribute assignment, so a request sees either the old snapshot or the new one,
never a mix; a catalog that fails to load or compile never replaces the one in service.
"""

import asyncio
import gc
import logging
import time

from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import CatalogSnapshot, compile_catalog
from openbid.catalog.errors import CatalogError
from openbid.catalog.source import CatalogSource

log = logging.getLogger("openbid.reload")


class CatalogReloader:
    """Keeps a bidder's snapshot in step with a catalog source."""

    def __init__(
        self, source: CatalogSource, bidder: Bidder, default_seat: str, interval: float = 1.0
    ) -> None:
        self.source = source
        self.bidder = bidder
        self.interval = interval
        self._default_seat = default_seat
        self.version: str | None = None  # the source version of the snapshot in service
        self.rejected_version: str | None = None
        self.reloads = 0
        self.failures = 0

    def _compile(self) -> CatalogSnapshot:
        return compile_catalog(self.source.load(), self._default_seat)

    def load_initial(self) -> None:
        """Load and install the first snapshot, blocking; raises CatalogError if it is bad."""
        version = self.source.version()
        self.bidder.snapshot = self._compile()
        self.version = version

    async def check(self) -> bool:
        """Reload if the source changed since the snapshot in service; True when swapped."""
        version = await asyncio.to_thread(self.source.version)
        if version in (self.version, self.rejected_version):
            return False
        started = time.perf_counter()
        try:
            snapshot = await asyncio.to_thread(self._compile)
        except CatalogError as error:
            self.rejected_version = version
            self.failures += 1
            log.error("catalog %s rejected, still serving the previous one: %s",
                      self.source.describe(), error)  # fmt: skip
            return False
        previous = self.bidder.snapshot
        self.bidder.snapshot = snapshot
        self.version = version
        self.rejected_version = None
        self.reloads += 1
        gc.freeze()  # the new snapshot is long-lived: keep it out of full collections too
        log.info(
            "catalog %s reloaded: version %s -> %s, %d line items, %.0f ms",
            self.source.describe(),
            previous.version if previous else "-",
            snapshot.version,
            len(snapshot.index.line_items),
            (time.perf_counter() - started) * 1000,
        )
        return True

    async def run(self) -> None:
        """Poll forever (until cancelled); a failing source is logged once, never fatal."""
        failing = ""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception as error:  # a source's I/O error must not stop the polling
                self.failures += 1
                if str(error) != failing:
                    log.warning("cannot check catalog %s: %s", self.source.describe(), error)
                failing = str(error)
            else:
                if failing:
                    log.info("catalog %s reachable again", self.source.describe())
                failing = ""
