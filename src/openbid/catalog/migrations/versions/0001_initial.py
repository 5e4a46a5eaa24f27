"""The catalog's tables: one row per entity, its open-ended details in a JSON ``spec`` column.

Revision ID: 0001
Revises:
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _identity(length: int = 64) -> sa.Column[Any]:
    return sa.Column("id", sa.String(length), nullable=False)


def _tail() -> list[sa.Column[Any]]:
    """Order, timestamps and the JSON ``spec``: what every entity table ends with."""
    return [
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.Column("spec", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    ]


def _foreign_key(
    table: str, column: str, target: str, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete
    )


def _link_table(name: str, column: str, target: str, length: int) -> None:
    """A line item's ordered list of references to ``target``."""
    op.create_table(
        name,
        sa.Column("line_item_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
        sa.Column(column, sa.String(length), nullable=False),
        sa.PrimaryKeyConstraint("line_item_id", "position", name=f"pk_{name}"),
        _foreign_key(name, "line_item_id", "line_items", ondelete="CASCADE"),
        _foreign_key(name, column, target),
    )
    op.create_index(f"ix_{name}_{column}", name, [column])


def upgrade() -> None:
    """Create the tables and the one catalog row, holding an empty USD catalog."""
    catalog = op.create_table(
        "catalog",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("spec", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog"),
        sa.CheckConstraint("id = 1", name="ck_catalog_single_row"),
    )
    op.bulk_insert(
        catalog, [{"id": 1, "currency": "USD", "spec": {}, "updated_at": datetime.now(UTC)}]
    )
    op.create_table(
        "currency_rates",
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("rate", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("currency", name="pk_currency_rates"),
    )
    op.create_table(
        "advertisers",
        _identity(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_advertisers"),
    )
    op.create_table(
        "campaigns",
        _identity(),
        sa.Column("advertiser_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", _instant()),
        sa.Column("end_at", _instant()),
        *_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_campaigns"),
        _foreign_key("campaigns", "advertiser_id", "advertisers"),
    )
    op.create_index("ix_campaigns_advertiser_id", "campaigns", ["advertiser_id"])
    op.create_table(
        "creatives",
        _identity(),
        sa.Column("advertiser_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_creatives"),
        _foreign_key("creatives", "advertiser_id", "advertisers"),
    )
    op.create_index("ix_creatives_advertiser_id", "creatives", ["advertiser_id"])
    op.create_table(
        "deals",
        _identity(128),
        sa.Column("name", sa.Text, nullable=False),
        *_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_deals"),
    )
    op.create_table(
        "line_items",
        _identity(),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_at", _instant()),
        sa.Column("end_at", _instant()),
        *_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_line_items"),
        _foreign_key("line_items", "campaign_id", "campaigns"),
    )
    op.create_index("ix_line_items_campaign_id", "line_items", ["campaign_id"])
    _link_table("line_item_creatives", "creative_id", "creatives", 64)
    _link_table("line_item_deals", "deal_id", "deals", 128)


def downgrade() -> None:
    """Drop every catalog table, referencing tables first."""
    for table in (
        "line_item_deals",
        "line_item_creatives",
        "line_items",
        "deals",
        "creatives",
        "campaigns",
        "advertisers",
        "currency_rates",
        "catalog",
    ):
        op.drop_table(table)
