"""``python -m openbid`` runs the ``openbid`` command."""

from openbid.cli import main

main()
