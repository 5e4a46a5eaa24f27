"""Alembic migrations of the catalog store, run in code by ``openbid.catalog.migrate``."""
