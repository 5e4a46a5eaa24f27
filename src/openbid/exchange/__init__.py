"""openbid.exchange."""
