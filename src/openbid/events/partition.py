"""Hive-style partitions by event hour: ``dt=YYYY-MM-DD/hour=HH``, as Athena, Spark and DuckDB
prune them."""

import re
from datetime import UTC, datetime, timedelta

HOUR_US = 3_600_000_000
"""Microseconds in an hour: an event's hour is ``ts // HOUR_US``."""
_PARTITION = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/hour=(\d{2})")


def partition_of(hour: int) -> str:
    """The partition path of an hour counted since the epoch (``ts // HOUR_US``)."""
    start = datetime.fromtimestamp(hour * 3600, UTC)
    return f"dt={start:%Y-%m-%d}/hour={start:%H}"


def partition_hour(path: str) -> datetime | None:
    """The UTC start of the hour a path's partition holds; None when it has no partition."""
    match = _PARTITION.search(path)
    if match is None:
        return None
    day = datetime.strptime(match[1], "%Y-%m-%d").replace(tzinfo=UTC)
    return day + timedelta(hours=int(match[2]))
