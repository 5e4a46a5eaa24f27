"""openbid.notices."""
