import pytest

from evalkit.stats import mcnemar_exact, paired_bootstrap, wilson


def test_wilson_matches_reference_values() -> None:
    # reference: statsmodels proportion_confint(8, 10, method="wilson")
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4) and high == pytest.approx(0.9433, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(10, 10)[1] == pytest.approx(1.0)


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
