"""Everything the admin API reads or switches, handed to it by ``openbid serve``."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from openbid import __version__
from openbid.admin.pacing import NullPacingView, PacingView
from openbid.admin.readiness import Readiness
from openbid.admin.ring import RequestRing
from openbid.admin.tap import LiveTap
from openbid.bidder.pipeline import Bidder
from openbid.catalog.model import Catalog
from openbid.telemetry.prometheus import PrometheusExporter


def _no_catalog() -> Catalog | None:
    return None


@dataclass(slots=True)
class AdminContext:
    """The bidder and its surroundings, as the admin API sees them.

    ``catalog`` returns the catalog the snapshot in service was compiled from (for names,
    budgets and paused line items); captures wait at most ``max_capture_seconds``.
    """

    bidder: Bidder
    tags: Mapping[str, str]
    config: Mapping[str, object]
    metrics: PrometheusExporter
    catalog: Callable[[], Catalog | None] = _no_catalog
    pacing: PacingView = field(default_factory=NullPacingView)
    ring: RequestRing = field(default_factory=RequestRing)
    tap: LiveTap = field(default_factory=LiveTap)
    readiness: Readiness = field(default_factory=Readiness)
    started_at: float = field(default_factory=time.time)
    version: str = __version__
    max_capture_seconds: float = 60.0

    @property
    def ready(self) -> bool:
        """A catalog is loaded and the drain switch is off."""
        return self.bidder.snapshot is not None and self.readiness.accepting
