"""The ``openbid`` command: one entry point, one sub-command per job."""

import typer

from openbid import __version__
from openbid.commands import (
    catalog_cmd,
    demo_cmd,
    deploy_cmd,
    exchange_cmd,
    pacing_cmd,
    report_cmd,
    serve_cmd,
    status_cmd,
)

app = typer.Typer(
    name="openbid",
    help="An OpenRTB 2.6 demand-side platform bidder.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("serve")(serve_cmd.serve)
app.command("demo")(demo_cmd.demo)
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(exchange_cmd.app, name="exchange")
app.add_typer(deploy_cmd.app, name="deploy")
app.add_typer(pacing_cmd.app, name="pacing")
app.command("report")(report_cmd.report)
app.command("status")(status_cmd.status)
app.command("why")(status_cmd.why)


@app.command("version")
def version() -> None:
    """Print openbid's version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
