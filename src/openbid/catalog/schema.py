"""The catalog store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Each entity is a row with real columns for what the database must know — identity, foreign keys,
status, name, flight dates, order and timestamps — and a ``spec`` JSON column for the rest
(targeting, bid strategy, budget, creative details), written and read through the msgspec model,
so a new model field needs no migration. The Alembic revisions in ``migrations/versions`` build
exactly these tables; a test compares the two.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

ID_LENGTH = 64
DEAL_ID_LENGTH = 128


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware instant stored in UTC; SQLite keeps no offset, so UTC is attached back."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store every instant in UTC."""
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read instants back as aware UTC datetimes whatever the backend returns."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def spec_type() -> sa.JSON:
    """The JSON column type for an entity's ``spec``: JSONB on PostgreSQL, JSON text elsewhere."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


# Named constraints let later migrations alter them, SQLite batch migrations included.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _owner(name: str, target: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(ID_LENGTH), sa.ForeignKey(target), nullable=False, index=True)


def _timestamps() -> list[sa.Column[datetime]]:
    return [
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    ]


# The one row: the currency, catalog-wide settings in ``spec``, and the version counter.
catalog = sa.Table(
    "catalog",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("spec", spec_type(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("id = 1", name="single_row"),
)

currency_rates = sa.Table(
    "currency_rates",
    metadata,
    sa.Column("currency", sa.String(3), primary_key=True),
    sa.Column("rate", sa.String(40), nullable=False),  # decimal text: exact on every backend
)

advertisers = sa.Table(
    "advertisers",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    *_timestamps(),
    sa.Column("spec", spec_type(), nullable=False),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    _owner("advertiser_id", "advertisers.id"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_at", UtcDateTime()),
    sa.Column("end_at", UtcDateTime()),
    sa.Column("position", sa.Integer, nullable=False),
    *_timestamps(),
    sa.Column("spec", spec_type(), nullable=False),
)

creatives = sa.Table(
    "creatives",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    _owner("advertiser_id", "advertisers.id"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    *_timestamps(),
    sa.Column("spec", spec_type(), nullable=False),
)

deals = sa.Table(
    "deals",
    metadata,
    sa.Column("id", sa.String(DEAL_ID_LENGTH), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    *_timestamps(),
    sa.Column("spec", spec_type(), nullable=False),
)

line_items = sa.Table(
    "line_items",
    metadata,
    sa.Column("id", sa.String(ID_LENGTH), primary_key=True),
    _owner("campaign_id", "campaigns.id"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_at", UtcDateTime()),
    sa.Column("end_at", UtcDateTime()),
    sa.Column("position", sa.Integer, nullable=False),
    *_timestamps(),
    sa.Column("spec", spec_type(), nullable=False),
)

line_item_creatives = sa.Table(
    "line_item_creatives",
    metadata,
    sa.Column(
        "line_item_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("line_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "creative_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("creatives.id"),
        nullable=False,
        index=True,
    ),
)

line_item_deals = sa.Table(
    "line_item_deals",
    metadata,
    sa.Column(
        "line_item_id",
        sa.String(ID_LENGTH),
        sa.ForeignKey("line_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "deal_id",
        sa.String(DEAL_ID_LENGTH),
        sa.ForeignKey("deals.id"),
        nullable=False,
        index=True,
    ),
)
