"""The canary judge's false-failure and detection rates, on simulated canary analyses.

Each comparison judges the packaged analysis config's metrics (``default.yaml``: Mann-Whitney,
its tolerances and critical metrics) on one simulated 10-minute window at a 30 s step: the
baseline pools ``--tasks`` stable tasks, the canary is one task, each taking ``--rps`` requests
a second. Per step, counts are drawn as traffic gives them (binomial errors, deadline misses,
bids and wins; latency and CPU with task-to-task and step-to-step noise), so the noise is
that of the counts, not an assumed constant.

A/A comparisons (the same version on both sides) measure the false-failure rate (issue 9 asks
≤ 1 % over at least 200); the bad versions (added latency, errors, bids tripled) measure the
detection rate (asked: ≥ 99 %). Marginal verdicts are counted apart: ``canary --auto`` rolls
them back at the end too.
"""

import argparse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from openbid.deploy.analysis.config import AnalysisConfig, load_analysis
from openbid.deploy.analysis.judgement import judge_metric
from openbid.deploy.analysis.model import Samples, Verdict
from openbid.deploy.analysis.score import score
from openbid.deploy.templating import Lookups

STEPS = 20
STEP_SECONDS = 30


@dataclass(frozen=True)
class Version:
    """What one task of a version does to its traffic."""

    error_rate: float = 0.0005
    deadline_miss_rate: float = 0.001
    p99_seconds: float = 0.004
    bid_rate: float = 0.3
    bid_price_micros: float = 1_500_000.0
    win_rate: float = 0.2
    clearing_share: float = 0.7
    cpu_seconds_per_request: float = 0.0002


GOOD = Version()
BAD = {
    "latency": replace(GOOD, p99_seconds=0.010, deadline_miss_rate=0.004),
    "errors": replace(GOOD, error_rate=0.02),
    "overbidding": replace(GOOD, bid_price_micros=4_500_000.0, win_rate=0.45),
}


def task_series(version: Version, requests: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One task's counts per step, over the window."""
    n = np.full(STEPS, requests)
    errors = rng.binomial(n, version.error_rate)
    misses = rng.binomial(n, version.deadline_miss_rate)
    bids = rng.binomial(n, version.bid_rate)
    wins = rng.binomial(bids, version.win_rate)
    prices = version.bid_price_micros * rng.normal(1.0, 0.03, STEPS)
    spend = wins * prices * version.clearing_share / 1000
    task_speed = rng.normal(1.0, 0.05)  # one task runs a little hotter than another
    return {
        "requests": n.astype(float),
        "errors": errors.astype(float),
        "misses": misses.astype(float),
        "bids": bids.astype(float),
        "price_sum": bids * prices,
        "wins": wins.astype(float),
        "spend": spend,
        "p99": version.p99_seconds * task_speed * rng.lognormal(0.0, 0.08, STEPS),
        "cpu": version.cpu_seconds_per_request * n * task_speed * rng.normal(1.0, 0.03, STEPS),
    }


def side(
    version: Version, tasks: int, requests: int, rng: np.random.Generator
) -> dict[str, list[float]]:
    """The metrics of ``tasks`` tasks of ``version``, summed as the PromQL queries sum them."""
    series = [task_series(version, requests, rng) for _ in range(tasks)]
    total = {key: np.sum([s[key] for s in series], axis=0) for key in series[0]}
    p99 = np.max([s["p99"] for s in series], axis=0)  # the slowest task dominates a pooled p99
    with np.errstate(invalid="ignore", divide="ignore"):
        metrics = {
            "error_rate": total["errors"] / total["requests"],
            "deadline_miss_rate": total["misses"] / total["requests"],
            "p99_latency_seconds": p99,
            "bid_rate": total["bids"] / total["requests"],
            "mean_bid_price_micros": total["price_sum"] / total["bids"],
            "win_rate": total["wins"] / total["bids"],
            "spend_per_mille_micros": 1000 * total["spend"] / total["requests"],
            "cpu_seconds_per_request": total["cpu"] / total["requests"],
        }
    return {name: [float(v) for v in values] for name, values in metrics.items()}


def judge(
    config: AnalysisConfig, canary: Version, args: argparse.Namespace, rng: np.random.Generator
) -> Verdict:
    """One simulated analysis's verdict."""
    requests = args.rps * STEP_SECONDS
    ours = side(canary, 1, requests, rng)
    theirs = side(GOOD, args.tasks, requests, rng)
    results = [
        judge_metric(m, Samples.of(ours[m.name], theirs[m.name]), config.min_points)
        for m in config.metrics
    ]
    return score(results, config.pass_score, config.marginal_score).verdict


def bad_run(
    config: AnalysisConfig, version: Version, args: argparse.Namespace, rng: np.random.Generator
) -> Callable[[], Verdict]:
    """One comparison of ``version`` against the good baseline, as a function."""
    return lambda: judge(config, version, args, rng)


def rates(label: str, run: Callable[[], Verdict], count: int, wanted: Verdict, goal: str) -> None:
    """Run ``count`` comparisons and print how often each verdict came out."""
    verdicts = Counter(run() for _ in range(count))
    share = {v: verdicts[v] / count for v in Verdict}
    print(
        f"{label:<13} {count:>5}  pass {share[Verdict.PASS]:7.2%}  marginal "
        f"{share[Verdict.MARGINAL]:6.2%}  fail {share[Verdict.FAIL]:7.2%}  inconclusive "
        f"{share[Verdict.INCONCLUSIVE]:6.2%}   {wanted.value} {share[wanted]:7.2%} ({goal})"
    )


def main() -> None:
    """Print the A/A false-failure rate and each bad version's detection rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comparisons", type=int, default=500, help="per kind (at least 200)")
    parser.add_argument("--tasks", type=int, default=4, help="stable tasks in the baseline")
    parser.add_argument("--rps", type=int, default=50, help="requests a second per task")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = load_analysis(None, Lookups())
    rng = np.random.default_rng(args.seed)
    print(
        f"{args.comparisons} simulated analyses per kind: a {STEPS * STEP_SECONDS // 60}-minute "
        f"window at {STEP_SECONDS} s steps, {args.tasks} stable tasks and one canary at "
        f"{args.rps} requests/s each"
    )
    rates(
        "A/A",
        lambda: judge(config, GOOD, args, rng),
        args.comparisons,
        Verdict.FAIL,
        "false failures, goal <= 1 %",
    )
    for name, version in BAD.items():
        rates(
            name,
            bad_run(config, version, args, rng),
            args.comparisons,
            Verdict.FAIL,
            "detected, goal >= 99 %",
        )


if __name__ == "__main__":
    main()
