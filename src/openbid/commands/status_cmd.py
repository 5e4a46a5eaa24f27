"""``openbid status`` and ``openbid why``: ask a running bidder's admin API."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

ADMIN_URL_ENV = "OPENBID_ADMIN_URL"
ADMIN_TOKEN_ENV = "OPENBID_ADMIN_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8081"

Url = Annotated[str, typer.Option(envvar=ADMIN_URL_ENV, help="The admin API's base URL.")]
Token = Annotated[
    str,
    typer.Option(envvar=ADMIN_TOKEN_ENV, help="The admin API's bearer token.", show_default=False),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]
Timeout = Annotated[float, typer.Option(help="Seconds to wait for the answer.")]


class AdminError(Exception):
    """The admin API could not be asked, or refused; the message says why, for a person."""


def fetch(base_url: str, path: str, token: str, timeout: float) -> Any:
    """GET ``path`` from the admin API at ``base_url``; the decoded JSON body."""
    url = base_url.rstrip("/") + path
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 401:
            raise AdminError(
                f"{url}: the admin API refused the token (401); pass --token or set "
                f"{ADMIN_TOKEN_ENV}"
            ) from None
        try:
            detail = json.loads(error.read()).get("detail", "")
        except ValueError:
            detail = ""
        raise AdminError(f"{url}: {error.code} {error.reason} {detail}".rstrip()) from None
    except urllib.error.URLError as error:
        reason = getattr(error.reason, "strerror", None) or str(error.reason)
        raise AdminError(f"cannot reach the admin API at {base_url}: {reason}") from None
    except (TimeoutError, ValueError) as error:
        raise AdminError(f"{url}: no usable answer: {error}") from None


def _ask(url: str, path: str, token: str, timeout: float) -> Any:
    try:
        return fetch(url, path, token, timeout)
    except AdminError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def status(
    url: Url = DEFAULT_URL,
    token: Token = "",
    as_json: AsJson = False,
    timeout: Timeout = 5.0,
) -> None:
    """Show a bidder task's version, tags, uptime, readiness and catalog."""
    body = _ask(url, "/status", token, timeout)
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    catalog = body["catalog"]
    table = Table(title=f"openbid {body['version']} at {url}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("ready", "yes" if body["ready"] else "no")
    table.add_row("accepting traffic", "yes" if body["accepting"] else "no (draining)")
    table.add_row("uptime", f"{body['uptime_seconds']:.0f} s")
    table.add_row("log level", body["log_level"])
    table.add_row("catalog", f"{catalog['version'] or '-'} ({catalog['line_items']} line items)")
    for name, value in body["tags"].items():
        table.add_row(name, value)
    for name, value in body["config"].items():
        table.add_row(f"config.{name}", json.dumps(value) if not isinstance(value, str) else value)
    Console().print(table)


def why(
    line_item: Annotated[str, typer.Argument(help="The line item's id.")],
    url: Url = DEFAULT_URL,
    token: Token = "",
    requests: Annotated[
        int, typer.Option(min=1, max=100_000, help="How many recent requests to replay.")
    ] = 1000,
    as_json: AsJson = False,
    timeout: Timeout = 30.0,
) -> None:
    """Say why a line item is not bidding: the filters that stopped it on recent requests."""
    path = f"/line-items/{urllib.parse.quote(line_item, safe='')}/why?requests={requests}"
    report = _ask(url, path, token, timeout)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console()
    examined = report["examined"]
    console.print(
        f"[bold]{report['line_item']}[/bold]: {report['state']}, catalog "
        f"{report['catalog_version'] or '-'}; {examined} recent requests replayed"
        f" (1 in {report['sampled_every']} kept), would have bid on {report['bid']}"
    )
    if not report["reasons"]:
        return
    table = Table("stopped by", "requests", "share")
    for reason in report["reasons"]:
        share = reason["count"] / examined if examined else 0.0
        table.add_row(reason["reason"], str(reason["count"]), f"{share:.0%}")
    console.print(table)
