"""openbid.catalog."""
