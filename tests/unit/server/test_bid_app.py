"""The bid app's readiness: the catalog, the shutdown signal and the admin API's drain switch."""

import msgspec

from openbid.admin.readiness import Readiness
from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.snapshot import compile_catalog
from openbid.catalog.load import load_catalog
from openbid.notices.signing import SigningKeys
from openbid.server.app import BidApp
from openbid.server.http import HttpRequest

CONFIG = BidderConfig(signing_keys=SigningKeys({"t": b"k" * 32}, "t"))
READYZ = HttpRequest("GET", "/readyz", "", {}, b"", 0.0)


def _state(app: BidApp) -> tuple[int, str]:
    answer = app.readyz(READYZ)
    status: str = msgspec.json.decode(answer.body)["status"]
    return answer.status, status


def test_readiness_follows_catalog_drain_switch_and_stop() -> None:
    bidder = Bidder(CONFIG)
    readiness = Readiness()
    app = BidApp(bidder, readiness=readiness)
    assert _state(app) == (503, "loading")
    bidder.install(compile_catalog(load_catalog(), CONFIG.seat))
    assert _state(app) == (200, "ready")
    assert app.ready
    readiness.drain()
    assert _state(app) == (503, "draining")
    assert not app.ready
    readiness.resume()
    assert _state(app) == (200, "ready")
    app.stop()
    assert _state(app) == (503, "stopping")
