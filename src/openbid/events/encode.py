"""Finished event files: a journal's lines as Parquet (zstd) or gzip JSON Lines, written under
a temporary name, synced, then renamed into place, so a reader sees a whole file or none."""

import gzip
import logging
import os
from enum import StrEnum
from pathlib import Path

import msgspec
import pyarrow.parquet as pq

from openbid.events.arrow import lines_to_table
from openbid.events.schema import Event
from openbid.events.sink import encode_lines

log = logging.getLogger("openbid.events")
_decode = msgspec.json.Decoder(Event).decode


class FileFormat(StrEnum):
    """How finished files are encoded."""

    PARQUET = "parquet"
    JSONL = "jsonl"

    @property
    def suffix(self) -> str:
        """The file name ending: ``.parquet`` or ``.jsonl.gz``."""
        return ".parquet" if self is FileFormat.PARQUET else ".jsonl.gz"


def salvage(data: bytes) -> bytes:
    """The valid event lines of a journal left by a crash: a torn last line and any line that
    does not decode as an event are dropped (and logged)."""
    whole = data[: data.rfind(b"\n") + 1]
    lines = whole.splitlines()
    events = []
    for line in lines:
        try:
            events.append(_decode(line))
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue
    if len(events) != len(lines) or len(whole) != len(data):
        log.warning(
            "recovered journal: %d events kept, %d bad lines and %d bytes of a torn line dropped",
            len(events),
            len(lines) - len(events),
            len(data) - len(whole),
        )
    return encode_lines(events) if events else b""


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(lines: bytes, file_format: FileFormat, temporary: Path, final: Path) -> None:
    """Encode ``lines`` to ``temporary``, sync it, and rename it to ``final`` (same disk)."""
    if file_format is FileFormat.PARQUET:
        # Arrow's own file IO: encoding and writing run with the interpreter lock released.
        pq.write_table(lines_to_table(lines), str(temporary), compression="zstd")
    else:
        temporary.write_bytes(gzip.compress(lines, compresslevel=6, mtime=0))
    _sync(temporary)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temporary, final)
