"""The end-of-run report: one summary struct, printed as rich tables or as JSON for machines."""

import msgspec
from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table

from openbid.exchange.loadgen import RunConfig
from openbid.exchange.stats import PlacementTally, Stats, Tally
from openbid.openrtb.nobid import LossReason

LAG_LIMIT_MS = 10.0  # a send lag p99 above this means the generator could not keep up
CPU_LIMIT = 0.9  # a generator busier than this (share of one core) was the limit
TOP_ROWS = 12


class Percentiles(msgspec.Struct, rename={"p99_9": "p99.9"}):
    """Milliseconds at the usual percentiles, with the maximum and the mean."""

    p50: float
    p90: float
    p99: float
    p99_9: float
    max: float
    mean: float

    @classmethod
    def of(cls, histogram: HdrHistogram) -> "Percentiles":
        """Read a microsecond histogram (all zeros when it is empty)."""
        if not histogram.get_total_count():
            return cls(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)

        def ms(percentile: float) -> float:
            value: int = histogram.get_value_at_percentile(percentile)
            return round(value / 1000, 3)

        mean: float = histogram.get_mean_value()
        return cls(ms(50), ms(90), ms(99), ms(99.9), ms(100), round(mean / 1000, 3))


class Impressions(msgspec.Struct):
    """Impressions offered in requests, bid on, won, rendered and clicked."""

    offered: int
    bid: int
    won: int
    rendered: int
    clicked: int
    won_without_markup: int


class Summary(msgspec.Struct):
    """Everything a run measured; ``requests == bids + no_bids + timeouts + errors``."""

    bidder: str
    shape: str
    target_rate: float
    duration_s: float
    interrupted: bool
    seed: int
    connections: int
    requests: int
    bids: int
    no_bids: int
    timeouts: int
    errors: int
    errors_by_status: dict[str, int]
    achieved_rate: float
    latency_ms: Percentiles
    bid_rate: float
    win_rate: float
    impressions: Impressions
    won_usd: float
    spend_usd: float
    invalid_bids: int
    invalid_examples: list[str]
    loss_reasons: dict[str, int]
    notices: dict[str, dict[str, int]]
    trackers_skipped: dict[str, int]
    send_lag_ms: Percentiles
    generator_cpu: float
    generator_limited: bool
    by_traffic: dict[str, PlacementTally]
    by_advertiser: dict[str, Tally]
    by_campaign: dict[str, Tally]
    by_creative: dict[str, Tally]
    by_seat: dict[str, Tally]
    by_deal: dict[str, Tally]


def _loss_name(code: int) -> str:
    try:
        return f"{code} {LossReason(code).name.lower()}"
    except ValueError:
        return str(code)


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def summarize(stats: Stats, config: RunConfig) -> Summary:
    """The summary of a finished run."""
    span = stats.sending_ended - stats.started
    window = span if stats.interrupted else max(config.duration, span)
    lag = Percentiles.of(stats.send_lag)
    busy = stats.finished - stats.started
    cpu = round(stats.cpu_seconds / busy, 3) if busy > 0 else 0.0
    notices: dict[str, dict[str, int]] = {}
    for (kind, outcome), count in sorted(stats.notices.items()):
        notices.setdefault(kind, {})[outcome] = count
    return Summary(
        bidder=config.bidder,
        shape=config.shape,
        target_rate=config.rate,
        duration_s=config.duration,
        interrupted=stats.interrupted,
        seed=config.seed,
        connections=config.connections,
        requests=stats.requests,
        bids=stats.bids,
        no_bids=stats.no_bids,
        timeouts=stats.timeouts,
        errors=stats.errors,
        errors_by_status=dict(stats.errors_by_status),
        achieved_rate=round(stats.requests / window, 1) if window > 0 else 0.0,
        latency_ms=Percentiles.of(stats.latency),
        bid_rate=_ratio(stats.bids, stats.requests),
        win_rate=_ratio(stats.imps_won, stats.imps_bid),
        impressions=Impressions(
            offered=stats.imps_offered,
            bid=stats.imps_bid,
            won=stats.imps_won,
            rendered=stats.renders,
            clicked=stats.clicks,
            won_without_markup=stats.no_markup,
        ),
        won_usd=round(stats.won_usd, 4),
        spend_usd=round(stats.spend_usd, 4),
        invalid_bids=stats.invalid_bids,
        invalid_examples=stats.invalid_examples,
        loss_reasons={_loss_name(code): n for code, n in sorted(stats.losses.items())},
        notices=notices,
        trackers_skipped=dict(stats.trackers_skipped),
        send_lag_ms=lag,
        generator_cpu=cpu,
        generator_limited=lag.p99 > LAG_LIMIT_MS or cpu > CPU_LIMIT,
        by_traffic=dict(sorted(stats.by_traffic.items())),
        by_advertiser=stats.by_advertiser,
        by_campaign=stats.by_campaign,
        by_creative=stats.by_creative,
        by_seat=stats.by_seat,
        by_deal=stats.by_deal,
    )


def to_json(summary: Summary) -> str:
    """The summary as indented JSON."""
    return msgspec.json.format(msgspec.json.encode(summary).decode(), indent=2)


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _requests_table(s: Summary) -> Table:
    table = Table(title="Requests", title_justify="left")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    rows = [("bid", s.bids), ("no bid", s.no_bids), ("timeout (> tmax)", s.timeouts)]
    rows += [(f"error {status}", n) for status, n in sorted(s.errors_by_status.items())]
    for name, count in rows:
        table.add_row(name, f"{count:,}", _percent(count, s.requests))
    table.add_row("[bold]requests[/bold]", f"[bold]{s.requests:,}[/bold]", "")
    return table


def _latency_table(s: Summary) -> Table:
    table = Table(title="Latency (ms since due)", title_justify="left")
    for name in ("p50", "p90", "p99", "p99.9", "max"):
        table.add_column(name, justify="right")
    p = s.latency_ms
    table.add_row(*(f"{v:.2f}" for v in (p.p50, p.p90, p.p99, p.p99_9, p.max)))
    return table


def _auction_table(s: Summary) -> Table:
    i = s.impressions
    table = Table(title="Auctions", title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_column("", justify="right")
    table.add_row("impressions offered", f"{i.offered:,}", "")
    table.add_row("bid on", f"{i.bid:,}", f"{_percent(i.bid, i.offered)} of offered")
    table.add_row("won", f"{i.won:,}", f"{_percent(i.won, i.bid)} of bid on")
    table.add_row("rendered (billed)", f"{i.rendered:,}", f"{_percent(i.rendered, i.won)} of won")
    table.add_row("clicked", f"{i.clicked:,}", f"{_percent(i.clicked, i.rendered)} CTR")
    if i.won_without_markup:
        table.add_row("won, no markup to render", f"{i.won_without_markup:,}", "")
    table.add_row("invalid bids (refused)", f"{s.invalid_bids:,}", "")
    table.add_row("value won", f"${s.won_usd:,.2f}", "")
    table.add_row("spend (billed)", f"${s.spend_usd:,.2f}", "")
    return table


def _tally_table(title: str, key: str, tallies: dict[str, Tally]) -> Table:
    """Bids, wins, impressions, clicks and spend per ``key``, the biggest spenders first."""
    table = Table(title=title, title_justify="left")
    table.add_column(key)
    for name in ("bids", "wins", "win rate", "impressions", "clicks", "spend"):
        table.add_column(name, justify="right")
    ranked = sorted(tallies.items(), key=lambda item: (-item[1].spend_usd, -item[1].bids))
    for name, t in ranked[:TOP_ROWS]:
        table.add_row(
            name,
            f"{t.bids:,}",
            f"{t.wins:,}",
            _percent(t.wins, t.bids),
            f"{t.impressions:,}",
            f"{t.clicks:,}",
            f"${t.spend_usd:,.2f}",
        )
    return table


def _traffic_table(s: Summary) -> Table:
    table = Table(title="Traffic by placement", title_justify="left")
    for name in ("placement", "requests", "bid rate", "win rate"):
        table.add_column(name, justify="left" if name == "placement" else "right")
    for label, t in sorted(s.by_traffic.items(), key=lambda item: -item[1].requests):
        table.add_row(
            label, f"{t.requests:,}", _percent(t.bids, t.requests), _percent(t.wins, t.bids)
        )
    return table


def _notices_table(s: Summary) -> Table:
    """Notices and trackers fetched, by kind and outcome."""
    table = Table(title="Notices and trackers", title_justify="left")
    if any("404" in outcomes for outcomes in s.notices.values()):
        table.caption = "404: the bidder does not serve that URL"
    table.add_column("kind")
    table.add_column("outcomes")
    for kind in ("win", "bill", "loss", "impression", "click"):
        outcomes = s.notices.get(kind, {})
        text = ", ".join(f"{n:,} x {outcome}" for outcome, n in outcomes.items()) or "none"
        if s.trackers_skipped.get(kind):
            text += f" ({s.trackers_skipped[kind]:,} off the bidder's hosts, not fetched)"
        table.add_row(kind, text)
    return table


def _headline(s: Summary) -> str:
    stopped = " (interrupted)" if s.interrupted else ""
    return (
        f"[bold]{s.requests:,}[/bold] requests to {s.bidder} in {s.duration_s:g} s{stopped}: "
        f"target {s.target_rate:g}/s {s.shape}, achieved [bold]{s.achieved_rate:,.1f}/s[/bold]; "
        f"bid rate [bold]{100 * s.bid_rate:.1f}%[/bold], "
        f"win rate [bold]{100 * s.win_rate:.1f}%[/bold]"
    )


def _generator_line(s: Summary) -> str:
    line = (
        f"generator: {100 * s.generator_cpu:.0f}% of one core, send lag p50 "
        f"{s.send_lag_ms.p50:.2f} ms, p99 {s.send_lag_ms.p99:.2f} ms"
    )
    if s.generator_limited:
        line += " [yellow](the generator could not keep up: the figures are its limit)[/yellow]"
    return line


def print_report(summary: Summary, console: Console, *, brief: bool = False) -> None:
    """Print the report as tables; ``brief`` leaves out placements, creatives and deals."""
    console.print(_headline(summary))
    console.print(_requests_table(summary))
    console.print(_latency_table(summary))
    console.print(_auction_table(summary))
    if not brief:
        console.print(_traffic_table(summary))
    console.print(_tally_table("Spend by advertiser", "adomain", summary.by_advertiser))
    console.print(_tally_table("Spend by campaign", "cid", summary.by_campaign))
    if not brief:
        console.print(_tally_table("Spend by creative", "crid", summary.by_creative))
        if summary.by_deal:
            console.print(_tally_table("Spend by deal", "dealid", summary.by_deal))
    console.print(_notices_table(summary))
    for example in summary.invalid_examples:
        console.print(f"[red]refused:[/red] {example}")
    console.print(_generator_line(summary))
