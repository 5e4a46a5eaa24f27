"""Opens the catalog database a URL names: an SQLite file by default, PostgreSQL via psycopg 3."""

from enum import Enum

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError

from openbid.catalog.store_errors import CatalogUrlError

DEFAULT_CATALOG_URL = "sqlite:///openbid-catalog.db"  # a file in the working directory
URL_FORMS = "sqlite:///PATH or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
CONNECT_TIMEOUT_SECONDS = 5
_SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite")
_POSTGRES_DRIVERS = ("postgresql", "postgres", "postgresql+psycopg")
_SQLITE_BEGIN = "openbid_sqlite_begin"


def parse_catalog_url(text: str) -> URL:
    """The URL to open, with PostgreSQL on psycopg 3; CatalogUrlError for anything else."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise CatalogUrlError(f"not a database URL: {text!r}; use {URL_FORMS}") from None
    if url.drivername in _POSTGRES_DRIVERS:
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in _SQLITE_DRIVERS:
        return url
    raise CatalogUrlError(
        f"unsupported catalog database {url.drivername!r} in "
        f"{url.render_as_string(hide_password=True)}; use {URL_FORMS}"
    )


def is_postgres(url: URL) -> bool:
    """Whether the URL names a PostgreSQL database."""
    return url.get_backend_name() == "postgresql"


class Access(Enum):
    """What a transaction does, which decides the guarantees it asks the backend for."""

    READ = "read"  # one statement
    SNAPSHOT = "snapshot"  # several reads that must see one state of the catalog
    WRITE = "write"  # changes, serialised with other writers


def access_options(url: URL, access: Access) -> dict[str, str]:
    """Connection execution options giving a transaction its guarantees on the URL's backend.

    PostgreSQL reads a snapshot under REPEATABLE READ; its writers serialise on the catalog
    row's lock. SQLite (in WAL mode) reads a snapshot in any transaction; writers take the
    write lock up front with BEGIN IMMEDIATE, so they wait for each other instead of failing.
    """
    if is_postgres(url):
        return {"isolation_level": "REPEATABLE READ"} if access is Access.SNAPSHOT else {}
    return {_SQLITE_BEGIN: "BEGIN IMMEDIATE"} if access is Access.WRITE else {}


def _transactional_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL so readers never block the writer, and real transactions:
    pysqlite's own BEGIN skips reads and commits before DDL."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_SQLITE_BEGIN, "BEGIN"))


def create_catalog_engine(url: URL) -> Engine:
    """An engine for a parsed catalog URL; nothing is connected until first use."""
    if is_postgres(url):
        connect_args = (
            {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        )
        return sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    engine = sa.create_engine(url)
    _transactional_sqlite(engine)
    return engine
