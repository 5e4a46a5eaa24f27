"""Listening on the bid port: start, timeout sweep, graceful drain, a blocking entry point."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping

from openbid.server.http import HttpLimits, HttpResponse, Routes
from openbid.server.overload import LoadShedder
from openbid.server.protocol import ServerState

__all__ = ["HttpServer", "serve_forever", "start"]

logger = logging.getLogger(__name__)

_DEFAULT_LIMITS = HttpLimits()


class HttpServer:
    """A listening bid port: the asyncio server, its live connections and their timeout sweep."""

    def __init__(self, server: asyncio.Server, state: ServerState) -> None:
        self._server = server
        self._state = state
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sweep())]
        if state.sheds:  # no sheddable route: the shed fraction stays 0, nothing to sample
            self._tasks.append(loop.create_task(state.shedder.run()))

    @property
    def port(self) -> int:
        """The bound TCP port (the ephemeral one when started on port 0)."""
        sockname: tuple[str, int] = self._server.sockets[0].getsockname()
        return sockname[1]

    @property
    def shedder(self) -> LoadShedder:
        """How much of the sheddable traffic is being shed, and how much was."""
        return self._state.shedder

    @property
    def connections(self) -> int:
        """How many client connections are open."""
        return len(self._state.connections)

    async def _sweep(self) -> None:
        """Every `sweep_interval`: refresh the Date header and close overdue connections."""
        interval = self._state.limits.sweep_interval
        while True:
            await asyncio.sleep(interval)
            try:
                self._state.tick()
            except Exception:
                logger.exception("timeout sweep failed")

    async def shutdown(self, drain_timeout: float) -> None:
        """Stop accepting, close idle connections, let requests in flight finish, then force."""
        state = self._state
        state.draining = True
        self._server.close()
        for conn in tuple(state.connections):
            conn.close_if_idle()
        if state.connections:
            try:
                await asyncio.wait_for(state.all_closed.wait(), drain_timeout)
            except TimeoutError:
                logger.warning("drain timed out; closing %d connections", len(state.connections))
                for conn in tuple(state.connections):
                    conn.abort()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()


async def start(
    routes: Routes,
    host: str,
    port: int,
    limits: HttpLimits = _DEFAULT_LIMITS,
    *,
    reuse_port: bool = False,
    backlog: int = 2048,
    shed: Mapping[str, HttpResponse] | None = None,
) -> HttpServer:
    """Listen on host:port (0 = ephemeral) and serve `routes` on the running loop; under
    overload, requests to a path in `shed` may get its answer instead of the handler's."""
    state = ServerState(routes, limits, shed)
    server = await asyncio.get_running_loop().create_server(
        state.protocol_factory(),
        host,
        port,
        reuse_port=reuse_port,
        backlog=backlog,
    )
    return HttpServer(server, state)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's event loop when installed, else asyncio's default."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _serve(
    routes: Routes,
    host: str,
    port: int,
    limits: HttpLimits,
    *,
    on_ready: Callable[[HttpServer], None] | None,
    on_stop: Callable[[], None] | None,
    drain_timeout: float,
    reuse_port: bool,
    backlog: int,
    after_drain: Callable[[], Awaitable[None]] | None = None,
    shed: Mapping[str, HttpResponse] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT, then call `on_stop`, drain, and await `after_drain`."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server = await start(
        routes, host, port, limits, reuse_port=reuse_port, backlog=backlog, shed=shed
    )
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if on_ready is not None:
            on_ready(server)
        await stop.wait()
        if on_stop is not None:
            on_stop()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.shutdown(drain_timeout)
        if after_drain is not None:
            await after_drain()


def serve_forever(
    routes: Routes,
    host: str,
    port: int,
    limits: HttpLimits = _DEFAULT_LIMITS,
    *,
    on_ready: Callable[[HttpServer], None] | None = None,
    on_stop: Callable[[], None] | None = None,
    drain_timeout: float = 10.0,
    reuse_port: bool = False,
    backlog: int = 2048,
    after_drain: Callable[[], Awaitable[None]] | None = None,
    shed: Mapping[str, HttpResponse] | None = None,
) -> None:
    """Serve on uvloop (asyncio if missing) until SIGTERM/SIGINT, drain gracefully, await
    ``after_drain`` (work that needs the loop, once no request is in flight), return."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(
            _serve(
                routes,
                host,
                port,
                limits,
                on_ready=on_ready,
                on_stop=on_stop,
                drain_timeout=drain_timeout,
                reuse_port=reuse_port,
                backlog=backlog,
                after_drain=after_drain,
                shed=shed,
            )
        )
