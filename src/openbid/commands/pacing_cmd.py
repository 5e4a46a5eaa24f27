"""``openbid pacing``: budgets, spend, plans, throttles and leases as the bidders share them."""

import sys
from datetime import UTC, datetime
from typing import Annotated

import msgspec
import typer
from redis.exceptions import RedisError
from rich.console import Console
from rich.table import Table

from openbid.pacing.show import LineItemView, PacingView, read_pacing
from openbid.pricing.money import MICROS_PER_UNIT

app = typer.Typer(help="Budgets, pacing and frequency caps shared by the bidder instances.")

WIDE = 160  # columns when the output is not a terminal
COLUMNS = (
    "line item",
    "pacing",
    "budget day / total",
    "campaign day / total",
    "spent today",
    "spent total",
    "plan now",
    "throttle",
    "leased (holders)",
)
IN_PROCESS_NOTE = (
    "No --redis-url: a bidder without Redis keeps its budgets in its own process, so there is "
    "nothing shared to show (its admin API shows its own state)."
)


def _money(micros: int | None) -> str:
    return "-" if micros is None else f"{micros / MICROS_PER_UNIT:,.2f}"


def _budget(total: int | None, daily: int | None) -> str:
    if total is None and daily is None:
        return "-"
    return f"{_money(daily)} / {_money(total)}"


def _throttle(view: LineItemView) -> str:
    if view.throttle_min == view.throttle_max:
        return f"{view.throttle_min:.2f}"
    return f"{view.throttle_min:.2f}-{view.throttle_max:.2f}"


def _table(view: PacingView) -> Table:
    table = Table(title="Line items (amounts in the catalog currency)", title_justify="left")
    for name in COLUMNS:
        table.add_column(name, justify="left" if name in ("line item", "pacing") else "right")
    for item in view.line_items:
        table.add_row(
            item.line_item,
            item.pacing,
            _budget(item.budget_total, item.budget_daily),
            _budget(item.campaign_total, item.campaign_daily),
            _money(item.spent_today),
            _money(item.spent_total),
            _money(item.plan_now),
            _throttle(item),
            f"{_money(item.leased)} ({item.leases})",
        )
    return table


def _instances(view: PacingView) -> Table:
    table = Table(title="Instances", title_justify="left")
    for name in ("instance", "ledger", "since (UTC)", "notices queued", "failures", "recoveries"):
        table.add_column(name)
    for instance in view.instances:
        since = datetime.fromtimestamp(instance.since, UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(
            instance.instance,
            instance.state,
            since,
            str(instance.queued_notices),
            str(instance.failures),
            str(instance.recoveries),
        )
    return table


@app.command("show")
def show(
    redis_url: Annotated[
        str | None,
        typer.Option(envvar="OPENBID_REDIS_URL", help="The Redis the bidders share."),
    ] = None,
    redis_prefix: Annotated[
        str, typer.Option(envvar="OPENBID_REDIS_PREFIX", help="Prefix of the bidders' keys.")
    ] = "openbid",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (amounts in micros).")
    ] = False,
) -> None:
    """Each line item's budget, spend today and in total, plan, throttle and leases."""
    if redis_url is None:
        typer.echo(IN_PROCESS_NOTE)
        return
    try:
        view = read_pacing(redis_url, redis_prefix)
    except RedisError as error:
        typer.echo(f"cannot read {redis_url}: {error}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(msgspec.json.format(msgspec.json.encode(view).decode(), indent=2))
        return
    console = Console(width=None if sys.stdout.isatty() else WIDE)
    if not view.instances:
        console.print(f"no bidder instance has published under prefix {redis_prefix!r}")
        return
    console.print(_instances(view))
    console.print(_table(view))
