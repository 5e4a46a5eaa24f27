"""Catalog databases for integration tests: an SQLite file, and PostgreSQL that must be there.

PostgreSQL tests never skip: when the server is unreachable they fail, saying how to start it.
Each test session creates its own database (``openbid_test_<random>``) and each test its own
schema in it, so test runs can share one server concurrently; both are dropped afterwards.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from openbid.catalog.store import CatalogStore

POSTGRES_URL = os.environ.get(
    "OPENBID_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgres")


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; fails if the server is unreachable."""
    try:
        admin = _admin(POSTGRES_URL)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is required at {POSTGRES_URL} (set OPENBID_TEST_POSTGRES_URL to use "
            f"another server; CI starts one): {error}",
            pytrace=False,
        )
    name = f"openbid_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin(POSTGRES_URL) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A catalog URL on an empty schema of its own in the session's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(postgres_database) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = make_url(postgres_database).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with _admin(postgres_database) as admin:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A catalog URL on an SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture(params=BACKENDS)
def catalog_url(request: pytest.FixtureRequest) -> str:
    """An empty catalog database URL, once per backend."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def store(catalog_url: str) -> Iterator[CatalogStore]:
    """An initialised, empty catalog store, once per backend."""
    with CatalogStore(catalog_url) as opened:
        opened.init()
        yield opened
