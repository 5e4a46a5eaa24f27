"""Alembic environment: migrates the connection that ``openbid.catalog.migrate`` hands over."""

from alembic import context
from sqlalchemy.engine import Connection

from openbid.catalog.schema import metadata

connection: Connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
