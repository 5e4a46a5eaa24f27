"""The catalog store's Alembic migrations on SQLite and PostgreSQL: from an empty database and
from every earlier revision to head, with the data already stored surviving."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from openbid.catalog import migrate, rows, schema
from openbid.catalog.database import create_catalog_engine, parse_catalog_url
from openbid.catalog.load import load_catalog
from openbid.catalog.model import Catalog
from openbid.catalog.store import CatalogStore, Migration
from openbid.catalog.store_errors import CatalogStoreError

DEMO = load_catalog()
HEAD = migrate.head_revision()
EARLIER = [
    script.revision
    for script in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()
    if script.revision != HEAD
]


@pytest.fixture
def engine(catalog_url: str) -> Iterator[sa.Engine]:
    """An engine on the empty test database, configured as the store configures its own."""
    created = create_catalog_engine(parse_catalog_url(catalog_url))
    yield created
    created.dispose()


def _store_as_of_revision(connection: sa.Connection, catalog: Catalog) -> None:
    """Write ``catalog`` with the columns every revision has (the counter came later)."""
    now = datetime.now(UTC)
    connection.execute(sa.update(schema.catalog).values(currency=catalog.currency))
    rates = rows.rate_rows(catalog)
    connection.execute(sa.insert(schema.currency_rates), rates)
    for entity in rows.ENTITIES:
        for position, record in enumerate(rows.records(entity, catalog)):
            stamped = {"position": position, "created_at": now, "updated_at": now}
            connection.execute(sa.insert(entity.table), [record.row | stamped])
            for link in entity.links:
                linked = [
                    {"line_item_id": record.row["id"], "position": index, link.column: value}
                    for index, value in enumerate(record.links[link.field])
                ]
                if linked:
                    connection.execute(sa.insert(link.table), linked)


def test_at_least_two_revisions_in_a_line() -> None:
    assert HEAD == "0002"
    assert EARLIER == ["0001"]


def test_upgrade_from_empty_builds_exactly_the_schema(catalog_url: str, engine: sa.Engine) -> None:
    with CatalogStore(catalog_url) as store:
        assert store.init() == Migration(None, HEAD)
        assert store.init() == Migration(HEAD, HEAD)
        assert store.version() == 0
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), schema.metadata)
    assert differences == []


@pytest.mark.parametrize("revision", EARLIER)
def test_upgrade_from_an_earlier_revision_keeps_the_catalog(
    catalog_url: str, engine: sa.Engine, revision: str
) -> None:
    with engine.begin() as connection:
        migrate.upgrade(connection, revision)
        _store_as_of_revision(connection, DEMO)
    with CatalogStore(catalog_url) as store:
        with pytest.raises(CatalogStoreError, match=f"at revision {revision} and this openbid"):
            store.version()
        assert store.init() == Migration(revision, HEAD)
        assert store.load() == DEMO
        assert store.version() == 0
        assert store.replace(DEMO) == 1


def test_downgrade_and_upgrade_again_keep_the_catalog(
    store: CatalogStore, catalog_url: str, engine: sa.Engine
) -> None:
    store.replace(DEMO)
    with engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), EARLIER[0])
    with CatalogStore(catalog_url) as again:
        assert again.init() == Migration(EARLIER[0], HEAD)
        assert again.load() == DEMO
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(
            sa.insert(schema.catalog).values(
                id=2, currency="USD", spec={}, updated_at=datetime.now(UTC)
            )
        )


def test_a_revision_from_a_newer_openbid_says_to_upgrade_openbid(
    store: CatalogStore, catalog_url: str, engine: sa.Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with (
        CatalogStore(catalog_url) as again,
        pytest.raises(CatalogStoreError, match="revision 9999, which this openbid does not know"),
    ):
        again.version()
