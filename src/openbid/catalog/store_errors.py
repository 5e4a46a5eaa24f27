"""Errors of the catalog store, worded for the person running openbid: what failed, what to do."""


class CatalogStoreError(RuntimeError):
    """The catalog database cannot be reached, is not initialised, or refused a change."""


class CatalogUrlError(CatalogStoreError):
    """The catalog URL is malformed or names a database openbid does not support."""


class UnknownEntityError(CatalogStoreError):
    """No entity (or more than one, of different kinds) has the id asked for."""
