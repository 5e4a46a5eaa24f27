"""Where a running bidder reads its catalog from, and how it tells that the catalog changed."""

from pathlib import Path
from typing import Protocol

from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog
from openbid.catalog.model import Catalog
from openbid.catalog.store import CatalogStore


class CatalogSource(Protocol):
    """A catalog that may change while the bidder runs."""

    def describe(self) -> str:
        """Where the catalog comes from, for logs and the status page."""
        ...

    def version(self) -> str:
        """A cheap token that changes whenever the catalog does; polled every second or so."""
        ...

    def load(self) -> Catalog:
        """The current catalog, validated; raises CatalogError when it cannot be used."""
        ...


class BuiltinSource:
    """The demo catalog shipped with openbid: it never changes."""

    def describe(self) -> str:
        """The built-in demo catalog."""
        return "built-in demo catalog"

    def version(self) -> str:
        """Always the same."""
        return "builtin"

    def load(self) -> Catalog:
        """The demo catalog."""
        return load_catalog(None)


class FileSource:
    """A YAML or JSON catalog file; a change of its size or modification time is a new version."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def version(self) -> str:
        """Modification time and size, or a marker when the file cannot be read."""
        try:
            stat = self.path.stat()
        except OSError as error:
            return f"unreadable:{error.errno}"
        return f"{stat.st_mtime_ns}:{stat.st_size}"

    def load(self) -> Catalog:
        """Parse and validate the file."""
        if not self.path.is_file():
            raise CatalogError(str(self.path), ["(file): no such file"])
        return load_catalog(self.path)


class StoreSource:
    """The catalog store (SQLite or PostgreSQL): its version counter says when to reload.

    It pickles as its URL, so a child process can load the catalog with its own connection.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.store = CatalogStore(url)

    def __reduce__(self) -> tuple[type["StoreSource"], tuple[str]]:
        """Rebuilt from the URL alone: connections do not cross processes."""
        return (StoreSource, (self.url,))

    def describe(self) -> str:
        """The store's URL, password hidden."""
        return self.store.describe()

    def version(self) -> str:
        """The store's version counter (one row)."""
        return str(self.store.version())

    def load(self) -> Catalog:
        """The stored catalog, validated."""
        return self.store.load()
