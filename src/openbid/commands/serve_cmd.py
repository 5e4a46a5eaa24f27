"""``openbid serve``: answer OpenRTB bid requests on one port."""

import asyncio
import gc
import logging
import re
from pathlib import Path
from typing import Annotated

import typer

from openbid.bidder.config import BidderConfig
from openbid.bidder.pipeline import Bidder
from openbid.bidder.reload import CatalogReloader
from openbid.catalog.errors import CatalogError
from openbid.catalog.source import BuiltinSource, CatalogSource, FileSource, StoreSource
from openbid.catalog.store_errors import CatalogStoreError
from openbid.notices.exchanges import ExchangeConfigError, ExchangeOptions, load_exchanges
from openbid.notices.receiver import NoticeReceiver
from openbid.notices.signing import SigningKeys
from openbid.pacing.setup import EXPOSURE_SECONDS, PacingSettings, build_pacing
from openbid.server.app import BidApp
from openbid.server.http import HttpLimits
from openbid.server.listener import HttpServer, serve_forever
from openbid.server.notice_routes import NoticeRoutes

log = logging.getLogger("openbid.serve")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
EXCHANGE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
DEFAULT_EXCHANGE = "default"
FINISH_SECONDS = 5.0  # at shutdown, time to write the last notices and give leases back


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
    log_level: Annotated[
        str, typer.Option(envvar="OPENBID_LOG_LEVEL", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Answer OpenRTB 2.6 bid requests on POST /openrtb2/bid, notices on GET /notice/KIND (and
    /healthz, /readyz)."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
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
    # What exists now (code, the compiled catalog) lives as long as the process: keep it out of
    # the cyclic collector's full passes, which would otherwise walk it and stall requests.
    gc.collect()
    gc.freeze()
    receiver = NoticeReceiver(
        config.signing_keys,
        options,
        lambda: bidder.snapshot,
        lambda: bidder.notice_base,
        pacing.state,
        pacing.submit,
        notice_max_age,
        pacing.state.clock.wall,
    )
    bid_app = BidApp(bidder, names, NoticeRoutes(receiver))
    limits = HttpLimits(max_body_bytes=max_body_kib * 1024)
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
        log.info(
            "listening on http://%s:%d (catalog %s, %d line items)",
            host,
            server.port,
            bidder.snapshot.version if bidder.snapshot else "-",
            len(bidder.snapshot.index.line_items) if bidder.snapshot else 0,
        )

    try:
        serve_forever(
            bid_app.routes(),
            host,
            port,
            limits,
            on_ready=ready,
            on_stop=stop,
            drain_timeout=drain_seconds,
        )
    except OSError as error:
        typer.echo(f"cannot listen on {host}:{port}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    asyncio.run(pacing.finish(FINISH_SECONDS))
    log.info("stopped")
