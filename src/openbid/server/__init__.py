"""openbid.server."""
