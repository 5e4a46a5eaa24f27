"""The catalog in a database: loaded whole in one transaction, read back, paused and resumed.

Every change bumps one version counter, so a running bidder only has to poll ``version()``
(one row) to know when to ``load()`` again. Read the version before loading: a change that
lands in between is then seen at the next poll, never missed.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from openbid.catalog import migrate, rows, schema
from openbid.catalog.database import (
    DEFAULT_CATALOG_URL,
    Access,
    access_options,
    create_catalog_engine,
    is_postgres,
    parse_catalog_url,
)
from openbid.catalog.errors import CatalogError
from openbid.catalog.load import parse_catalog
from openbid.catalog.model import Catalog, Status
from openbid.catalog.store_errors import CatalogStoreError, UnknownEntityError
from openbid.catalog.validate import validate

INIT_HINT = "run `openbid catalog init`"


class EntityKind(StrEnum):
    """The kinds of entity that can be paused and resumed."""

    ADVERTISER = "advertiser"
    CAMPAIGN = "campaign"
    CREATIVE = "creative"
    LINE_ITEM = "line-item"


_BY_FIELD = {entity.field: entity for entity in rows.ENTITIES}
_PAUSABLE = {
    EntityKind.LINE_ITEM: _BY_FIELD["line_items"],
    EntityKind.CAMPAIGN: _BY_FIELD["campaigns"],
    EntityKind.ADVERTISER: _BY_FIELD["advertisers"],
    EntityKind.CREATIVE: _BY_FIELD["creatives"],
}


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``init()`` did: the revision found (None for an empty database) and the one left."""

    previous: str | None
    current: str


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What ``set_status()`` did; ``changed`` is False when the entity already had the status."""

    kind: EntityKind
    entity_id: str
    status: Status
    changed: bool
    version: int


def _reason(error: SQLAlchemyError) -> str:
    """The database's own words, on one line, without SQLAlchemy's statement dump."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    text = str(cause).split("\n[SQL:")[0]
    return re.sub(r"\s+", " ", text).strip()


class CatalogStore:
    """The catalog in an SQLite file or a PostgreSQL database, under a version counter."""

    def __init__(self, url: str = DEFAULT_CATALOG_URL) -> None:
        self._url = parse_catalog_url(url)
        self._engine = create_catalog_engine(self._url)
        self._schema_ready = False

    def describe(self) -> str:
        """The database URL, password hidden: for messages and logs."""
        return self._url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(
        self, action: str, access: Access, *, check: bool = True
    ) -> Iterator[Connection]:
        """A connection in a transaction; any database failure rolls back and becomes a
        CatalogStoreError saying what could not be done."""
        if check:
            self._require_database()
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as error:
            raise CatalogStoreError(
                f"cannot connect to the catalog database {self.describe()}:\n"
                f"  {_reason(error)}\n"
                "check --catalog-url (or OPENBID_CATALOG_URL) and that the database is running"
            ) from error
        connection = connection.execution_options(**access_options(self._url, access))
        with connection:
            try:
                with connection.begin():
                    if check:
                        self._check_schema(connection)
                    yield connection
            except SQLAlchemyError as error:
                raise CatalogStoreError(
                    f"could not {action} in {self.describe()}: {_reason(error)}"
                ) from error

    def _check_schema(self, connection: Connection) -> None:
        """Fail with what to do when the database is missing, empty, or at another revision."""
        if self._schema_ready:
            return
        revision = migrate.current_revision(connection)
        head = migrate.head_revision()
        if revision is None:
            raise CatalogStoreError(
                f"the catalog database {self.describe()} has no catalog tables: {INIT_HINT}"
            )
        if revision != head:
            if not migrate.is_known_revision(revision):
                raise CatalogStoreError(
                    f"the catalog database {self.describe()} is at revision {revision}, which "
                    f"this openbid does not know (it knows up to {head}): upgrade openbid"
                )
            raise CatalogStoreError(
                f"the catalog database {self.describe()} is at revision {revision} and this "
                f"openbid needs {head}: {INIT_HINT} to migrate it"
            )
        self._schema_ready = True

    def _missing_sqlite_file(self) -> Path | None:
        """An SQLite file that does not exist (opening it would create an empty one)."""
        database = self._url.database
        if is_postgres(self._url) or not database or database == ":memory:":
            return None
        path = Path(database)
        return None if path.exists() else path

    def _require_database(self) -> None:
        missing = self._missing_sqlite_file()
        if missing is not None:
            raise CatalogStoreError(f"no catalog database at {missing}: {INIT_HINT}")

    def init(self) -> Migration:
        """Create the catalog tables, or migrate them to the newest revision; safe to repeat."""
        with self._transaction(
            "migrate the catalog database", Access.WRITE, check=False
        ) as connection:
            previous = migrate.current_revision(connection)
            migrate.upgrade(connection)
        self._schema_ready = True
        return Migration(previous, migrate.head_revision())

    def version(self) -> int:
        """The catalog version: bumped by every change; one row, cheap enough to poll often."""
        with self._transaction("read the catalog version", Access.READ) as connection:
            return _current_version(connection)

    def replace(self, catalog: Catalog) -> int:
        """Validate ``catalog`` and make it the stored catalog in one transaction (a failure
        changes nothing); returns the new version."""
        problems = validate(catalog)
        if problems:
            raise CatalogError("to store", problems)
        now = datetime.now(UTC)
        with self._transaction("store the catalog", Access.WRITE) as connection:
            version = _bump(connection, now, **rows.catalog_row(catalog))
            stored = {entity: _records(connection, entity) for entity in rows.ENTITIES}
            for entity in reversed(rows.ENTITIES):
                for link in entity.links:
                    connection.execute(sa.delete(link.table))
                connection.execute(sa.delete(entity.table))
            connection.execute(sa.delete(schema.currency_rates))
            _insert(connection, schema.currency_rates, rows.rate_rows(catalog))
            for entity in rows.ENTITIES:
                new = rows.records(entity, catalog)
                entity_rows, link_rows = _stamped(entity, new, stored[entity], now)
                _insert(connection, entity.table, entity_rows)
                for table, linked in link_rows.items():
                    _insert(connection, table, linked)
        return version

    def _read(self) -> dict[str, Any]:
        """The stored catalog as data, read in one consistent snapshot."""
        with self._transaction("read the catalog", Access.SNAPSHOT) as connection:
            row = connection.execute(sa.select(schema.catalog)).mappings().one()
            rates = connection.execute(
                sa.select(schema.currency_rates).order_by(schema.currency_rates.c.currency)
            ).mappings()
            entities = {
                entity.field: [
                    rows.entity_data(entity, record)
                    for record in _records(connection, entity).values()
                ]
                for entity in rows.ENTITIES
            }
            return rows.catalog_data(dict(row), [dict(rate) for rate in rates], entities)

    def load(self) -> Catalog:
        """The stored catalog, validated for bidding; CatalogError names any bad field."""
        return parse_catalog(self._read(), f"in {self.describe()}")

    def export(self) -> Catalog:
        """The stored catalog as it is, without the semantic checks of ``load()``, so that a
        catalog a newer openbid rejects can still be exported, fixed and loaded again."""
        try:
            return msgspec.convert(self._read(), Catalog)
        except msgspec.ValidationError as error:
            raise CatalogStoreError(
                f"the catalog in {self.describe()} does not fit this openbid's model: {error}"
            ) from None

    def set_status(
        self, entity_id: str, status: Status, kind: EntityKind | None = None
    ) -> StatusChange:
        """Pause or resume the line item, campaign, advertiser or creative with this id (of
        ``kind`` when ids clash across kinds); bumps the version when the status changes."""
        kinds = [kind] if kind is not None else list(_PAUSABLE)
        with self._transaction(f"set the status of {entity_id!r}", Access.WRITE) as connection:
            found = {
                candidate: current
                for candidate in kinds
                if (current := _status_of(connection, _PAUSABLE[candidate], entity_id)) is not None
            }
            if not found:
                wanted = (
                    _PAUSABLE[kind].noun if kind else "line item, campaign, advertiser or creative"
                )
                raise UnknownEntityError(f"no {wanted} has id {entity_id!r}")
            if len(found) > 1:
                nouns = " and a ".join(_PAUSABLE[candidate].noun for candidate in found)
                raise UnknownEntityError(
                    f"id {entity_id!r} is both a {nouns}: choose one with --kind"
                )
            [(chosen, current)] = found.items()
            if current == status:
                return StatusChange(chosen, entity_id, status, False, _current_version(connection))
            now = datetime.now(UTC)
            version = _bump(connection, now)
            table = _PAUSABLE[chosen].table
            update = (
                sa.update(table)
                .where(table.c.id == entity_id)
                .values(status=status.value, updated_at=now)
            )
            if connection.execute(update).rowcount != 1:
                raise UnknownEntityError(f"{entity_id!r} was removed meanwhile")
            return StatusChange(chosen, entity_id, status, True, version)


def _bump(connection: Connection, now: datetime, **values: object) -> int:
    """Increment the version, first thing in a write: its row lock orders concurrent
    writers on PostgreSQL."""
    statement = (
        sa.update(schema.catalog)
        .where(schema.catalog.c.id == 1)
        .values(version=schema.catalog.c.version + 1, updated_at=now, **values)
        .returning(schema.catalog.c.version)
    )
    return int(connection.execute(statement).scalar_one())


def _records(connection: Connection, entity: rows.Entity) -> dict[str, rows.Record]:
    """The stored entities of one kind by id, in catalog order, with their timestamps."""
    table = entity.table
    columns = [table.c[name] for name in (*entity.content_columns, "created_at", "updated_at")]
    query = sa.select(*columns).order_by(table.c.position)
    found = {
        row["id"]: rows.Record(dict(row), {link.field: [] for link in entity.links})
        for row in connection.execute(query).mappings()
    }
    for link in entity.links:
        owner = link.table.c.line_item_id
        query = sa.select(owner, link.table.c[link.column]).order_by(owner, link.table.c.position)
        for owner_id, linked_id in connection.execute(query):
            found[owner_id].links[link.field].append(linked_id)
    return found


def _current_version(connection: Connection) -> int:
    query = sa.select(schema.catalog.c.version).where(schema.catalog.c.id == 1)
    return int(connection.execute(query).scalar_one())


def _status_of(connection: Connection, entity: rows.Entity, entity_id: str) -> str | None:
    table = entity.table
    query = sa.select(table.c.status).where(table.c.id == entity_id)
    status: str | None = connection.execute(query).scalar_one_or_none()
    return status


def _stamped(
    entity: rows.Entity,
    new: list[rows.Record],
    stored: dict[str, rows.Record],
    now: datetime,
) -> tuple[list[rows.Row], dict[sa.Table, list[rows.Row]]]:
    """Rows to insert: an entity keeps its ``created_at``, and its ``updated_at`` unless its
    content changed; link rows carry each list's order."""
    entity_rows = []
    link_rows: dict[sa.Table, list[rows.Row]] = {link.table: [] for link in entity.links}
    for position, record in enumerate(new):
        old = stored.get(record.row["id"])
        created_at = old.row["created_at"] if old else now
        unchanged = (
            old is not None
            and old.links == record.links
            and all(old.row[column] == record.row[column] for column in entity.content_columns)
        )
        updated_at = old.row["updated_at"] if old and unchanged else now
        entity_rows.append(
            {**record.row, "position": position, "created_at": created_at, "updated_at": updated_at}
        )
        for link in entity.links:
            link_rows[link.table] += [
                {"line_item_id": record.row["id"], "position": index, link.column: linked_id}
                for index, linked_id in enumerate(record.links[link.field])
            ]
    return entity_rows, link_rows


def _insert(connection: Connection, table: sa.Table, values: list[rows.Row]) -> None:
    if values:
        connection.execute(sa.insert(table), values)
