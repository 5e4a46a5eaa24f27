"""``openbid serve``: answer OpenRTB bid requests on one port."""

import asyncio
import gc
import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from openbid.bidder.config import BidderConfig
from openbid.bidder.observe import DEFAULT_NOBID_SAMPLE
from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader
from openbid.catalog.errors import CatalogError
from openbid.catalog.source import BuiltinSource, CatalogSource, FileSource, StoreSource
from openbid.catalog.store_errors import CatalogStoreError
from openbid.commands.serve_observability import Observability, ObservabilitySettings
from openbid.commands.serve_workers import check_workers, run_workers, worker_index
from openbid.events.log import DEFAULT_BATCH_WINDOW, DEFAULT_CAPACITY, EventLog, open_event_log
from openbid.events.url import DEFAULT_EVENTS_URL, EventsUrlError
from openbid.notices.exchanges import ExchangeConfigError, ExchangeOptions, load_exchanges
from openbid.notices.receiver import NoticeReceiver
from openbid.notices.signing import SigningKeys
from openbid.pacing.setup import EXPOSURE_SECONDS, PacingSettings, build_pacing
from openbid.server.app import BidApp
from openbid.server.faults import with_faults
from openbid.server.http import HttpLimits
from openbid.server.listener import HttpServer, serve_forever
from openbid.server.notice_routes import NoticeRoutes
from openbid.server.overload import ShedPolicy
from openbid.telemetry.flush import DEFAULT_INTERVAL
from openbid.telemetry.logging import LEVELS, configure_logging
from openbid.telemetry.statsd import statsd_address
from openbid.telemetry.tags import runtime_tags

log = logging.getLogger("openbid.serve")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
EXCHANGE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
DEFAULT_EXCHANGE = "default"
FINISH_SECONDS = 5.0  # at shutdown, time to write the last notices and give leases back
DEFAULT_LIMITS = HttpLimits()
EVENTS_CLOSE_SECONDS = 15.0  # at shutdown, time to write the queued events and finish files
# The longest the event loop waits for the interpreter lock while a background thread (the event
# writer, the S3 uploader) has work. Each time the loop waits for the network it lets the lock
# go, and getting it back took up to Python's default 5 ms: with 4 wrk connections, 1,271 req/s
# and p99 20.9 ms, against 4,943 req/s and p99 6.3 ms at 1 ms.
SWITCH_INTERVAL = 0.001


def _signing_keys(spec: str | None) -> SigningKeys:
    if spec is None:
        log.warning(
            "no --signing-keys given: notice URLs are signed with a random key of this process "
            "and will not verify on any other instance or after a restart"
        )
        return SigningKeys.ephemeral()
    try:
        return SigningKeys.parse(spec)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--signing-keys") from None


def _exchange_names(spec: str) -> list[str]:
    names = [name.strip().lower() for name in spec.split(",") if name.strip()]
    bad = [name for name in names if not EXCHANGE_NAME.fullmatch(name)]
    if bad:
        raise typer.BadParameter(
            f"exchange names are letters, digits, '.', '_' or '-': {', '.join(bad)}",
            param_hint="--exchanges",
        )
    return names


def _exchange_options(path: Path | None) -> dict[str, ExchangeOptions]:
    if path is None:
        return {}
    try:
        return load_exchanges(path)
    except ExchangeConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--exchanges-config") from None


def _catalog_source(path: Path | None, url: str | None) -> CatalogSource:
    if path is not None and url is not None:
        raise typer.BadParameter(
            "give --catalog or --catalog-url, not both", param_hint="--catalog"
        )
    if url is not None:
        return StoreSource(url)
    return FileSource(path) if path is not None else BuiltinSource()


def _event_log(url: str, batch_window: float, capacity: int) -> EventLog | None:
    try:
        return open_event_log(url, batch_window=batch_window, capacity=capacity)
    except EventsUrlError as error:
        raise typer.BadParameter(str(error), param_hint="--events") from None
    except OSError as error:
        raise typer.BadParameter(
            f"cannot write events to {url}: {error.strerror or error}", param_hint="--events"
        ) from None


def _statsd(url: str | None) -> tuple[str, int] | None:
    try:
        return statsd_address(url, os.environ)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--statsd-url") from None


def serve(
    host: Annotated[
        str, typer.Option(envvar="OPENBID_HOST", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="OPENBID_PORT", min=0, max=65535, help="Port to listen on.")
    ] = 8080,
    catalog: Annotated[
        Path | None,
        typer.Option(
            envvar="OPENBID_CATALOG",
            help="Catalog file (YAML or JSON), reloaded when it changes; the built-in demo "
            "catalog when omitted.",
        ),
    ] = None,
    catalog_url: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_CATALOG_URL",
            help="Catalog store (sqlite:///FILE or postgresql://...), reloaded when its version "
            "changes; instead of --catalog.",
            show_default=False,
        ),
    ] = None,
    exchanges: Annotated[
        str,
        typer.Option(
            envvar="OPENBID_EXCHANGES",
            help="Comma-separated exchange names; each gets POST /openrtb2/bid/NAME so that line "
            "items can target it (/openrtb2/bid is the exchange 'default').",
        ),
    ] = "",
    exchanges_config: Annotated[
        Path | None,
        typer.Option(
            envvar="OPENBID_EXCHANGES_CONFIG",
            exists=True,
            dir_okay=False,
            help="YAML file of per-exchange options (bill_on: burl|nurl, price_encryption keys "
            "from env/file); each exchange named in it gets its bid path too.",
            show_default=False,
        ),
    ] = None,
    seat: Annotated[
        str, typer.Option(envvar="OPENBID_SEAT", help="Buyer seat for advertisers without one.")
    ] = "openbid",
    notice_url: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_NOTICE_URL",
            help="Public base URL exchanges call for win/billing/loss notices "
            "[default: http://HOST:PORT].",
        ),
    ] = None,
    signing_keys: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_SIGNING_KEYS",
            help="Notice signing keys as id:secret[,id:secret...]; the first signs, all verify. "
            "A random per-process key when omitted.",
            show_default=False,
        ),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_REDIS_URL",
            help="Redis (redis://HOST:PORT/DB) that bidder instances share budgets, notices and "
            "frequency caps through; budgets are kept in this process when omitted.",
            show_default=False,
        ),
    ] = None,
    redis_prefix: Annotated[
        str, typer.Option(envvar="OPENBID_REDIS_PREFIX", help="Prefix of every Redis key.")
    ] = "openbid",
    instance_id: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_INSTANCE_ID",
            help="This instance's name among those sharing Redis [default: host-pid-random].",
            show_default=False,
        ),
    ] = None,
    notice_max_age: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_NOTICE_MAX_AGE",
            min=1,
            help="Seconds after the bid a notice is still accepted (older: 410, never spent).",
        ),
    ] = 3600.0,
    exposure_seconds: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_EXPOSURE_SECONDS",
            min=1,
            help="Seconds a bid's price stays held against its budgets while its billing notice "
            "may still come; bills later than this can overspend.",
        ),
    ] = EXPOSURE_SECONDS,
    pacing_day_seconds: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_PACING_DAY_SECONDS",
            min=1,
            help="For tests: real seconds one pacing day lasts (daily budgets and plans run "
            "faster; leases and deadlines do not).",
        ),
    ] = 86400.0,
    pacing_day_origin: Annotated[
        float | None,
        typer.Option(
            envvar="OPENBID_PACING_DAY_ORIGIN",
            help="For tests: the epoch second a compressed pacing day starts at midnight UTC "
            "[default: the last real midnight UTC].",
            show_default=False,
        ),
    ] = None,
    default_tmax_ms: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_DEFAULT_TMAX_MS", min=1, help="Deadline for requests without tmax."
        ),
    ] = 100,
    network_margin_ms: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_NETWORK_MARGIN_MS",
            min=0,
            help="Subtracted from tmax for the trip back to the exchange.",
        ),
    ] = 10,
    max_body_kib: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_MAX_BODY_KIB", min=1, help="Largest request body accepted (413 above)."
        ),
    ] = 256,
    max_connections: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_MAX_CONNECTIONS",
            min=1,
            help="Client connections held at most; more are closed as they arrive.",
        ),
    ] = DEFAULT_LIMITS.max_connections,
    load_shedding: Annotated[
        bool,
        typer.Option(
            envvar="OPENBID_LOAD_SHEDDING",
            help="When saturated, answer a share of bid requests with an undecoded no-bid (204) "
            "so the rest meet their deadline.",
        ),
    ] = True,
    shed_after_ms: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_SHED_AFTER_MS",
            min=1.0,
            help="With load shedding: a bid request read this long into an event-loop turn, "
            "after a turn as long, has queued that long and is shed; keep it well under tmax.",
        ),
    ] = ShedPolicy().turn_budget * 1000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_WORKERS",
            min=1,
            max=256,
            help="Bidder processes sharing the port (SO_REUSEPORT), e.g. one per core; more than "
            "one needs a fixed --port and --redis-url. Worker i's admin port is --admin-port + i.",
        ),
    ] = 1,
    drain_seconds: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_DRAIN_SECONDS",
            min=0,
            help="On SIGTERM, how long in-flight requests may take.",
        ),
    ] = 10.0,
    reload_seconds: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_RELOAD_SECONDS",
            min=0,
            help="How often to check the catalog for changes (0: never).",
        ),
    ] = 1.0,
    events: Annotated[
        str,
        typer.Option(
            envvar="OPENBID_EVENTS",
            help="Where the event log goes: a directory (?format=parquet|jsonl, rotate_seconds, "
            "rotate_mb), s3://BUCKET/PREFIX, stdout, or none.",
        ),
    ] = DEFAULT_EVENTS_URL,
    events_batch_window: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_EVENTS_BATCH_WINDOW",
            min=0.01,
            help="Seconds between two writes of queued events: at most this much is lost in a "
            "crash.",
        ),
    ] = DEFAULT_BATCH_WINDOW,
    events_queue: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_EVENTS_QUEUE",
            min=1,
            help="Events that may wait to be written; beyond, new ones are dropped and counted.",
        ),
    ] = DEFAULT_CAPACITY,
    events_nobid_sample: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_EVENTS_NOBID_SAMPLE",
            min=1,
            help="Record one no-bid in this many as a nobid event.",
        ),
    ] = DEFAULT_NOBID_SAMPLE,
    admin_host: Annotated[
        str, typer.Option(envvar="OPENBID_ADMIN_HOST", help="Address of the admin API.")
    ] = "127.0.0.1",
    admin_port: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_ADMIN_PORT",
            min=0,
            max=65535,
            help="Port of the admin API (0: an ephemeral one, logged).",
        ),
    ] = 8081,
    admin_token: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_ADMIN_TOKEN",
            help="Bearer token of the admin API; the admin API is off without one.",
            show_default=False,
        ),
    ] = None,
    statsd_url: Annotated[
        str | None,
        typer.Option(
            envvar="OPENBID_STATSD_URL",
            help="DogStatsD to send metrics to (udp://HOST:PORT) [default: DD_AGENT_HOST and "
            "DD_DOGSTATSD_PORT when set, else none].",
            show_default=False,
        ),
    ] = None,
    metrics_interval: Annotated[
        float,
        typer.Option(
            envvar="OPENBID_METRICS_INTERVAL",
            min=0.05,
            help="Seconds between two exports of the metrics (DogStatsD, Prometheus).",
        ),
    ] = DEFAULT_INTERVAL,
    why_ring_size: Annotated[
        int,
        typer.Option(
            envvar="OPENBID_WHY_RING_SIZE",
            min=1,
            max=100_000,
            help="Recent requests kept for the admin API's why-not-bidding replay.",
        ),
    ] = 1000,
    log_level: Annotated[
        str, typer.Option(envvar="OPENBID_LOG_LEVEL", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Answer OpenRTB 2.6 bid requests on POST /openrtb2/bid, notices on GET /notice/KIND (and
    /healthz, /readyz); record events; serve metrics and the admin API on their own port."""
    index = worker_index()
    if workers > 1 and index is None:
        check_workers(workers, port, redis_url)
        stop_timeout = drain_seconds + EVENTS_CLOSE_SECONDS + FINISH_SECONDS + 5
        raise typer.Exit(run_workers(workers, stop_timeout))
    if index is not None and admin_port:
        admin_port += index
    if log_level.strip().lower() not in LEVELS:
        raise typer.BadParameter(
            f"one of {', '.join(LEVELS)}, not {log_level!r}", param_hint="--log-level"
        )
    tags = runtime_tags()
    configure_logging(log_level, tags)
    statsd = _statsd(statsd_url)
    public_host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    config = BidderConfig(
        seat=seat,
        notice_base_url=notice_url or f"http://{public_host}:{port}",
        default_tmax_ms=default_tmax_ms,
        network_margin_ms=network_margin_ms,
        signing_keys=_signing_keys(signing_keys),
    )
    options = _exchange_options(exchanges_config)
    names = _exchange_names(exchanges)
    names += [name for name in options if name != DEFAULT_EXCHANGE and name not in names]
    pacing = build_pacing(
        PacingSettings(
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            instance=instance_id or "",
            day_seconds=pacing_day_seconds,
            day_origin=pacing_day_origin,
            exposure_seconds=exposure_seconds,
            notice_max_age=notice_max_age,
        )
    )
    bidder = Bidder(config, pacing=pacing.state)
    try:
        source = _catalog_source(catalog, catalog_url)
        reloader = CatalogReloader(source, bidder, seat, reload_seconds)
        reloader.load_initial()
    except (CatalogError, CatalogStoreError) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    shown = {
        "host": host,
        "port": port,
        "catalog": str(catalog) if catalog else None,
        "catalog_url": catalog_url,
        "exchanges": names,
        "seat": seat,
        "notice_url": config.notice_base_url,
        "signing_keys": signing_keys,
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "events": events,
        "events_batch_window": events_batch_window,
        "events_queue": events_queue,
        "events_nobid_sample": events_nobid_sample,
        "admin_host": admin_host,
        "admin_port": admin_port,
        "statsd": f"{statsd[0]}:{statsd[1]}" if statsd else None,
        "metrics_interval": metrics_interval,
        "default_tmax_ms": default_tmax_ms,
        "network_margin_ms": network_margin_ms,
        "drain_seconds": drain_seconds,
        "max_connections": max_connections,
        "load_shedding": load_shedding,
        "shed_after_ms": shed_after_ms,
        "workers": workers,
        "worker": index,
        "reload_seconds": reload_seconds,
    }
    settings = ObservabilitySettings(
        tags=tags,
        config=shown,
        metrics_interval=metrics_interval,
        statsd=statsd,
        admin_host=admin_host,
        admin_port=admin_port,
        admin_token=admin_token,
        why_ring_size=why_ring_size,
        nobid_sample=events_nobid_sample,
    )
    event_log = _event_log(events, events_batch_window, events_queue)
    observability = Observability(settings, bidder, reloader, pacing, event_log)
    try:
        observability.bind()
    except OSError as error:
        observability.close(EVENTS_CLOSE_SECONDS)
        typer.echo(
            f"cannot listen on {admin_host}:{admin_port} (admin API): {error.strerror or error}",
            err=True,
        )
        raise typer.Exit(1) from None
    # What exists now (code, the compiled catalog) lives as long as the process: keep it out of
    # the cyclic collector's full passes, which would otherwise walk it and stall requests.
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
    receiver = NoticeReceiver(
        config.signing_keys,
        options,
        lambda: bidder.snapshot,
        lambda: bidder.notice_base,
        pacing.state,
        pacing.submit,
        notice_max_age,
        pacing.state.clock.wall,
        observer=observability.notice_observer,
    )
    bid_app = BidApp(
        bidder,
        names,
        NoticeRoutes(receiver),
        observer=observability.bid_observer,
        readiness=observability.readiness,
    )
    limits = HttpLimits(max_body_bytes=max_body_kib * 1024, max_connections=max_connections)
    background: list[asyncio.Task[None]] = []

    def stop() -> None:
        bid_app.stop()
        for task in background:
            task.cancel()

    def ready(server: HttpServer) -> None:
        if notice_url is None and port == 0:
            bidder.point_notices_at(f"http://{public_host}:{server.port}")
        loop = asyncio.get_running_loop()
        if reload_seconds > 0:
            background.append(loop.create_task(reloader.run()))
        background.append(loop.create_task(pacing.run()))
        observability.figures.shedder = server.shedder
        observability.start()
        log.info(
            "listening on http://%s:%d (catalog %s, %d line items)",
            host,
            server.port,
            bidder.snapshot.version if bidder.snapshot else "-",
            len(bidder.snapshot.index.line_items) if bidder.snapshot else 0,
        )

    try:
        serve_forever(
            with_faults(bid_app.routes(), bid_app.observer),
            host,
            port,
            limits,
            on_ready=ready,
            on_stop=stop,
            drain_timeout=drain_seconds,
            after_drain=observability.stop,
            shed=bid_app.shed_answers() if load_shedding else None,
            shed_policy=ShedPolicy(turn_budget=shed_after_ms / 1000),
            reuse_port=index is not None,
        )
    except OSError as error:
        observability.close(EVENTS_CLOSE_SECONDS)
        typer.echo(f"cannot listen on {host}:{port}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    observability.close(EVENTS_CLOSE_SECONDS)
    asyncio.run(pacing.finish(FINISH_SECONDS))
    log.info("stopped")
