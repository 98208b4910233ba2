"""Intervals against published values, hand computations and their exact coverage."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from evalkit.stats import (
    Interval,
    clopper_pearson,
    clopper_pearson_lower,
    clopper_pearson_upper,
    normal_quantile,
    wilson,
    wilson_interval,
    z_of,
)
from evalkit.stats.distributions import binom_pmf


def test_wilson_matches_reference_values() -> None:
    # reference: statsmodels proportion_confint(8, 10, method="wilson")
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(10, 10)[1] == 1.0
    # 0 of 10: the upper end is z^2 / (n + z^2) = 3.8415 / 13.8415
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))


def test_wilson_at_other_confidences() -> None:
    # by hand for 8/10 at 90%: z = 1.6449, centre 0.7361, half-width 0.1953
    ninety = wilson_interval(8, 10, 0.90)
    assert (ninety.low, ninety.high) == (
        pytest.approx(0.5408, abs=1e-3),
        pytest.approx(0.9315, abs=1e-3),
    )
    assert ninety.method == "wilson" and ninety.confidence == 0.90
    at95 = wilson_interval(8, 10, 0.95)
    at99 = wilson_interval(8, 10, 0.99)
    assert at99.low < at95.low < ninety.low < 0.8 < ninety.high < at95.high < at99.high
    # the one-sided 95% bounds are the two-sided 90% interval
    one_sided = wilson_interval(8, 10, 0.95, "one-sided")
    assert one_sided.low == pytest.approx(ninety.low) and one_sided.high == pytest.approx(
        ninety.high
    )
    assert one_sided.bounds == "one-sided"


def test_normal_quantiles() -> None:
    assert z_of(0.95) == pytest.approx(1.959963984540054)
    assert z_of(0.95, "one-sided") == pytest.approx(1.6448536269514722)
    assert z_of(0.99) == pytest.approx(2.5758293035489)
    assert normal_quantile(0.5) == 0.0


@pytest.mark.parametrize("confidence", [0.0, 0.3, 1.0, 1.2, float("nan")])
def test_confidence_must_be_a_sensible_probability(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        clopper_pearson(3, 5, confidence)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(3, 5, confidence)


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson(6, 5)
    with pytest.raises(ValueError, match="successes"):
        clopper_pearson(-1, 5)


def exact_lower(k: int, n: int, level: Fraction) -> float:
    """The Clopper-Pearson lower bound by bisection in exact rational arithmetic."""
    low, high = Fraction(0), Fraction(1)
    for _ in range(45):
        mid = (low + high) / 2
        tail = sum(math.comb(n, i) * mid**i * (1 - mid) ** (n - i) for i in range(k, n + 1))
        low, high = (mid, high) if tail < level else (low, mid)
    return float((low + high) / 2)


def test_clopper_pearson_matches_published_values() -> None:
    # 8 of 10, two-sided 95%: (0.4439, 0.9748), the textbook exact interval
    ci = clopper_pearson(8, 10, 0.95)
    assert (ci.low, ci.high) == (pytest.approx(0.4439, abs=1e-4), pytest.approx(0.9748, abs=1e-4))
    assert ci.low == pytest.approx(exact_lower(8, 10, Fraction(1, 40)), abs=1e-12)
    # 0 of 14: two-sided 95% upper end 1 - 0.025^(1/14) = 0.2316; one-sided 0.1926
    assert clopper_pearson(0, 14).high == pytest.approx(0.2316, abs=1e-4)
    assert clopper_pearson(0, 14, bounds="one-sided").high == pytest.approx(1 - 0.05 ** (1 / 14))
    assert clopper_pearson(0, 14).low == 0.0
    # 14 of 14, one-sided 95%: the rate is at least 0.05^(1/14) = 0.8074 -- just over 0.8
    assert clopper_pearson(14, 14, bounds="one-sided").low == pytest.approx(0.8074, abs=1e-4)
    assert clopper_pearson(13, 13, bounds="one-sided").low < 0.8
    assert clopper_pearson(0, 0) == Interval(0.0, 1.0, 0.95, "clopper-pearson")


def test_clopper_pearson_bounds_against_exact_arithmetic() -> None:
    for k, n in ((1, 3), (19, 19), (28, 30), (5, 61)):
        assert clopper_pearson_lower(k, n, 0.05) == pytest.approx(
            exact_lower(k, n, Fraction(1, 20)), abs=1e-12
        )
        # the upper bound of k is one minus the lower bound of the failures
        assert clopper_pearson_upper(k, n, 0.05) == pytest.approx(
            1 - clopper_pearson_lower(n - k, n, 0.05), abs=1e-12
        )
    assert clopper_pearson_upper(7, 7, 0.05) == 1.0 and clopper_pearson_lower(0, 7, 0.05) == 0.0


def coverage(n: int, p: float, intervals: list[Interval]) -> float:
    """The exact chance that the interval of a Binomial(n, p) outcome covers p."""
    return sum(binom_pmf(k, n, p) for k in range(n + 1) if intervals[k].contains(p))


@pytest.mark.parametrize("n", [5, 20, 50])
def test_clopper_pearson_never_covers_less_than_it_says(n: int) -> None:
    # exact coverage over every outcome, at rates across [0, 1]: at least the confidence
    two_sided = [clopper_pearson(k, n, 0.95) for k in range(n + 1)]
    lower_bounds = [clopper_pearson(k, n, 0.9, "one-sided").low for k in range(n + 1)]
    for p in [j / 40 for j in range(1, 40)] + [0.97, 0.99]:
        assert coverage(n, p, two_sided) >= 0.95 - 1e-12
        one_sided = sum(binom_pmf(k, n, p) for k in range(n + 1) if lower_bounds[k] <= p)
        assert one_sided >= 0.9 - 1e-12


def test_wilson_covers_about_what_it_says_but_not_always() -> None:
    # Wilson is approximate: its mean coverage over rates is close to 95%, while at some
    # rates it covers less, which is why verdicts read Clopper-Pearson instead
    n = 20
    rates = [j / 100 for j in range(1, 100)]
    intervals = [wilson_interval(k, n, 0.95) for k in range(n + 1)]
    covered = [coverage(n, p, intervals) for p in rates]
    assert 0.94 < sum(covered) / len(covered) < 0.96
    assert min(covered) < 0.93


def test_interval_helpers() -> None:
    interval = Interval(0.6, 0.9, 0.95, "wilson")
    assert interval.contains(0.6) and interval.contains(0.9) and not interval.contains(0.95)
    assert interval.straddles(0.8) and not interval.straddles(0.6) and not interval.straddles(0.5)
