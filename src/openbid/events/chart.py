"""The picture of ``openbid report --chart``: spend and win rate over time, one PNG.

Two panels on one time axis: spend per time bucket as stacked bars, one colour per series (the
top campaigns, line items or exchanges, the rest as "other"), and the win rate of each series
with the overall rate in black (a series' rate is left out of buckets where it made fewer than
``MIN_BIDS`` bids: one win of one bid is not a 100 % win rate worth drawing). A bare ``Figure``
(no pyplot, no global state) saved as PNG by Matplotlib's Agg renderer: no display needed.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from openbid.events.query import Point

BUCKETS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400)
"""Time buckets the chart may use, in seconds; the smallest giving at most MAX_BARS wins."""
MAX_BARS = 72
MIN_BIDS = 5
OTHER = "other"


def bucket_seconds(start: datetime, end: datetime) -> int:
    """The time bucket for a span: fine enough to show a shape, coarse enough to read."""
    span = max((end - start).total_seconds(), 1.0)
    return next((size for size in BUCKETS if span / size <= MAX_BARS), BUCKETS[-1])


def _label(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds < 3600 else f"{seconds // 3600} h"


def draw_chart(
    points: Sequence[Point], bucket: int, currency: str, series_name: str | None, path: Path
) -> None:
    """Write the chart of ``points`` (from :meth:`EventQuery.timeline`) to a PNG at ``path``;
    ``series_name`` says what the series are (None: one series of everything)."""
    totals: dict[str, float] = defaultdict(float)
    for point in points:
        totals[point.series] += point.spend
    names = sorted(totals, key=lambda name: (name == OTHER, -totals[name], name))
    times = sorted({point.bucket for point in points})
    index = {time: n for n, time in enumerate(times)}
    spend = {name: [0.0] * len(times) for name in names}
    bids = {name: [0] * len(times) for name in names}
    wins = {name: [0] * len(times) for name in names}
    for point in points:
        n = index[point.bucket]
        spend[point.series][n] += point.spend
        bids[point.series][n] += point.bids
        wins[point.series][n] += point.wins

    import matplotlib  # noqa: PLC0415 -- loaded only to draw, never by the bidder
    import matplotlib.dates as mdates  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import PercentFormatter  # noqa: PLC0415

    figure = Figure(figsize=(11, 7), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    width = timedelta(seconds=bucket * 0.85)
    centres = [time + timedelta(seconds=bucket / 2) for time in times]
    colours: list[str] = list(matplotlib.rcParams["axes.prop_cycle"].by_key()["color"])
    base = [0.0] * len(times)
    for n, name in enumerate(names):
        colour = "#b0b0b0" if name == OTHER else colours[n % len(colours)]
        top.bar(centres, spend[name], width, bottom=base, label=name, color=colour)
        base = [a + b for a, b in zip(base, spend[name], strict=True)]
        rates = [
            w / b if b >= MIN_BIDS else float("nan")
            for w, b in zip(wins[name], bids[name], strict=True)
        ]
        bottom.plot(centres, rates, color=colour, linewidth=1.0, marker=".", alpha=0.6)
    all_bids = [sum(bids[name][n] for name in names) for n in range(len(times))]
    all_wins = [sum(wins[name][n] for name in names) for n in range(len(times))]
    overall = [w / b if b else float("nan") for w, b in zip(all_wins, all_bids, strict=True)]
    bottom.plot(
        centres,
        overall,
        color="black",
        linewidth=2.4,
        label=f"all {series_name}s" if series_name else "all",
    )

    top.set_ylabel(f"Spend per {_label(bucket)} ({currency})")
    top.legend(title=series_name, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    bottom.set_ylabel("Win rate (wins / bids)")
    bottom.yaxis.set_major_formatter(PercentFormatter(1.0))
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_formatter(formatter)
    bottom.set_xlabel("Time (UTC)")
    for axes in (top, bottom):
        axes.grid(axis="y", alpha=0.3)
        axes.spines[["top", "right"]].set_visible(False)
    first, last = times[0], times[-1] + timedelta(seconds=bucket)
    figure.suptitle(
        f"Spend and win rate{f' by {series_name}' if series_name else ''}, "
        f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC",
        fontsize=13,
    )
    figure.savefig(path, dpi=110)
