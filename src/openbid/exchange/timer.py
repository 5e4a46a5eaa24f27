"""Waiting for an instant with sub-millisecond precision, without spinning.

uvloop's timers count whole milliseconds, so a request could leave up to a millisecond after it
was due, and, measured from then, look a millisecond slower. On Linux, a timerfd (reached through
ctypes: ``os.timerfd_create`` only arrives in Python 3.13) wakes the event loop at the instant
asked; elsewhere :class:`Timer` falls back to ``asyncio.sleep``. Instants are ``time.monotonic()``
seconds, the clock a timerfd on ``CLOCK_MONOTONIC`` counts in.
"""

import asyncio
import ctypes
import ctypes.util
import os
import sys
import time

CLOCK_MONOTONIC = 1
TFD_NONBLOCK = 0o4000
TFD_CLOEXEC = 0o2000000
TFD_TIMER_ABSTIME = 1
COARSE = 0.003  # waits longer than this sleep on the loop's own timer first...
MARGIN = 0.002  # ...until this long before the instant


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


def _timerfd() -> tuple[int, ctypes.CDLL | None]:
    """A non-blocking timerfd and the libc that made it; (-1, None) where there is none."""
    if not sys.platform.startswith("linux"):
        return -1, None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        fd: int = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
    except (OSError, AttributeError):
        return -1, None
    return (fd, libc) if fd >= 0 else (-1, None)


class Timer:
    """Sleeps until a ``time.monotonic()`` instant on the running event loop."""

    def __init__(self) -> None:
        self._fd, self._libc = _timerfd()
        self._spec = _Itimerspec()

    async def sleep_until(self, when: float) -> None:
        """Return at ``when`` (or at once if it has passed)."""
        delay = when - time.monotonic()
        if delay <= 0:
            return
        if delay > COARSE or self._libc is None:
            await asyncio.sleep(delay - MARGIN if self._libc is not None else delay)
            if when <= time.monotonic():
                return
        if self._libc is None:
            return
        seconds = int(when)
        self._spec.it_value.tv_sec = seconds
        self._spec.it_value.tv_nsec = int((when - seconds) * 1e9)
        self._libc.timerfd_settime(self._fd, TFD_TIMER_ABSTIME, ctypes.byref(self._spec), None)
        loop = asyncio.get_running_loop()
        fired = loop.create_future()

        def expired() -> None:
            try:
                os.read(self._fd, 8)
            except BlockingIOError:
                return
            loop.remove_reader(self._fd)
            if not fired.done():
                fired.set_result(None)

        loop.add_reader(self._fd, expired)
        try:
            await fired
        finally:
            loop.remove_reader(self._fd)

    def close(self) -> None:
        """Release the timerfd."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd, self._libc = -1, None
