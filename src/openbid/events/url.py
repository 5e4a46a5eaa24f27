"""The ``--events`` URL: which sink, and how it writes.

==================================  =========================================================
``none``                            no event log
``stdout``                          JSON lines on standard output (for FireLens / Fluent Bit)
``PATH`` or ``file:///PATH``        finished files under a local directory
``s3://BUCKET/PREFIX``              files spooled locally, uploaded to S3
==================================  =========================================================

Query parameters for files and S3: ``format=parquet|jsonl`` (Parquet with zstd, or gzip JSON
Lines; default parquet), ``rotate_seconds`` (60) and ``rotate_mb`` (64) — a file is finished when
either is reached; for S3 also ``spool=DIR`` (default: ``openbid-events-spool/BUCKET/PREFIX`` in
the temporary directory), ``multipart_mb`` (16: larger files go up in parts of this size). S3
credentials, region and endpoint come from boto3's usual sources (``AWS_REGION``,
``AWS_ENDPOINT_URL``, the task role, ...).
"""

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

from openbid.events.encode import FileFormat
from openbid.events.files import DEFAULT_ROTATE_BYTES, DEFAULT_ROTATE_SECONDS, FileSink
from openbid.events.s3 import S3Sink, S3Uploader
from openbid.events.sink import Sink
from openbid.events.stdout import StdoutSink

DEFAULT_EVENTS_URL = "./openbid-events/"
"""The embedded default: Parquet files under ``openbid-events`` in the working directory."""
MIB = 1 << 20
_FILE_OPTIONS = {"format", "rotate_seconds", "rotate_mb"}
_S3_OPTIONS = _FILE_OPTIONS | {"spool", "multipart_mb"}
S3_CLIENT_CONFIG = Config(
    retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
)


class EventsUrlError(ValueError):
    """An ``--events`` URL that names no sink, or has a bad option."""


def _options(query: str, allowed: set[str]) -> dict[str, str]:
    options = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise EventsUrlError(
            f"unknown option {', '.join(unknown)} (known: {', '.join(sorted(allowed))})"
        )
    return options


def _positive(options: dict[str, str], name: str, default: float) -> float:
    text = options.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise EventsUrlError(f"{name} must be a number, not {text!r}") from None
    if value <= 0:
        raise EventsUrlError(f"{name} must be above 0")
    return value


class _FileSettings:
    """The file options of a URL, checked before anything is opened."""

    def __init__(self, options: dict[str, str]) -> None:
        try:
            self.format = FileFormat(options.get("format", FileFormat.PARQUET))
        except ValueError:
            raise EventsUrlError("format must be parquet or jsonl") from None
        self.rotate_seconds = _positive(options, "rotate_seconds", DEFAULT_ROTATE_SECONDS)
        self.rotate_bytes = int(_positive(options, "rotate_mb", DEFAULT_ROTATE_BYTES / MIB) * MIB)

    def sink(self, root: Path, on_finished: Callable[[Path], None] | None = None) -> FileSink:
        """A file sink under ``root`` with these settings."""
        return FileSink(
            root,
            self.format,
            rotate_seconds=self.rotate_seconds,
            rotate_bytes=self.rotate_bytes,
            on_finished=on_finished,
        )


def _s3_sink(bucket: str, prefix: str, options: dict[str, str]) -> S3Sink:
    if not bucket:
        raise EventsUrlError("an S3 URL is s3://BUCKET[/PREFIX]")
    settings = _FileSettings(options)
    part = int(_positive(options, "multipart_mb", 16) * MIB)
    default_spool = Path(tempfile.gettempdir()) / "openbid-events-spool" / bucket / prefix
    spool = Path(options.get("spool") or default_spool)
    uploader = S3Uploader(
        boto3.client("s3", config=S3_CLIENT_CONFIG),
        bucket,
        prefix,
        spool,
        TransferConfig(multipart_threshold=part, multipart_chunksize=part, max_concurrency=4),
    )
    return S3Sink(settings.sink(spool, uploader.notify), uploader)


def open_sink(url: str) -> Sink | None:
    """The sink an ``--events`` URL names; None for ``none``. Raises :class:`EventsUrlError`."""
    if url == "none":
        return None
    if url in ("stdout", "-"):
        return StdoutSink(sys.stdout.buffer)
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return _s3_sink(parts.netloc, parts.path.strip("/"), _options(parts.query, _S3_OPTIONS))
    if parts.scheme == "file":
        return _FileSettings(_options(parts.query, _FILE_OPTIONS)).sink(Path(parts.path))
    if parts.scheme:
        raise EventsUrlError(f"{url!r}: events go to none, stdout, a directory, or s3://")
    path, _, query = url.partition("?")
    return _FileSettings(_options(query, _FILE_OPTIONS)).sink(Path(path))
