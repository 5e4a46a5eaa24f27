"""A Prometheus stand-in that answers the packaged analysis config's queries the way a
bidder's stable tasks and canary would: steady values with 5 % noise, the canary's multiplied
by a factor per metric (a bad canary), or absent (a canary that takes no traffic)."""

import json
from collections.abc import Mapping

import numpy as np

from openbid.deploy.analysis.config import PrometheusSource, load_analysis
from openbid.deploy.analysis.providers.prometheus import PrometheusProvider
from openbid.deploy.templating import Lookups

from .fake_http import Answer, Handler, Request

BASELINE = {
    "error_rate": 0.001,
    "deadline_miss_rate": 0.002,
    "p99_latency_seconds": 0.004,
    "bid_rate": 0.3,
    "mean_bid_price_micros": 1_500_000.0,
    "win_rate": 0.2,
    "spend_per_mille_micros": 90_000.0,
    "cpu_seconds_per_request": 0.0002,
}
POINTS = 20


def _queries() -> dict[str, tuple[str, str]]:
    """Each packaged query, as the provider sends it, to (metric, side)."""
    source = PrometheusSource()
    provider = PrometheusProvider(source)
    return {
        provider.query(metric, scope): (metric.name, side)
        for metric in load_analysis(None, Lookups()).metrics
        for side, scope in (("canary", source.canary), ("baseline", source.baseline))
    }


def bidder_prometheus(
    canary_factors: Mapping[str, float] | None = None, canary_present: bool = True, seed: int = 1
) -> Handler:
    """A handler answering range queries of the packaged config."""
    queries = _queries()
    factors = canary_factors or {}
    rng = np.random.default_rng(seed)

    def answer(request: Request) -> Answer:
        metric, side = queries[request.query["query"]]
        start = float(request.query["start"])
        centre = BASELINE[metric] * (factors.get(metric, 1.0) if side == "canary" else 1.0)
        series = []
        if side == "baseline" or canary_present:
            noisy = rng.normal(centre, centre * 0.05, POINTS)
            values = [[start + 15 * n, f"{value:.6g}"] for n, value in enumerate(noisy)]
            series.append({"metric": {"deployment": side}, "values": values})
        body = {"status": "success", "data": {"resultType": "matrix", "result": series}}
        return 200, json.dumps(body).encode()

    return answer
