"""The local-directory sink: partitioned files, rotated by time and size, each whole or absent.

Layout under the root::

    dt=2026-05-01/hour=13/events-20260501T130000Z-HOST-PID-RAND-00001.parquet   finished
    .staging/dt=2026-05-01/hour=13/events-...-00002.jsonl                         open journal

Batches are appended to a journal per event hour (:mod:`openbid.events.journal`); when the
journal is ``rotate_seconds`` old or ``rotate_bytes`` big it is encoded into a finished file
(:mod:`openbid.events.encode`) and deleted. Readers skip names starting with ``.``, so they see
finished files only. A finished file is named after its journal: recovering a journal whose file
already exists (a crash between the rename and the delete) just deletes the journal, so no event
is written twice.
"""

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from openbid.events.encode import FileFormat, salvage, write_file
from openbid.events.journal import Journal, claim_orphan
from openbid.events.partition import HOUR_US, partition_of
from openbid.events.schema import Event
from openbid.events.sink import encode_lines

log = logging.getLogger("openbid.events")

STAGING = ".staging"
"""The directory under the root holding journals and files being written."""
JOURNAL_SUFFIX = ".jsonl"
DEFAULT_ROTATE_SECONDS = 60.0
DEFAULT_ROTATE_BYTES = 64 << 20


class FileSink:
    """Writes events under ``root``; ``on_finished`` is called with each finished file's path."""

    def __init__(
        self,
        root: Path,
        file_format: FileFormat = FileFormat.PARQUET,
        *,
        rotate_seconds: float = DEFAULT_ROTATE_SECONDS,
        rotate_bytes: int = DEFAULT_ROTATE_BYTES,
        on_finished: Callable[[Path], None] | None = None,
    ) -> None:
        self.root = root
        self.format = file_format
        self._staging = root / STAGING
        self._rotate_seconds = rotate_seconds
        self._rotate_bytes = rotate_bytes
        self._on_finished = on_finished
        self._journals: dict[int, Journal] = {}
        host = socket.gethostname().replace("-", "").replace(".", "")[:24] or "host"
        self._token = f"{host}-{os.getpid()}-{secrets.token_hex(3)}"
        self._sequence = 0
        self._staging.mkdir(parents=True, exist_ok=True)
        self.recovered = self._recover()
        """How many journals of dead writers were turned into finished files on start."""

    def write(self, events: Sequence[Event]) -> None:
        """Append the batch to the journal of each event's hour; rotate those grown too big."""
        by_hour: dict[int, list[Event]] = {}
        for event in events:
            by_hour.setdefault(event.ts // HOUR_US, []).append(event)
        for hour, group in by_hour.items():
            journal = self._journals.get(hour) or self._open(hour)
            journal.append(encode_lines(group))
            if journal.size >= self._rotate_bytes:
                self._finish(hour)

    def tick(self) -> None:
        """Rotate journals older than ``rotate_seconds``."""
        now = time.monotonic()
        for hour, journal in list(self._journals.items()):
            if now - journal.opened >= self._rotate_seconds:
                self._finish(hour)

    def close(self, deadline: float) -> bool:
        """Finish every open journal (local work: the deadline is not needed to bound it)."""
        for hour in list(self._journals):
            self._finish(hour)
        return True

    def _open(self, hour: int) -> Journal:
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"events-{stamp}-{self._token}-{self._sequence:05d}{JOURNAL_SUFFIX}"
        journal = Journal(self._staging / partition_of(hour) / name)
        self._journals[hour] = journal
        return journal

    def _finish(self, hour: int) -> None:
        journal = self._journals.pop(hour)
        journal.close()
        if journal.size:
            self._publish(journal.path, journal.path.read_bytes())
        journal.path.unlink()

    def _final_path(self, journal: Path, file_format: FileFormat) -> Path:
        return self.root / journal.relative_to(self._staging).with_suffix(file_format.suffix)

    def _publish(self, journal: Path, lines: bytes) -> None:
        final = self._final_path(journal, self.format)
        write_file(lines, self.format, journal.with_suffix(self.format.suffix + ".tmp"), final)
        if self._on_finished is not None:
            self._on_finished(final)

    def _recover(self) -> int:
        """Finish the journals of writers that died; leave those of live writers alone."""
        recovered = 0
        for journal in sorted(self._staging.rglob(f"*{JOURNAL_SUFFIX}")):
            with claim_orphan(journal) as data:
                if data is None:
                    continue
                lines = salvage(data)
                published = any(self._final_path(journal, f).exists() for f in FileFormat)
                if lines and not published:
                    self._publish(journal, lines)
                    recovered += 1
                journal.with_suffix(self.format.suffix + ".tmp").unlink(missing_ok=True)
                journal.unlink(missing_ok=True)
        if recovered:
            log.info("recovered %d event journals left by a stopped writer", recovered)
        return recovered
