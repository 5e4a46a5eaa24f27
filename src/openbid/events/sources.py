"""Finding finished event files for a report: under a local directory, or in S3.

Only finished files are read: names ending ``.parquet`` or ``.jsonl.gz`` outside any directory
whose name starts with ``.`` or ``_`` (the writer's ``.staging``, Spark's ``_temporary``), so a
file being written, or left half-written by a crash, is never seen. Partitions
(``dt=.../hour=...``) outside the asked time range are skipped without being read.

S3 objects are listed and downloaded with boto3 into a temporary directory, then read like a
local directory. (DuckDB's own ``s3://`` support needs its ``httpfs`` extension, which DuckDB
downloads from the internet on first use; that is not possible everywhere openbid runs.)
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from openbid.events.partition import partition_hour

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SUFFIXES = (".parquet", ".jsonl.gz")
HOUR = timedelta(hours=1)


class EventSourceError(Exception):
    """The event files cannot be found or fetched; the message says why."""


def _finished(relative: PurePosixPath) -> bool:
    hidden = any(part.startswith((".", "_")) for part in relative.parts)
    return not hidden and relative.name.endswith(SUFFIXES)


def _in_range(relative: str, start: datetime | None, end: datetime | None) -> bool:
    """Whether a file's partition hour can hold events in ``[start, end)``."""
    hour = partition_hour(relative)
    if hour is None:
        return True
    return (start is None or hour + HOUR > start) and (end is None or hour < end)


def select(relatives: Iterable[str], start: datetime | None, end: datetime | None) -> list[str]:
    """The finished event files among relative paths, in the time range, sorted."""
    return sorted(
        path for path in relatives if _finished(PurePosixPath(path)) and _in_range(path, start, end)
    )


def local_files(root: Path, start: datetime | None, end: datetime | None) -> list[Path]:
    """Finished event files under ``root`` that may hold events in ``[start, end)``."""
    if not root.exists():
        raise EventSourceError(f"no event log at {root}: the directory does not exist")
    if not root.is_dir():
        raise EventSourceError(f"{root} is not a directory of event files")
    relatives = (path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    return [root / relative for relative in select(relatives, start, end)]


def download_s3(
    url: str,
    into: Path,
    start: datetime | None,
    end: datetime | None,
    client: "S3Client | None" = None,
) -> list[Path]:
    """Download the finished event files under an ``s3://BUCKET/PREFIX`` URL into ``into``."""
    parts = urlsplit(url)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if not bucket:
        raise EventSourceError(f"{url!r}: an S3 URL is s3://BUCKET[/PREFIX]")
    s3 = client or boto3.client("s3")
    base = f"{prefix}/" if prefix else ""
    try:
        keys = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)
            for item in page.get("Contents", [])
        ]
        wanted = select((key[len(base) :] for key in keys), start, end)
        paths = []
        for relative in wanted:
            target = into / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, base + relative, str(target))
            paths.append(target)
    except (BotoCoreError, ClientError) as error:
        raise EventSourceError(f"cannot read {url}: {error}") from None
    return paths
