"""The numbers of ``openbid report``: DuckDB over finished event files (Parquet and gzip JSONL).

Spend is what billing notices (``bill``, the exchange's ``burl``) charged: the clearing price,
a CPM, over a thousand impressions. Win rate is wins over bids, CTR clicks over impressions,
eCPM spend per thousand impressions. Notices that do not carry the campaign, advertiser or
exchange get them from their bid's own ``bid`` event (same ``bid_id``).
"""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import msgspec
import pyarrow as pa

from openbid.events.arrow import WIRE_SCHEMA

MICROS_PER_UNIT_PER_MILLE = 1_000_000_000
"""A clearing price in CPM micros, divided by this, is the price of one impression."""


class Dimension(StrEnum):
    """What report rows are grouped by."""

    CAMPAIGN = "campaign"
    LINE_ITEM = "line-item"
    EXCHANGE = "exchange"
    ADVERTISER = "advertiser"
    HOUR = "hour"

    @property
    def column(self) -> str:
        """The name of its column in the report."""
        return self.value.replace("-", "_")

    @property
    def sql(self) -> str:
        """The SQL expression of its value."""
        if self is Dimension.HOUR:
            return "strftime(date_trunc('hour', ts), '%Y-%m-%d %H:00')"
        return self.column


class Filters(msgspec.Struct, frozen=True):
    """Which events count: a time range ``[start, end)`` in UTC and allowed ids (empty: all)."""

    start: datetime | None = None
    end: datetime | None = None
    campaigns: tuple[str, ...] = ()
    line_items: tuple[str, ...] = ()
    exchanges: tuple[str, ...] = ()


class Metrics(msgspec.Struct):
    """Counts, spend (in currency units) and the rates derived from them."""

    bids: int
    wins: int
    bills: int
    impressions: int
    clicks: int
    spend: float
    win_rate: float | None
    ctr: float | None
    ecpm: float | None

    @classmethod
    def of(
        cls, bids: int, wins: int, bills: int, impressions: int, clicks: int, spend_micros: int
    ) -> "Metrics":
        """Metrics from counts and spend in CPM micros; a rate over zero is None."""
        spend = spend_micros / MICROS_PER_UNIT_PER_MILLE
        return cls(
            bids,
            wins,
            bills,
            impressions,
            clicks,
            round(spend, 6),
            wins / bids if bids else None,
            clicks / impressions if impressions else None,
            round(spend / impressions * 1000, 6) if impressions else None,
        )


class Row(msgspec.Struct):
    """One report row: the values of its group keys, and its metrics."""

    keys: dict[str, str | None]
    metrics: Metrics


class Point(msgspec.Struct, frozen=True):
    """One series at one time bucket, for the chart."""

    bucket: datetime
    series: str
    spend: float
    bids: int
    wins: int


_DUCKDB_TYPES = {pa.int64(): "BIGINT", pa.string(): "VARCHAR", pa.float64(): "DOUBLE"}
_COUNTS = """
    count(*) FILTER (WHERE kind = 'bid') AS bids,
    count(*) FILTER (WHERE kind = 'win') AS wins,
    count(*) FILTER (WHERE kind = 'bill') AS bills,
    count(*) FILTER (WHERE kind = 'impression') AS impressions,
    count(*) FILTER (WHERE kind = 'click') AS clicks,
    coalesce(sum(clearing_price_micros) FILTER (WHERE kind = 'bill'), 0)::BIGINT AS spend
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_literal(str(path)) for path in paths) + "]"


def _sources(files: Sequence[Path]) -> str:
    """One SELECT over every file, timestamps as epoch microseconds in ``ts_us``."""
    parquet = [path for path in files if path.name.endswith(".parquet")]
    jsonl = [path for path in files if path.name.endswith(".jsonl.gz")]
    selects = []
    if parquet:
        selects.append(
            "SELECT * EXCLUDE (ts), epoch_us(ts) AS ts_us "
            f"FROM read_parquet({_file_list(parquet)}, union_by_name = true)"
        )
    if jsonl:
        columns = ", ".join(
            f"{_literal(field.name)}: {_literal(_DUCKDB_TYPES[field.type])}"
            for field in WIRE_SCHEMA
        )
        selects.append(
            "SELECT * EXCLUDE (ts), ts AS ts_us FROM read_json("
            f"{_file_list(jsonl)}, format = 'newline_delimited', compression = 'gzip', "
            f"columns = {{{columns}}})"
        )
    return " UNION ALL BY NAME ".join(selects)


class EventQueryError(Exception):
    """The event files could not be read into the query database."""


class EventQuery:
    """An in-memory DuckDB database holding the events of some files, ready to aggregate."""

    def __init__(self, files: Sequence[Path], filters: Filters) -> None:
        import duckdb  # noqa: PLC0415 -- only reports need DuckDB; the bidder never loads it

        self._db = duckdb.connect()
        self._db.execute("SET TimeZone = 'UTC'")
        try:
            self._load(files, filters)
        except duckdb.Error as error:
            raise EventQueryError(str(error)) from None

    def _load(self, files: Sequence[Path], filters: Filters) -> None:
        self._db.execute(
            f"""
            CREATE TEMP TABLE raw AS
            SELECT kind, make_timestamp(ts_us) AS ts, bid_id, exchange, line_item, campaign,
                   advertiser, currency, clearing_price_micros
            FROM ({_sources(files)})
            """
        )
        conditions = ["TRUE"]
        parameters: list[object] = []
        if filters.start is not None:
            conditions.append("r.ts >= ?")
            parameters.append(filters.start.replace(tzinfo=None))
        if filters.end is not None:
            conditions.append("r.ts < ?")
            parameters.append(filters.end.replace(tzinfo=None))
        for column, allowed in (
            ("campaign", filters.campaigns),
            ("line_item", filters.line_items),
            ("exchange", filters.exchanges),
        ):
            if allowed:
                conditions.append(f"list_contains(?, coalesce(r.{column}, b.{column}))")
                parameters.append(list(allowed))
        self._db.execute(
            f"""
            CREATE TEMP TABLE events AS
            WITH bids AS (
                SELECT bid_id, any_value(exchange) AS exchange, any_value(line_item) AS line_item,
                       any_value(campaign) AS campaign, any_value(advertiser) AS advertiser,
                       any_value(currency) AS currency
                FROM raw WHERE kind = 'bid' AND bid_id IS NOT NULL GROUP BY bid_id
            )
            SELECT r.kind, r.ts, r.clearing_price_micros,
                   coalesce(r.exchange, b.exchange) AS exchange,
                   coalesce(r.line_item, b.line_item) AS line_item,
                   coalesce(r.campaign, b.campaign) AS campaign,
                   coalesce(r.advertiser, b.advertiser) AS advertiser,
                   coalesce(r.currency, b.currency) AS currency
            FROM raw r LEFT JOIN bids b ON r.kind <> 'bid' AND r.bid_id = b.bid_id
            WHERE {" AND ".join(conditions)}
            """,
            parameters,
        )
        self._db.execute("DROP TABLE raw")

    def count(self) -> int:
        """How many events passed the filters."""
        row = self._db.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0

    def currencies(self) -> list[str]:
        """The currencies of the billed spend, sorted."""
        rows = self._db.execute(
            "SELECT DISTINCT currency FROM events "
            "WHERE kind = 'bill' AND currency IS NOT NULL ORDER BY 1"
        ).fetchall()
        return [str(row[0]) for row in rows]

    def rows(self, by: Sequence[Dimension], by_currency: bool) -> list[Row]:
        """The metrics per group (by hour in time order, else by spend, highest first); with no
        group, one row of totals (none when no event counts)."""
        names = [d.column for d in by] + (["currency"] if by_currency else [])
        keys = [f"{d.sql} AS {d.column}" for d in by] + (["currency"] if by_currency else [])
        order = ["hour"] if Dimension.HOUR in by else ["spend DESC", "bids DESC"]
        result = self._db.execute(
            f"SELECT {''.join(key + ', ' for key in keys)}{_COUNTS} FROM events "
            f"GROUP BY ALL HAVING bids + wins + bills + impressions + clicks > 0 "
            f"ORDER BY {', '.join([*order, *names, 'bids'])}"
        ).fetchall()
        width = len(names)
        return [
            Row(
                {name: None if v is None else str(v) for name, v in zip(names, row, strict=False)},
                Metrics.of(*(int(n) for n in row[width:])),
            )
            for row in result
        ]

    def timeline(self, bucket_seconds: int, series: Dimension | None, top: int) -> list[Point]:
        """Spend, bids and wins per time bucket, per series: the ``top`` by spend, then
        ``other`` (one series, ``all``, when ``series`` is None)."""
        label = "'all'" if series is None else f"coalesce({series.sql}, '(none)')"
        result = self._db.execute(
            f"""
            WITH labelled AS (
                SELECT *, {label} AS series FROM events WHERE kind IN ('bid', 'win', 'bill')
            ),
            ranked AS (
                SELECT series, row_number() OVER (ORDER BY sum(clearing_price_micros)
                    FILTER (WHERE kind = 'bill') DESC NULLS LAST, count(*) DESC) AS rank
                FROM labelled GROUP BY series
            )
            SELECT time_bucket(to_seconds(?), ts) AS bucket,
                   CASE WHEN rank <= ? THEN series ELSE 'other' END AS name,
                   {_COUNTS}
            FROM labelled JOIN ranked USING (series)
            GROUP BY ALL ORDER BY bucket, name
            """,
            [bucket_seconds, top],
        ).fetchall()
        return [
            Point(
                bucket,
                name,
                spend / MICROS_PER_UNIT_PER_MILLE,
                int(bids),
                int(wins),
            )
            for bucket, name, bids, wins, _, _, _, spend in result
        ]

    def span(self) -> tuple[datetime, datetime] | None:
        """The first and last event times, or None when there is none."""
        row = self._db.execute("SELECT min(ts), max(ts) FROM events").fetchone()
        if row is None or row[0] is None:
            return None
        return row[0], row[1]
