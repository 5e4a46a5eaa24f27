"""serve_forever: in a child process, SIGTERM/SIGINT → on_stop → drain → after_drain → return;
loop choice."""

import asyncio
import http.client
import signal
import subprocess
import sys
import textwrap

import pytest

from openbid.server import listener

SCRIPT = textwrap.dedent(
    """
    import asyncio

    from openbid.server.http import HttpLimits, HttpResponse
    from openbid.server.listener import serve_forever

    def hello(request):
        return HttpResponse(200, b"hello " + request.method.encode())

    async def after_drain():
        await asyncio.sleep(0)  # still on the running loop
        print("drained", flush=True)

    serve_forever(
        {"/hello": {"GET": hello}},
        "127.0.0.1",
        0,
        HttpLimits(sweep_interval=0.05),
        on_ready=lambda server: print("ready", server.port, flush=True),
        on_stop=lambda: print("stopping", flush=True),
        drain_timeout=2.0,
        after_drain=after_drain,
    )
    print("returned", flush=True)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_drains_and_returns_on_signal(sig: signal.Signals) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        word, port = child.stdout.readline().split()
        assert word == "ready"
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
        conn.request("GET", "/hello")
        assert conn.getresponse().read() == b"hello GET"
        child.send_signal(sig)
        out, err = child.communicate(timeout=10)
        assert child.returncode == 0, err
        assert out.split() == ["stopping", "drained", "returned"]
        conn.close()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_loop_factory_falls_back_to_asyncio_without_uvloop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert listener._loop_factory() is not asyncio.new_event_loop
    monkeypatch.setitem(sys.modules, "uvloop", None)  # makes `import uvloop` fail
    assert listener._loop_factory() is asyncio.new_event_loop
