"""Paired comparisons: McNemar, the bootstrap, Fisher per case, the stratified suite test."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

import evalkit.stats.paired as paired
from evalkit.stats import (
    Change,
    PairedCounts,
    clopper_pearson_lower,
    compare_case,
    compare_suite,
    fisher_one_sided,
    mcnemar_exact,
    paired_bootstrap,
)
from evalkit.stats.distributions import binom_cdf


@pytest.mark.parametrize(
    ("b", "c", "p"), [(0, 0, 1.0), (5, 0, 0.0625), (6, 1, 0.125), (10, 2, 0.0385742), (3, 3, 1.0)]
)
def test_mcnemar_exact(b: int, c: int, p: float) -> None:
    # reference: scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(p, abs=1e-6)
    assert mcnemar_exact(c, b) == pytest.approx(p, abs=1e-6)


def test_paired_bootstrap() -> None:
    a = [1.0, 1.0, 0.67, 1.0, 0.33, 1.0, 1.0, 0.67]
    same = paired_bootstrap(a, a)
    assert same == (0.0, 0.0, 0.0, 1.0)
    worse = paired_bootstrap(a, [0.0] * len(a))
    assert worse[0] == pytest.approx(-sum(a) / len(a))
    assert worse[1] <= worse[0] <= worse[2] < 0
    assert worse[3] < 0.01
    noisy = paired_bootstrap([1, 0, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1])
    assert noisy[3] > 0.5 and noisy[1] < 0 < noisy[2]
    assert paired_bootstrap([1, 0, 1], [0, 0, 1], seed=3) == paired_bootstrap(
        [1, 0, 1], [0, 0, 1], seed=3
    )


def brute_fisher(k_a: int, n_a: int, k_b: int, n_b: int) -> tuple[Fraction, Fraction]:
    total, good = n_a + n_b, k_a + k_b
    law = {
        x: Fraction(math.comb(good, x) * math.comb(total - good, n_b - x), math.comb(total, n_b))
        for x in range(max(0, n_b - (total - good)), min(n_b, good) + 1)
    }
    return (
        sum((v for x, v in law.items() if x <= k_b), Fraction(0)),
        sum((v for x, v in law.items() if x >= k_b), Fraction(0)),
    )


def test_fisher_reference_values() -> None:
    # the lady tasting tea: 3 of 4 right against 1 of 4, one-sided p = 17/70
    assert fisher_one_sided(3, 4, 1, 4)[0] == pytest.approx(17 / 70)
    # [[8, 2], [1, 5]]: one-sided 196/8008 = 0.02448 (scipy's two-sided is 0.03497)
    assert fisher_one_sided(8, 10, 1, 6)[0] == pytest.approx(196 / 8008)
    for counts in ((10, 10, 9, 10), (5, 12, 9, 11), (30, 30, 27, 30), (0, 4, 3, 3), (7, 19, 7, 19)):
        reg, fix = brute_fisher(*counts)
        assert fisher_one_sided(*counts) == (pytest.approx(float(reg)), pytest.approx(float(fix)))


def test_a_case_regression_beyond_noise() -> None:
    crash = compare_case(10, 10, 0, 10)
    assert crash.decision is Change.REGRESSION and crash.samples_to_settle == 0
    assert crash.p_value == crash.p_regression == pytest.approx(1 / math.comb(20, 10))
    fixed = compare_case(2, 10, 10, 10)
    assert fixed.decision is Change.FIX and fixed.p_value == fixed.p_fix < 0.05


def test_a_flip_within_noise_says_what_would_settle_it() -> None:
    # one sample a side can never settle: 1/1 -> 0/1 has p = 1/2
    one = compare_case(1, 1, 0, 1)
    assert one.decision is Change.WITHIN_NOISE and one.p_value == 0.5
    # 3/3 against 0/3 has p = 1/20: two more samples of each side would settle it
    assert one.samples_to_settle == 2
    assert compare_case(3, 3, 0, 3).decision is Change.REGRESSION
    small = compare_case(10, 10, 9, 10)
    assert small.decision is Change.WITHIN_NOISE and small.p_regression == 0.5
    more = small.samples_to_settle
    assert more is not None
    n = 10 + more
    assert compare_case(n, n, round(0.9 * n), n).decision is Change.REGRESSION
    n = 10 + more // 2
    assert compare_case(n, n, round(0.9 * n), n).decision is Change.WITHIN_NOISE


def test_equal_rates_are_within_noise_with_nothing_to_settle() -> None:
    same = compare_case(7, 10, 7, 10)
    assert same.decision is Change.WITHIN_NOISE and same.samples_to_settle is None
    assert same.p_value > 0.5


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError, match="1 or more samples"):
        compare_case(0, 0, 1, 1)
    with pytest.raises(ValueError, match="passes <= samples"):
        PairedCounts(3, 2, 1, 1)
    with pytest.raises(ValueError, match="confidence"):
        compare_case(1, 1, 1, 1, confidence=1.0)


def test_fisher_holds_its_level_when_nothing_changed() -> None:
    # exact size of the one-sided test at 5% under "both sides share the rate", fixed n
    for n in (3, 10, 30):
        for rate in (0.3, 0.5, 0.8, 0.95):
            size = sum(
                math.comb(n, k_a)
                * rate**k_a
                * (1 - rate) ** (n - k_a)
                * math.comb(n, k_b)
                * rate**k_b
                * (1 - rate) ** (n - k_b)
                for k_a in range(n + 1)
                for k_b in range(n + 1)
                if fisher_one_sided(k_a, n, k_b, n)[0] <= 0.05
            )
            assert size <= 0.05


def test_with_one_sample_a_side_the_suite_test_is_mcnemars() -> None:
    rng = random.Random(7)
    for _ in range(20):
        regressions, fixes, same = rng.randint(0, 12), rng.randint(0, 12), rng.randint(0, 30)
        cases = (
            [PairedCounts(1, 1, 0, 1)] * regressions
            + [PairedCounts(0, 1, 1, 1)] * fixes
            + [PairedCounts(1, 1, 1, 1)] * same
        )
        change = compare_suite(cases)
        discordant = regressions + fixes
        expected = binom_cdf(fixes, discordant, 0.5) if discordant else 1.0
        assert change.p_regression == pytest.approx(expected)
        assert (change.regressed, change.fixed, change.method) == (regressions, fixes, "exact")
        if regressions != fixes:
            assert min(1.0, 2 * change.p_value) == pytest.approx(mcnemar_exact(regressions, fixes))


def test_a_few_clear_crashes_are_a_suite_regression() -> None:
    # four cases from 10/10 to 0/10 among fifty unchanged: a sign or permutation test on
    # case rates could not go below 1/16 here; the stratified test sees each case's noise
    cases = [PairedCounts(10, 10, 0, 10)] * 4 + [PairedCounts(10, 10, 10, 10)] * 50
    change = compare_suite(cases)
    assert change.decision is Change.REGRESSION and change.p_regression < 1e-12
    assert (change.regressed, change.fixed, change.cases) == (4, 0, 54)
    assert change.mean_change == pytest.approx(-4 / 54)
    assert change.samples_to_settle == 0


def test_a_small_suite_drift_within_noise_and_what_would_settle_it() -> None:
    cases = [PairedCounts(9, 10, 8, 10)] * 6 + [PairedCounts(10, 10, 10, 10)] * 10
    change = compare_suite(cases)
    assert change.decision is Change.WITHIN_NOISE and change.p_value == change.p_regression
    more = change.samples_to_settle
    assert more is not None and more > 0
    # where the held rates give whole counts (multiples of 10 samples), the exact test
    # agrees with the projection: settled from the first multiple at or past 10 + more
    n = 10 * math.ceil((10 + more) / 10)
    settled = [PairedCounts(9 * n // 10, n, 8 * n // 10, n)] * 6 + [PairedCounts(n, n, n, n)] * 10
    assert compare_suite(settled).decision is Change.REGRESSION
    unchanged = [PairedCounts(5, 10, 5, 10)] * 4
    assert compare_suite(unchanged).samples_to_settle is None


def test_the_normal_approximation_agrees_with_the_exact_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(11)
    for _ in range(5):
        shift = rng.choice([0, 1, 2])
        cases = []
        for _ in range(40):
            k_a = rng.randint(0, 10)
            cases.append(PairedCounts(k_a, 10, max(0, min(10, k_a - rng.randint(0, shift))), 10))
        exact = compare_suite(cases)
        monkeypatch.setattr(paired, "EXACT_WORK", 0)
        approx = compare_suite(cases)
        monkeypatch.undo()
        assert exact.method == "exact" and approx.method == "normal approximation"
        for e, a in ((exact.p_regression, approx.p_regression), (exact.p_fix, approx.p_fix)):
            assert a == pytest.approx(e, rel=0.15, abs=2e-3)


def test_large_suites_fall_back_to_the_approximation() -> None:
    cases = [PairedCounts(25, 30, 24, 30)] * 2000
    change = compare_suite(cases)
    assert change.method == "normal approximation"
    assert change.decision is Change.REGRESSION  # 2000 cases each a little worse


def test_the_suite_test_holds_its_level_when_nothing_changed() -> None:
    # seeded simulation: suites of 10 cases, 6 samples a side, each case its own rate,
    # the same on both sides; "regression" at most 5% of the time (the 99.9% lower bound
    # of the simulated rate may not exceed it), and a real drop is seen most of the time
    rng = random.Random(3)
    runs, false_alarms, caught = 1000, 0, 0
    for _ in range(runs):
        rates = [rng.choice([0.5, 0.8, 0.9, 1.0]) for _ in range(10)]
        draw = lambda r: sum(rng.random() < r for _ in range(6))  # noqa: E731
        same = [PairedCounts(draw(r), 6, draw(r), 6) for r in rates]
        worse = [PairedCounts(draw(r), 6, draw(r - 0.3), 6) for r in rates]
        false_alarms += compare_suite(same).decision is Change.REGRESSION
        caught += compare_suite(worse).decision is Change.REGRESSION
    assert clopper_pearson_lower(false_alarms, runs, 0.001) <= 0.05
    assert caught / runs > 0.9


def test_an_empty_or_uninformative_suite_is_within_noise() -> None:
    empty = compare_suite([])
    assert empty.decision is Change.WITHIN_NOISE and empty.cases == 0 and empty.mean_change == 0
    assert empty.samples_to_settle is None
    # every case passed everything, or failed everything, on both sides: no table can vary
    flat = compare_suite([PairedCounts(10, 10, 10, 10), PairedCounts(0, 5, 0, 5)])
    assert (flat.p_regression, flat.p_fix, flat.decision) == (1.0, 1.0, Change.WITHIN_NOISE)


def test_the_exact_suite_test_against_brute_force() -> None:
    # two cases: enumerate every pair of tables with the observed margins
    cases = [PairedCounts(5, 6, 2, 5), PairedCounts(3, 4, 1, 4)]
    laws = []
    for c in cases:
        total, good = c.samples_a + c.samples_b, c.passes_a + c.passes_b
        laws.append(
            {
                x: Fraction(
                    math.comb(good, x) * math.comb(total - good, c.samples_b - x),
                    math.comb(total, c.samples_b),
                )
                for x in range(max(0, c.samples_b - (total - good)), min(c.samples_b, good) + 1)
            }
        )
    observed = sum(c.passes_b for c in cases)
    below = sum(
        (p * q for x, p in laws[0].items() for y, q in laws[1].items() if x + y <= observed),
        Fraction(0),
    )
    above = sum(
        (p * q for x, p in laws[0].items() for y, q in laws[1].items() if x + y >= observed),
        Fraction(0),
    )
    change = compare_suite(cases)
    assert change.p_regression == pytest.approx(float(below))
    assert change.p_fix == pytest.approx(float(above))
    assert change.p_value == change.p_regression


def test_a_suite_fix_beyond_noise() -> None:
    cases = [PairedCounts(3, 10, 9, 10)] * 3 + [PairedCounts(8, 10, 8, 10)] * 5
    change = compare_suite(cases)
    assert change.decision is Change.FIX and change.p_value == change.p_fix < 0.002
    assert (change.regressed, change.fixed) == (0, 3)


def test_confidence_changes_what_is_beyond_noise() -> None:
    # 10/10 -> 6/10: one-sided Fisher p = 0.0433, a regression at 95%, not at 99%
    assert compare_case(10, 10, 6, 10).p_regression == pytest.approx(0.04334, abs=1e-5)
    assert compare_case(10, 10, 6, 10).decision is Change.REGRESSION
    at99 = compare_case(10, 10, 6, 10, confidence=0.99)
    assert at99.decision is Change.WITHIN_NOISE and at99.samples_to_settle is not None
