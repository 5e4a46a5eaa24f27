"""What ``openbid serve`` runs beside the bid port: metrics and their exporters, the event log,
and the admin API, started once the port listens and stopped in the order a drain needs.

Shutdown order: the bid port drains first (every request in flight is answered, and its events
queued); then the admin API and the export task stop; then, off the event loop, the event log
writes what is queued and finishes its files; last, one more export reports the final figures.
"""

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from openbid import __version__
from openbid.admin.app import create_admin_app
from openbid.admin.context import AdminContext
from openbid.admin.readiness import Readiness
from openbid.admin.ring import RequestRing
from openbid.admin.server import AdminServer
from openbid.admin.tap import LiveTap
from openbid.bidder.figures import BidderFigures
from openbid.bidder.notice_observer import NoticeObserver
from openbid.bidder.observe import BidObserver
from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader
from openbid.events.build import EventBuilder, Origin
from openbid.events.log import EventLog
from openbid.events.schema import Deployment
from openbid.pacing.sync import PacingLoop
from openbid.telemetry.flush import export_every
from openbid.telemetry.metrics import BidderMetrics
from openbid.telemetry.prometheus import PrometheusExporter
from openbid.telemetry.statsd import StatsdExporter, statsd_client

log = logging.getLogger("openbid.serve")

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


@dataclass(frozen=True, slots=True)
class ObservabilitySettings:
    """The serve options this module acts on."""

    tags: Mapping[str, str]
    config: Mapping[str, object]
    metrics_interval: float
    statsd: tuple[str, int] | None
    admin_host: str
    admin_port: int
    admin_token: str | None
    why_ring_size: int
    nobid_sample: int


def event_origin(tags: Mapping[str, str]) -> Origin:
    """Who records events: openbid's version, stable or canary, the task (from the tags)."""
    named = tags.get("deployment", "")
    deployment = Deployment.CANARY if named == Deployment.CANARY else Deployment.STABLE
    return Origin(__version__, deployment, tags.get("task_id", ""))


class Observability:
    """Metrics, exporters, the event log's observers and the admin API of one serve process."""

    def __init__(
        self,
        settings: ObservabilitySettings,
        bidder: Bidder,
        reloader: CatalogReloader,
        pacing: PacingLoop,
        events: EventLog | None,
    ) -> None:
        self.settings = settings
        self.events = events
        self.metrics = BidderMetrics()
        self.readiness = Readiness()
        builder = EventBuilder(event_origin(settings.tags))
        ring, tap = RequestRing(size=settings.why_ring_size), LiveTap()
        self.bid_observer = BidObserver(
            self.metrics, events, builder, ring, tap, settings.nobid_sample
        )
        self.notice_observer = NoticeObserver(self.metrics, events, builder)
        self.figures = BidderFigures(self.metrics, bidder, reloader, pacing, events)
        self.prometheus = PrometheusExporter(
            self.metrics, settings.tags, os.environ.get(MULTIPROCESS_ENV) or None
        )
        self.statsd: StatsdExporter | None = None
        if settings.statsd is not None:
            client = statsd_client(settings.statsd, settings.tags)
            self.statsd = StatsdExporter(self.metrics, client)
        self.admin: AdminServer | None = None
        if settings.admin_token:
            context = AdminContext(
                bidder=bidder,
                tags=settings.tags,
                config=settings.config,
                metrics=self.prometheus,
                pacing=pacing.state,
                ring=ring,
                tap=tap,
                readiness=self.readiness,
            )
            app = create_admin_app(context, settings.admin_token)
            self.admin = AdminServer(app, settings.admin_host, settings.admin_port)
        self._exports: asyncio.Task[None] | None = None
        self._admin_start: asyncio.Task[int] | None = None

    def bind(self) -> None:
        """Take the admin port (before the bid port listens); raises OSError."""
        if self.admin is not None:
            self.admin.bind()

    def _export(self) -> None:
        self.figures.refresh()
        self.prometheus.sync()
        if self.statsd is not None:
            self.statsd.flush()

    def start(self) -> None:
        """Start exporting and serving the admin API on the running loop."""
        loop = asyncio.get_running_loop()
        interval = self.settings.metrics_interval
        self._exports = loop.create_task(export_every(interval, [self._export]))
        if self.admin is not None:
            self._admin_start = loop.create_task(self.admin.start())
            log.info("admin API on http://%s:%d", self.settings.admin_host, self.admin.port)
        else:
            log.info("admin API off: give --admin-token (or OPENBID_ADMIN_TOKEN) to serve it")

    async def stop(self) -> None:
        """Stop the admin API and the export task (which exports once more), on the loop."""
        if self._admin_start is not None and self.admin is not None:
            await self._admin_start
            await self.admin.stop()
        if self._exports is not None:
            self._exports.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._exports

    def close(self, timeout: float) -> None:
        """Off the loop, after it stopped: write every queued event and finish the files, then
        send the last figures."""
        events = self.events
        if events is not None:
            if events.close(timeout):
                stats = events.stats()
                log.info(
                    "event log closed: %d events written, %d dropped", stats.written, stats.dropped
                )
            else:
                log.error("event log not closed within %.0f s: events may be lost", timeout)
        self.figures.refresh()
        if self.statsd is not None:
            self.statsd.close()
