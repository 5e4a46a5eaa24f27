"""openbid: an OpenRTB 2.6 demand-side platform bidder."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("openbid")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
