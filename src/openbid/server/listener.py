"""Listening on the bid port: start, timeout sweep, graceful drain, a blocking entry point."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping

from openbid.server.http import HttpLimits, HttpResponse, Routes
from openbid.server.overload import LoadShedder, ShedPolicy
from openbid.server.protocol import ServerState

__all__ = ["HttpServer", "serve_forever", "start"]

logger = logging.getLogger(__name__)

_DEFAULT_LIMITS = HttpLimits()
_DEFAULT_SHED_POLICY = ShedPolicy()
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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

    async def shutdown(self, drain_timeout: float, hurry: asyncio.Event | None = None) -> None:
        """Stop accepting, close idle connections, let requests in flight finish until
        `drain_timeout` or until `hurry` is set, then force."""
        state = self._state
        state.draining = True
        self._server.close()
        for conn in tuple(state.connections):
            conn.close_if_idle()
        if state.connections:
            waits = [asyncio.ensure_future(state.all_closed.wait())]
            if hurry is not None:
                waits.append(asyncio.ensure_future(hurry.wait()))
            await asyncio.wait(waits, timeout=drain_timeout, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
            if state.connections:
                cause = "cut short" if hurry is not None and hurry.is_set() else "timed out"
                logger.warning("drain %s; closing %d connections", cause, len(state.connections))
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
    shed_policy: ShedPolicy = _DEFAULT_SHED_POLICY,
) -> HttpServer:
    """Listen on host:port (0 = ephemeral) and serve `routes` on the running loop; under
    overload (as `shed_policy` tells it), requests to a path in `shed` may get its answer
    instead of the handler's."""
    state = ServerState(routes, limits, shed, LoadShedder(shed_policy))
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
    shed_policy: ShedPolicy = _DEFAULT_SHED_POLICY,
) -> None:
    """Serve until SIGTERM or SIGINT, then call `on_stop`, drain, and await `after_drain`; a
    second signal cuts the drain short. From then on, until the process exits, the two signals
    are ignored: what is left (writing queued events, returning leases) is bounded already."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    hurry = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set() and not hurry.is_set():
            logger.warning("second signal: closing open connections now, then stopping")
            hurry.set()
        stop.set()

    server = await start(
        routes,
        host,
        port,
        limits,
        reuse_port=reuse_port,
        backlog=backlog,
        shed=shed,
        shed_policy=shed_policy,
    )
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal)
    try:
        if on_ready is not None:
            on_ready(server)
        await stop.wait()
        if on_stop is not None:
            on_stop()
    finally:
        try:
            await server.shutdown(drain_timeout, hurry)
            if after_drain is not None:
                await after_drain()
        finally:
            _ignore_stop_signals(loop)


def _ignore_stop_signals(loop: asyncio.AbstractEventLoop) -> None:
    """Hand SIGTERM and SIGINT from the loop to SIG_IGN with both blocked meanwhile, so that
    none arriving in between gets its default action (death, KeyboardInterrupt)."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)
            signal.signal(sig, signal.SIG_IGN)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


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
    shed_policy: ShedPolicy = _DEFAULT_SHED_POLICY,
) -> None:
    """Serve on uvloop (asyncio if missing) until SIGTERM/SIGINT, drain gracefully (a second
    signal closes the open connections at once), await ``after_drain`` (work that needs the
    loop, once no request is in flight), return with both signals ignored from then on."""
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
                shed_policy=shed_policy,
            )
        )
