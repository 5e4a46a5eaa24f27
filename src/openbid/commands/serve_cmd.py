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
from openbid.notices.signing import SigningKeys
from openbid.server.app import BidApp
from openbid.server.http import HttpLimits
from openbid.server.listener import HttpServer, serve_forever

log = logging.getLogger("openbid.serve")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
EXCHANGE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


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
    """Answer OpenRTB 2.6 bid requests on POST /openrtb2/bid (and /healthz, /readyz)."""
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
    bidder = Bidder(config)
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
    bid_app = BidApp(bidder, _exchange_names(exchanges))
    limits = HttpLimits(max_body_bytes=max_body_kib * 1024)
    background: list[asyncio.Task[None]] = []

    def stop() -> None:
        bid_app.stop()
        for task in background:
            task.cancel()

    def ready(server: HttpServer) -> None:
        if notice_url is None and port == 0:
            bidder.point_notices_at(f"http://{public_host}:{server.port}")
        if reload_seconds > 0:
            background.append(asyncio.get_running_loop().create_task(reloader.run()))
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
    log.info("stopped")
