"""openbid.bidder."""
