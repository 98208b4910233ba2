"""The fixed-sample verdict of a case and the verdict of a suite."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from evalkit.stats import Verdict, case_verdict, is_flaky, suite_verdict
from evalkit.stats.distributions import binom_pmf


def exact_tails(n: int, bar: Fraction) -> list[Fraction]:
    """P(X >= k) for k = 0..n+1, in rational arithmetic."""
    pmf = [math.comb(n, i) * bar**i * (1 - bar) ** (n - i) for i in range(n + 1)]
    tails = [Fraction(0)] * (n + 2)
    for k in range(n, -1, -1):
        tails[k] = tails[k + 1] + pmf[k]
    return tails


@pytest.mark.parametrize(
    ("bar", "confidence"), [("4/5", "19/20"), ("9/10", "9/10"), ("1/2", "99/100")]
)
def test_every_count_gets_the_exact_binomial_tests_verdict(bar: str, confidence: str) -> None:
    # reference: the two one-sided exact binomial tests in rational arithmetic
    bar_f, alpha = Fraction(bar), 1 - Fraction(confidence)
    for n in range(2, 41):
        at_least = exact_tails(n, bar_f)
        for k in range(n + 1):
            if at_least[k] <= alpha:
                expected = Verdict.PASSED
            elif 1 - at_least[k + 1] <= alpha:
                expected = Verdict.FAILED
            else:
                expected = Verdict.INCONCLUSIVE
            got = case_verdict(k, n, float(bar_f), float(Fraction(confidence)))
            assert got.verdict is expected, (k, n)
            assert not got.certain


def test_the_verdict_reads_the_one_sided_clopper_pearson_bounds() -> None:
    for n in range(2, 41):
        for k in range(n + 1):
            v = case_verdict(k, n, 0.8)
            assert v.interval.method == "clopper-pearson" and v.interval.bounds == "one-sided"
            assert (v.verdict is Verdict.PASSED) == (v.interval.low >= 0.8)
            assert (v.verdict is Verdict.FAILED) == (v.interval.high <= 0.8)
            assert (v.verdict is Verdict.INCONCLUSIVE) == v.interval.straddles(0.8)


def test_known_boundaries_at_a_bar_of_80_percent() -> None:
    # no failure in 13 samples is not enough (0.8^13 = 0.055 > 0.05), in 14 it is (0.044)
    assert case_verdict(13, 13, 0.8).verdict is Verdict.INCONCLUSIVE
    assert case_verdict(14, 14, 0.8).verdict is Verdict.PASSED
    # 28 of 30 passes (lower bound 0.805), 27 of 30 does not
    assert case_verdict(28, 30, 0.8).verdict is Verdict.PASSED
    assert case_verdict(27, 30, 0.8).verdict is Verdict.INCONCLUSIVE
    # three failures in three samples fail (0.2^3 = 0.008); 1 of 3 cannot tell
    assert case_verdict(0, 3, 0.8).verdict is Verdict.FAILED
    assert case_verdict(1, 3, 0.8).verdict is Verdict.INCONCLUSIVE
    # 8 of 10 is exactly the bar: inconclusive however it is read
    v = case_verdict(8, 10, 0.8)
    assert v.verdict is Verdict.INCONCLUSIVE and v.pass_rate == 0.8
    assert v.interval.low < 0.8 < v.interval.high


@pytest.mark.parametrize("bar", [0.5, 0.8, 0.9, 0.95])
@pytest.mark.parametrize("n", [5, 14, 30, 100])
def test_a_wrong_verdict_is_at_most_one_minus_confidence_at_every_rate(bar: float, n: int) -> None:
    # exact: the chance of "passed" at rates below the bar, of "failed" at or above it
    verdicts = [case_verdict(k, n, bar).verdict for k in range(n + 1)]
    for j in range(1, 200):
        p = j / 200
        passed = sum(binom_pmf(k, n, p) for k, v in enumerate(verdicts) if v is Verdict.PASSED)
        failed = sum(binom_pmf(k, n, p) for k, v in enumerate(verdicts) if v is Verdict.FAILED)
        if p < bar:
            assert passed <= 0.05 + 1e-12, (p, passed)
        else:
            assert failed <= 0.05 + 1e-12, (p, failed)


def test_one_sample_keeps_todays_pass_fail() -> None:
    # repeat: 1 -- the sample decides, whatever the bar and confidence; never inconclusive
    for bar in (0.1, 0.5, 0.8, 1.0):
        for confidence in (0.5, 0.95, 0.999):
            assert case_verdict(1, 1, bar, confidence).verdict is Verdict.PASSED
            assert case_verdict(0, 1, bar, confidence).verdict is Verdict.FAILED
    one = case_verdict(1, 1, 0.8)
    assert one.certain and one.samples == 1 and one.pass_rate == 1.0
    assert one.interval.low == pytest.approx(0.05)  # reported, not what decided


def test_a_bar_of_one_means_no_sample_failed() -> None:
    # no number of samples shows a rate of exactly 1, one failure shows it is below 1
    for n in (2, 5, 30, 1000):
        assert case_verdict(n, n, 1.0).verdict is Verdict.PASSED
        assert case_verdict(n - 1, n, 1.0).verdict is Verdict.FAILED
        assert case_verdict(n, n, 1.0).certain
        assert case_verdict(n, n, 1.0).interval.low < 1.0  # the claim is "none failed"


def test_a_bar_of_zero_always_passes() -> None:
    assert case_verdict(0, 5, 0.0).verdict is Verdict.PASSED
    assert case_verdict(0, 1, 0.0).verdict is Verdict.PASSED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0, 0.8), "1 or more samples"),
        ((4, 3, 0.8), "passes <= samples"),
        ((-1, 3, 0.8), "passes <= samples"),
        ((2, 3, 1.2), "threshold"),
        ((2, 3, -0.1), "threshold"),
    ],
)
def test_bad_counts_and_bars_are_refused(args: tuple[int, int, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        case_verdict(*args)


def test_higher_confidence_settles_less() -> None:
    assert case_verdict(20, 20, 0.8, 0.95).verdict is Verdict.PASSED
    assert case_verdict(20, 20, 0.8, 0.99).verdict is Verdict.INCONCLUSIVE  # 0.8^20 = 0.0115
    assert case_verdict(21, 21, 0.8, 0.99).verdict is Verdict.PASSED  # 0.8^21 = 0.0092


def test_suite_verdict_counts_unsettled_cases_both_ways() -> None:
    # 9 passed, 1 failed: 90% meets 0.9
    assert suite_verdict(9, 1, 0, 0.9).verdict is Verdict.PASSED
    # 8 passed, 1 inconclusive, 1 failed: between 80% and 90% -- could go either way
    s = suite_verdict(8, 1, 1, 0.9)
    assert s.verdict is Verdict.INCONCLUSIVE and s.total == 10
    assert (s.interval.low, s.interval.high) == (0.8, 0.9) and s.interval.method == "bounds"
    # 7 passed, 1 inconclusive, 2 failed: at most 80% -- failed
    assert suite_verdict(7, 2, 1, 0.9).verdict is Verdict.FAILED
    # 18 passed, 2 inconclusive: at least 90% -- passed even if both go wrong
    assert suite_verdict(18, 0, 2, 0.9).verdict is Verdict.PASSED


def test_a_perfect_suite_passes_its_threshold_whatever_its_size() -> None:
    # cases are the suite, not a sample of cases: 20 of 20 meets 0.9 (a binomial interval
    # over cases would call this inconclusive: 0.05^(1/20) = 0.86 < 0.9)
    assert suite_verdict(20, 0, 0, 0.9).verdict is Verdict.PASSED
    assert suite_verdict(3, 0, 0, 1.0).verdict is Verdict.PASSED


def test_suite_verdict_keeps_todays_threshold_arithmetic() -> None:
    # 7/10 >= 0.7 although 0.7 * 10 is 7.000000000000001 in floating point
    assert suite_verdict(7, 3, 0, 0.7).verdict is Verdict.PASSED
    assert suite_verdict(2, 1, 0, 1.0).verdict is Verdict.FAILED
    assert suite_verdict(0, 3, 0, 0.0).verdict is Verdict.PASSED


def test_an_empty_suite_fails_and_bad_counts_are_refused() -> None:
    assert suite_verdict(0, 0, 0, 0.9).verdict is Verdict.FAILED
    with pytest.raises(ValueError, match="negative"):
        suite_verdict(-1, 0, 0, 0.9)
    with pytest.raises(ValueError, match="threshold"):
        suite_verdict(1, 0, 0, 2.0)


def test_flaky_means_the_samples_disagree() -> None:
    assert is_flaky(2, 3) and is_flaky(1, 30)
    assert not is_flaky(0, 3) and not is_flaky(3, 3) and not is_flaky(1, 1) and not is_flaky(0, 0)
    with pytest.raises(ValueError):
        is_flaky(4, 3)


def test_a_suite_of_unsettled_cases() -> None:
    s = suite_verdict(0, 0, 4, 0.5)
    assert s.verdict is Verdict.INCONCLUSIVE and (s.interval.low, s.interval.high) == (0.0, 1.0)
    assert suite_verdict(0, 0, 4, 0.0).verdict is Verdict.PASSED  # nothing is needed


def test_case_verdict_fields() -> None:
    v = case_verdict(17, 20, 0.8, 0.9)
    assert (v.passes, v.samples, v.threshold, v.pass_rate) == (17, 20, 0.8, 0.85)
    assert v.interval.confidence == 0.9 and v.interval.contains(0.85)
