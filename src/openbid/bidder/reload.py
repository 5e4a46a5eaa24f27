"""Live catalog reload: poll the source, build the new snapshot without stalling requests, swap.

The swap is one attribute assignment, so a request sees either the old snapshot or the new one,
never a mix; a catalog that fails to load or compile never replaces the one in service.

Keeping requests fast while a large catalog is rebuilt takes three things, because the event
loop shares the interpreter lock with whatever does the work:

* the catalog is parsed and validated in a child process (parsers run single C calls that hold
  the lock for a long time) and comes back as one small JSON document per entity;
* the documents are decoded and compiled in a thread with the lock handed over often (a short
  switch interval) and the cyclic collector paused, since a collection over tens of thousands
  of new objects is one long pause;
* the old snapshot is taken apart in that thread too, not on the event loop.
"""

import asyncio
import gc
import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import CatalogSnapshot, compile_catalog
from openbid.catalog.errors import CatalogError
from openbid.catalog.model import Catalog
from openbid.catalog.source import CatalogSource
from openbid.catalog.transfer import EncodedCatalog, decode_catalog, load_encoded

log = logging.getLogger("openbid.reload")

RELOAD_SWITCH_INTERVAL = 0.0002  # seconds a worker thread may keep the lock while the loop waits
RELEASE_CHUNK = 256  # entities freed at a time

CatalogLoader = Callable[[CatalogSource], Awaitable[EncodedCatalog]]


CHILD_NICENESS = 10  # the child yields the CPU it shares with the server to the server


async def load_in_child(source: CatalogSource) -> EncodedCatalog:
    """Load, validate and encode the catalog in a fresh, low-priority child process."""
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=os.nice,
        initargs=(CHILD_NICENESS,),
    )
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, load_encoded, source)
    finally:
        pool.shutdown(wait=False)


async def load_in_thread(source: CatalogSource) -> EncodedCatalog:
    """Load in a thread of this process: for small catalogs and tests."""
    return await asyncio.to_thread(load_encoded, source)


@contextmanager
def _sharing_the_lock() -> Iterator[None]:
    """While a snapshot is rebuilt: hand the lock back to the loop often, collect nothing;
    afterwards, move what survived (the new snapshot) out of the collector's way for good."""
    interval = sys.getswitchinterval()
    collecting = gc.isenabled()
    sys.setswitchinterval(RELOAD_SWITCH_INTERVAL)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
        sys.setswitchinterval(interval)


def _release_catalog(catalog: Catalog) -> None:
    """Free a catalog's entities a few at a time (one big free would hold the lock)."""
    for entities in (
        catalog.line_items,
        catalog.creatives,
        catalog.campaigns,
        catalog.advertisers,
        catalog.deals,
    ):
        while entities:
            del entities[-RELEASE_CHUNK:]


def _release_snapshot(graveyard: list[CatalogSnapshot | None]) -> None:
    """Take the old snapshot's last reference and free it here, not on the event loop: its
    largest part a piece at a time, the rest when this function returns."""
    snapshot = graveyard.pop()
    if snapshot is None:
        return
    fields = snapshot.bid_fields
    while fields:
        fields.popitem()
    line_items = list(snapshot.index.line_items)  # outlive the tuple, then go in chunks
    del snapshot
    while line_items:
        del line_items[-RELEASE_CHUNK:]


class CatalogReloader:
    """Keeps a bidder's snapshot in step with a catalog source."""

    def __init__(
        self,
        source: CatalogSource,
        bidder: Bidder,
        default_seat: str,
        interval: float = 1.0,
        load: CatalogLoader = load_in_child,
    ) -> None:
        self.source = source
        self.bidder = bidder
        self.interval = interval
        self._default_seat = default_seat
        self._load = load
        self.version: str | None = None  # the source version of the snapshot in service
        self.rejected_version: str | None = None
        self.reloads = 0
        self.failures = 0

    def load_initial(self) -> None:
        """Load and install the first snapshot, blocking; raises CatalogError if it is bad."""
        version = self.source.version()
        self.bidder.install(compile_catalog(self.source.load(), self._default_seat))
        self.version = version

    def _compile(self, encoded: EncodedCatalog) -> CatalogSnapshot:
        catalog = decode_catalog(encoded)
        snapshot = compile_catalog(catalog, self._default_seat, encoded.digest)
        _release_catalog(catalog)
        return snapshot

    async def check(self) -> bool:
        """Reload if the source changed since the snapshot in service; True when swapped."""
        version = await asyncio.to_thread(self.source.version)
        if version in (self.version, self.rejected_version):
            return False
        started = time.perf_counter()
        try:
            encoded = await self._load(self.source)
        except CatalogError as error:
            self.rejected_version = version
            self.failures += 1
            log.error("catalog %s rejected, still serving the previous one: %s",
                      self.source.describe(), error)  # fmt: skip
            return False
        graveyard = [self.bidder.snapshot]
        previous_version = graveyard[0].version if graveyard[0] else "-"
        with _sharing_the_lock():
            snapshot = await asyncio.to_thread(self._compile, encoded)
            self.bidder.install(snapshot)
            await asyncio.to_thread(_release_snapshot, graveyard)
        self.version = version
        self.rejected_version = None
        self.reloads += 1
        log.info(
            "catalog %s reloaded: version %s -> %s, %d line items, %.0f ms",
            self.source.describe(),
            previous_version,
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
