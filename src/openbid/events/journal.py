"""Journals: the append-only JSON-lines files a writer keeps per partition until rotation.

Each batch is appended with ``os.write`` as soon as it is taken from the queue, so a crashed
process loses at most the batch it was writing. A journal is ``flock``-ed by its writer while
open; one that can be locked by someone else belonged to a process that died, and is recovered.
"""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Journal:
    """One open journal file; the lock lives as long as the file descriptor."""

    __slots__ = ("_fd", "opened", "path", "size")

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.opened = time.monotonic()
        self.size = 0

    def append(self, data: bytes) -> None:
        """Write ``data`` to the end of the file (looping over short writes)."""
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(data)

    def close(self) -> None:
        """Close the file, releasing the lock."""
        os.close(self._fd)


@contextmanager
def claim_orphan(path: Path) -> Iterator[bytes | None]:
    """The content of a journal whose writer is gone, locked while the caller handles it;
    None while a live writer holds it (or when it is already gone)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    with os.fdopen(fd, "rb") as file:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield file.read()
