"""openbid.targeting."""
