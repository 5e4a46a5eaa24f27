"""Live reload: a changed catalog is swapped in; a bad one never replaces the one in service."""

import asyncio
import copy
import gc
import sys

import pytest

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader, load_in_thread
from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog
from openbid.catalog.model import Catalog
from openbid.notices.signing import SigningKeys

DEMO = load_catalog()


class FakeSource:
    """A catalog source whose version and content the test sets."""

    def __init__(self) -> None:
        self.current = "v1"
        self.catalog: Catalog | None = DEMO
        self.loads = 0
        self.broken = False

    def describe(self) -> str:
        return "fake"

    def version(self) -> str:
        if self.broken:
            raise OSError("database unreachable")
        return self.current

    def load(self) -> Catalog:
        self.loads += 1
        if self.catalog is None:
            raise CatalogError("fake", ["line_items[0].bid.cpm: invalid decimal"])
        return self.catalog


def _reloader(source: FakeSource) -> CatalogReloader:
    bidder = Bidder(BidderConfig(signing_keys=SigningKeys({"t": b"k" * 32}, "t")))
    reloader = CatalogReloader(source, bidder, "openbid", interval=0.01, load=load_in_thread)
    reloader.load_initial()
    return reloader


def test_unchanged_version_loads_nothing() -> None:
    source = FakeSource()
    reloader = _reloader(source)
    assert asyncio.run(reloader.check()) is False
    assert source.loads == 1


def test_a_new_version_is_compiled_and_swapped_in() -> None:
    source = FakeSource()
    reloader = _reloader(source)
    before = reloader.bidder.snapshot
    smaller = copy.deepcopy(DEMO)
    smaller.line_items = smaller.line_items[:5]
    source.catalog, source.current = smaller, "v2"
    assert asyncio.run(reloader.check()) is True
    after = reloader.bidder.snapshot
    assert after is not before
    assert after is not None
    assert len(after.index.line_items) == 5
    assert (reloader.version, reloader.reloads) == ("v2", 1)


def test_a_bad_catalog_keeps_the_old_one_and_is_not_retried_until_it_changes() -> None:
    source = FakeSource()
    reloader = _reloader(source)
    before = reloader.bidder.snapshot
    source.catalog, source.current = None, "v2"
    assert asyncio.run(reloader.check()) is False
    assert asyncio.run(reloader.check()) is False
    assert reloader.bidder.snapshot is before
    assert (source.loads, reloader.failures, reloader.version) == (2, 1, "v1")
    source.catalog, source.current = DEMO, "v3"
    assert asyncio.run(reloader.check()) is True
    assert reloader.version == "v3"


def test_a_failing_source_does_not_stop_polling() -> None:
    source = FakeSource()
    reloader = _reloader(source)
    source.broken = True

    async def run_briefly() -> None:
        task = asyncio.create_task(reloader.run())
        await asyncio.sleep(0.1)
        source.broken = False
        source.current = "v2"
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run_briefly())
    assert reloader.failures >= 1
    assert reloader.version == "v2"


def test_a_bad_first_catalog_is_an_error() -> None:
    source = FakeSource()
    source.catalog = None
    reloader = CatalogReloader(source, Bidder(BidderConfig()), "openbid")
    with pytest.raises(CatalogError):
        reloader.load_initial()
    assert reloader.bidder.snapshot is None


def test_the_collector_and_switch_interval_are_restored_after_a_reload() -> None:
    source = FakeSource()
    reloader = _reloader(source)
    interval = sys.getswitchinterval()
    source.current = "v2"
    assert asyncio.run(reloader.check()) is True
    assert gc.isenabled()
    assert sys.getswitchinterval() == interval
