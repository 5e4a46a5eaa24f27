"""The catalog version counter: bumped by every change, polled by running bidders.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``catalog.version``; a catalog stored before the counter existed starts at 0."""
    op.add_column(
        "catalog", sa.Column("version", sa.BigInteger, nullable=False, server_default="0")
    )


def downgrade() -> None:
    """Drop the counter."""
    with op.batch_alter_table("catalog") as batch:
        batch.drop_column("version")
