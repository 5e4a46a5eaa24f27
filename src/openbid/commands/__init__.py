"""The sub-commands of ``openbid``, one module each."""
