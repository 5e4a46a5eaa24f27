"""Serving the admin API with uvicorn on the bidder's own event loop, on its own port.

Same loop, not a thread: admin handlers run between bids rather than contending for the
interpreter lock from another thread (whose 5 ms switch interval would stall bids), and they
read the bidder's state without locks. uvicorn's signal handling is left out: SIGTERM belongs
to the bid server, which stops this one as part of its drain.
"""

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without signal handlers of its own."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals to the process that embeds the server."""
        yield


class AdminServer:
    """The admin API listening on ``host:port`` (0: an ephemeral port) of the running loop."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        self._config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # our JSON logging, not uvicorn's
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = _EmbeddedServer(self._config)
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self.host = host
        self.port = port

    def bind(self) -> socket.socket:
        """Take the port now, before serving starts (``port`` is then the bound one); raises
        OSError when it cannot be had, for the caller to report."""
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            self._socket = socket.create_server((self.host, self.port), family=family)
            self.port = self._socket.getsockname()[1]
        return self._socket

    async def start(self) -> int:
        """Bind (unless done already) and start serving in a task of the running loop; the
        bound port."""
        sock = self.bind()
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
            await asyncio.sleep(0.01)
        return self.port

    async def stop(self) -> None:
        """Stop accepting, finish what is in flight (briefly), and return."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None
