"""openbid.pricing."""
