"""Scoring: the weighted share of judged metrics that passed; critical failures and missing
data decide before the score does."""

from openbid.deploy.analysis.model import (
    Classification,
    Direction,
    MetricResult,
    Outcome,
    Samples,
    Verdict,
)
from openbid.deploy.analysis.score import score


def result(
    name: str, classification: Classification, critical: bool = False, weight: float = 1.0
) -> MetricResult:
    return MetricResult(
        name=name,
        direction=Direction.EITHER,
        critical=critical,
        weight=weight,
        judge="mann_whitney",
        samples=Samples((), ()),
        outcome=Outcome(classification, f"{name} was {classification}"),
    )


PASS, HIGH, LOW, NODATA = (
    Classification.PASS,
    Classification.HIGH,
    Classification.LOW,
    Classification.NODATA,
)


def test_all_passing_is_a_pass_of_100() -> None:
    scored = score([result("a", PASS), result("b", PASS, critical=True)], 95, 75)
    assert (scored.score, scored.verdict) == (100.0, Verdict.PASS)


def test_one_failure_in_eight_is_marginal() -> None:
    results = [result(f"m{i}", PASS) for i in range(7)] + [result("bid_rate", LOW)]
    scored = score(results, 95, 75)
    assert (scored.score, scored.verdict) == (87.5, Verdict.MARGINAL)
    assert "bid_rate (bid_rate was low)" in scored.reason


def test_a_low_score_fails() -> None:
    scored = score([result("a", PASS), result("b", HIGH), result("c", HIGH)], 95, 75)
    assert (scored.score, scored.verdict) == (33.3, Verdict.FAIL)


def test_weights_count() -> None:
    scored = score([result("a", PASS, weight=19), result("b", HIGH)], 95, 75)
    assert (scored.score, scored.verdict) == (95.0, Verdict.PASS)


def test_a_failed_critical_metric_fails_outright() -> None:
    results = [result(f"m{i}", PASS) for i in range(20)] + [result("errors", HIGH, True)]
    scored = score(results, 95, 75)
    assert (scored.score, scored.verdict) == (0.0, Verdict.FAIL)
    assert scored.reason == "critical metric failed: errors (errors was high)"


def test_no_data_is_left_out_of_the_score() -> None:
    scored = score([result("a", PASS), result("b", NODATA)], 95, 75)
    assert (scored.score, scored.verdict) == (100.0, Verdict.PASS)


def test_no_data_on_a_critical_metric_is_inconclusive() -> None:
    scored = score([result("a", PASS), result("errors", NODATA, critical=True)], 95, 75)
    assert scored.verdict is Verdict.INCONCLUSIVE
    assert scored.reason.startswith("no data for critical metric: errors")


def test_no_data_at_all_is_inconclusive_not_a_pass() -> None:
    scored = score([result("a", NODATA), result("b", NODATA)], 95, 75)
    assert (scored.score, scored.verdict) == (0.0, Verdict.INCONCLUSIVE)
