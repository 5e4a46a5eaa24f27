"""Runs the catalog store's Alembic migrations from code, with no alembic.ini at run time."""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

SCRIPT_LOCATION = "openbid.catalog:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over the packaged migrations, migrating ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this openbid knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {SCRIPT_LOCATION}")
    return head


def is_known_revision(revision: str) -> bool:
    """Whether ``revision`` is one of this openbid's migrations (not one from a newer openbid)."""
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        return False
    return True


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None when it was never initialised."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database up to ``revision``, inside the connection's transaction."""
    command.upgrade(alembic_config(connection), revision)
