"""The exact distributions, against exact rational arithmetic and closed forms."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from evalkit.stats.distributions import (
    beta_ppf,
    betainc,
    binom_cdf,
    binom_pmf,
    binom_sf,
    hypergeom_cdf,
    hypergeom_pmf,
    hypergeom_pmfs,
    hypergeom_sf,
    hypergeom_support,
)


def exact_sf(k: int, n: int, p: Fraction) -> Fraction:
    return sum((math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1)), Fraction(0))


@pytest.mark.parametrize("n", [1, 2, 7, 30, 61])
@pytest.mark.parametrize("p", [Fraction(1, 2), Fraction(4, 5), Fraction(97, 100), Fraction(1, 20)])
def test_binomial_tails_are_the_exact_sums(n: int, p: Fraction) -> None:
    for k in range(-1, n + 2):
        sf = exact_sf(max(k, 0), n, p) if k <= n else Fraction(0)
        cdf = 1 - exact_sf(k + 1, n, p) if k < n else Fraction(1)
        if k < 0:
            cdf = Fraction(0)
        assert binom_sf(k, n, float(p)) == pytest.approx(float(sf), rel=1e-12, abs=1e-300)
        assert binom_cdf(k, n, float(p)) == pytest.approx(float(cdf), rel=1e-12, abs=1e-300)


def test_large_binomial_tails_keep_their_relative_precision() -> None:
    # n above the exact-sum limit goes through the incomplete beta: a tiny tail must not be
    # lost to "one minus the other tail"
    n, k, p = 1500, 214, Fraction(1, 10)
    exact = float(exact_sf(k, n, p))
    assert exact == pytest.approx(1.0845103852e-07, rel=1e-9)
    assert binom_sf(k, n, 0.1) == pytest.approx(exact, rel=1e-10)
    assert binom_cdf(k - 1, n, 0.1) == pytest.approx(1 - exact, rel=1e-12)
    assert binom_pmf(150, n, 0.1) == pytest.approx(
        float(math.comb(n, 150) * p**150 * (1 - p) ** (n - 150)), rel=1e-9
    )


def test_degenerate_rates() -> None:
    assert binom_pmf(0, 5, 0.0) == 1.0 and binom_pmf(3, 5, 0.0) == 0.0
    assert binom_pmf(5, 5, 1.0) == 1.0 and binom_pmf(4, 5, 1.0) == 0.0
    assert binom_sf(1, 5, 0.0) == 0.0 and binom_cdf(4, 5, 1.0) == 0.0
    assert binom_sf(3, 1500, 1.0) == 1.0 and binom_cdf(3, 1500, 0.0) == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: binom_pmf(3, 2, 0.5), "0 <= k <= n"),
        (lambda: binom_pmf(-1, 2, 0.5), "0 <= k <= n"),
        (lambda: binom_sf(1, 2, 1.5), "probability"),
        (lambda: binom_cdf(1, 2, float("nan")), "probability"),
        (lambda: betainc(0, 1, 0.5), "a, b > 0"),
        (lambda: hypergeom_pmf(0, 5, 6, 2), "hypergeometric"),
    ],
)
def test_bad_arguments_are_refused(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(ValueError, match=message):
        call()


def test_incomplete_beta_closed_forms() -> None:
    for x in (0.0, 0.1, 0.37, 0.5, 0.9, 1.0):
        assert betainc(1, 1, x) == pytest.approx(x, abs=1e-15)
        assert betainc(3, 1, x) == pytest.approx(x**3, abs=1e-15)
        assert betainc(1, 4, x) == pytest.approx(1 - (1 - x) ** 4, abs=1e-15)
    for a in (0.5, 2.0, 7.3, 250.0):
        assert betainc(a, a, 0.5) == pytest.approx(0.5, abs=1e-13)
    # I_x(1/2, 1/2) = (2 / pi) asin(sqrt(x)): the arcsine law
    for x in (0.05, 0.3, 0.8):
        assert betainc(0.5, 0.5, x) == pytest.approx(
            2 / math.pi * math.asin(math.sqrt(x)), rel=1e-12
        )


def test_incomplete_beta_is_the_binomial_tail_for_whole_numbers() -> None:
    for n in (3, 30, 200):
        for k in range(1, n + 1, max(1, n // 9)):
            for p in (0.2, 0.5, 0.8):
                assert betainc(k, n - k + 1, p) == pytest.approx(binom_sf(k, n, p), rel=1e-11)


def test_beta_quantile_inverts_the_incomplete_beta() -> None:
    for a, b in ((1, 14), (8, 3), (0.5, 0.5), (29, 2), (300, 700)):
        for q in (1e-6, 0.025, 0.05, 0.5, 0.95, 0.975):
            x = beta_ppf(q, a, b)
            assert betainc(a, b, x) == pytest.approx(q, rel=1e-9)
    assert beta_ppf(0.0, 2, 3) == 0.0 and beta_ppf(1.0, 2, 3) == 1.0
    # the quantile of Beta(n, 1) is q ** (1 / n): the Clopper-Pearson bound of n out of n
    assert beta_ppf(0.05, 14, 1) == pytest.approx(0.05 ** (1 / 14), rel=1e-13)


def brute_hypergeom(total: int, good: int, draws: int) -> dict[int, Fraction]:
    return {
        x: Fraction(
            math.comb(good, x) * math.comb(total - good, draws - x), math.comb(total, draws)
        )
        for x in hypergeom_support(total, good, draws)
    }


@pytest.mark.parametrize(
    ("total", "good", "draws"),
    [(2, 1, 1), (10, 4, 5), (20, 13, 7), (61, 55, 30), (7, 0, 3), (7, 7, 3), (40, 20, 20)],
)
def test_hypergeometric_against_exact_fractions(total: int, good: int, draws: int) -> None:
    law = brute_hypergeom(total, good, draws)
    support = hypergeom_support(total, good, draws)
    assert hypergeom_pmfs(total, good, draws) == pytest.approx([float(law[x]) for x in support])
    for x in range(support.start - 1, support.stop + 1):
        below = sum((v for y, v in law.items() if y <= x), Fraction(0))
        above = sum((v for y, v in law.items() if y >= x), Fraction(0))
        assert hypergeom_cdf(x, total, good, draws) == pytest.approx(
            float(below), rel=1e-12, abs=1e-300
        )
        assert hypergeom_sf(x, total, good, draws) == pytest.approx(
            float(above), rel=1e-12, abs=1e-300
        )
    assert hypergeom_pmf(support.stop, total, good, draws) == 0.0


def test_hypergeometric_tails_of_large_tables_are_not_lost() -> None:
    # 4000 draws: beyond the exact limit, by lgamma and the ratio walk; the tail at 6.3 sd
    # must come out as itself (about 1.5e-10), not as 0 or as 1 - (1 - tail)
    low = hypergeom_cdf(900, 4000, 2000, 2000)
    assert 1e-10 < low < 2e-10
    assert hypergeom_sf(1100, 4000, 2000, 2000) == pytest.approx(low, rel=1e-6)  # symmetric
    assert hypergeom_cdf(999, 4000, 2000, 2000) + hypergeom_sf(
        1000, 4000, 2000, 2000
    ) == pytest.approx(1.0)
