"""Paired comparisons of two variants on the same cases (``evalkit diff``): per case and per
suite, a regression or fix beyond sampling noise, or a change within it.

Rules:

- Per case, from each side's samples (k_a of n_a for the base, k_b of n_b for the head):
  Fisher's exact test, one-sided each way, at ``1 - confidence``. "regression" when the
  head's rate is lower beyond noise, "fix" when higher, "within noise" otherwise (also when
  the rates are equal). Fisher's test conditions on the table's margins and is exact
  (conservative: its error is at most the level). With one sample a side it can never
  settle (p = 0.5 at best): one sample shows a flip, not whether it is noise.
- Per suite: the exact conditional test of stratified 2x2 tables (cases as strata, the
  exact form of the Cochran–Mantel–Haenszel test): the head's passes summed over cases,
  against their law when every case keeps its own rate on both sides (a product of
  hypergeometric laws, convolved exactly). It pools the evidence of every case with its own
  noise, so four cases that each went from 10/10 to 0/10 are beyond noise, while a test on
  signs or case rates alone could not tell them from chance (p >= 1/16). With one sample a
  side it is exactly McNemar's exact test (one-sided). Above a work limit (large suites),
  the normal approximation of the same statistic, with a continuity correction, is used;
  ``method`` says which.
- "Samples to settle" a within-noise change: the fewest ``m`` more samples of each side
  (each keeping its observed rate) after which the same test would settle it; 0 when it is
  settled, None when the rates are equal (nothing to settle) or beyond the limit. A
  projection: the next samples need not keep the rates.
- The exact McNemar test (two-sided, on the flips of single samples) and the seeded paired
  bootstrap of the mean change of case rates keep their signatures and results.
- With adaptive repeats a side's sample count depends on its outcomes, which the exact
  tests do not model; the benchmark measures their error rates under the adaptive rule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

from .distributions import hypergeom_cdf, hypergeom_pmfs, hypergeom_sf, hypergeom_support
from .intervals import check_confidence
from .search import smallest

EXACT_WORK = 2_000_000  # multiply-adds the exact suite test may spend before approximating
SETTLE_LIMIT = 100_000


class Change(StrEnum):
    REGRESSION = "regression"
    FIX = "fix"
    WITHIN_NOISE = "within noise"


@dataclass(frozen=True)
class CaseChange:
    """One case's change: the one-sided p-values each way, the decision, and the samples
    of each side that would settle a within-noise change (see the module rules)."""

    decision: Change
    p_regression: float
    p_fix: float
    rate_a: float
    rate_b: float
    samples_to_settle: int | None

    @property
    def p_value(self) -> float:
        """The smaller one-sided p-value: the one in the direction the data moved."""
        return min(self.p_regression, self.p_fix)


@dataclass(frozen=True)
class PairedCounts:
    """One case on both sides: passes and samples of the base (a) and the head (b)."""

    passes_a: int
    samples_a: int
    passes_b: int
    samples_b: int

    def __post_init__(self) -> None:
        for k, n in ((self.passes_a, self.samples_a), (self.passes_b, self.samples_b)):
            if n < 1 or not 0 <= k <= n:
                raise ValueError(
                    f"each side needs 1 or more samples and 0 <= passes <= samples, not {k}/{n}"
                )


@dataclass(frozen=True)
class SuiteChange:
    """A suite's paired change over its cases (see the module rules)."""

    decision: Change
    p_regression: float
    p_fix: float
    method: str  # "exact" or "normal approximation"
    cases: int
    regressed: int  # cases whose rate fell
    fixed: int  # cases whose rate rose
    mean_change: float  # mean over cases of rate_b - rate_a
    samples_to_settle: int | None

    @property
    def p_value(self) -> float:
        """The smaller one-sided p-value: the one in the direction the data moved."""
        return min(self.p_regression, self.p_fix)


def mcnemar_exact(regressions: int, fixes: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs at 1/2."""
    n = regressions + fixes
    if n == 0:
        return 1.0
    k = min(regressions, fixes)
    tail: float = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], resamples: int = 10_000, seed: int = 0
) -> tuple[float, float, float, float]:
    """Mean of the paired differences b - a, its 95% percentile interval, and a two-sided
    bootstrap p-value for "no difference" (seeded, so a report is reproducible)."""
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n = len(diffs)
    if n == 0:
        return 0.0, 0.0, 0.0, 1.0
    mean = sum(diffs) / n
    if all(d == diffs[0] for d in diffs):
        return mean, mean, mean, 1.0 if mean == 0 else 0.0
    rng = random.Random(seed)
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    low, high = means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]
    centred = [m - mean for m in means]
    extreme = sum(abs(c) >= abs(mean) for c in centred)
    return mean, low, high, min(1.0, (extreme + 1) / (resamples + 1))


def fisher_one_sided(
    passes_a: int, samples_a: int, passes_b: int, samples_b: int
) -> tuple[float, float]:
    """Fisher's exact test both ways: (P(head passes <= k_b), P(head passes >= k_b)) given
    the margins. The first is the p-value of a regression, the second of a fix."""
    total, good = samples_a + samples_b, passes_a + passes_b
    return (
        hypergeom_cdf(passes_b, total, good, samples_b),
        hypergeom_sf(passes_b, total, good, samples_b),
    )


def _decide(p_regression: float, p_fix: float, alpha: float) -> Change:
    if p_regression <= alpha:
        return Change.REGRESSION
    if p_fix <= alpha:
        return Change.FIX
    return Change.WITHIN_NOISE


def compare_case(
    passes_a: int,
    samples_a: int,
    passes_b: int,
    samples_b: int,
    confidence: float = 0.95,
    limit: int = SETTLE_LIMIT,
) -> CaseChange:
    """Whether one case regressed or was fixed beyond noise, from both sides' samples."""
    PairedCounts(passes_a, samples_a, passes_b, samples_b)  # validates
    alpha = 1.0 - check_confidence(confidence)
    p_reg, p_fix = fisher_one_sided(passes_a, samples_a, passes_b, samples_b)
    decision = _decide(p_reg, p_fix, alpha)
    rate_a, rate_b = passes_a / samples_a, passes_b / samples_b
    settle: int | None = 0
    if decision is Change.WITHIN_NOISE:
        settle = _case_settle(rate_a, samples_a, rate_b, samples_b, alpha, limit)
    return CaseChange(decision, p_reg, p_fix, rate_a, rate_b, settle)


def _case_settle(
    rate_a: float, samples_a: int, rate_b: float, samples_b: int, alpha: float, limit: int
) -> int | None:
    if rate_a == rate_b:
        return None

    def settles(more: int) -> bool:
        n_a, n_b = samples_a + more, samples_b + more
        k_a, k_b = round(rate_a * n_a), round(rate_b * n_b)
        p_reg, p_fix = fisher_one_sided(k_a, n_a, k_b, n_b)
        return _decide(p_reg, p_fix, alpha) is not Change.WITHIN_NOISE

    return smallest(settles, limit)


# --- the suite ---------------------------------------------------------------------------


def _stratified_exact(cases: Sequence[PairedCounts]) -> tuple[float, float] | None:
    """(P(T <= t), P(T >= t)) for T the head's passes summed over the informative cases,
    by exact convolution; None when that would cost more than EXACT_WORK."""
    laws: list[tuple[int, list[float]]] = []
    observed = 0
    width, work = 1, 0
    for c in cases:
        total, good = c.samples_a + c.samples_b, c.passes_a + c.passes_b
        support = hypergeom_support(total, good, c.samples_b)
        if len(support) == 1:
            continue  # a case whose margins fix its table says nothing
        laws.append((support.start, hypergeom_pmfs(total, good, c.samples_b)))
        observed += c.passes_b - support.start
        work += width * len(support)
        width += len(support) - 1
        if work > EXACT_WORK:
            return None
    dist = [1.0]
    for _, law in laws:
        new = [0.0] * (len(dist) + len(law) - 1)
        for i, w in enumerate(dist):
            if w:
                for j, v in enumerate(law):
                    new[i + j] += w * v
        dist = new
    return (
        min(1.0, math.fsum(dist[: observed + 1])),
        min(1.0, math.fsum(dist[observed:])),
    )


def _stratified_normal(
    cases: Sequence[tuple[float, float, float, float]],
) -> tuple[float, float]:
    """The Cochran–Mantel–Haenszel normal approximation of the same two p-values, from
    (passes_a, samples_a, passes_b, samples_b) that may be fractional (projections)."""
    observed = mean = variance = 0.0
    for k_a, n_a, k_b, n_b in cases:
        total, good = n_a + n_b, k_a + k_b
        observed += k_b
        mean += n_b * good / total
        if total > 1:
            variance += n_a * n_b * good * (total - good) / (total * total * (total - 1))
    if variance <= 0.0:
        return (1.0, 1.0)
    sd = math.sqrt(variance)
    normal = NormalDist()
    return normal.cdf((observed - mean + 0.5) / sd), normal.cdf((mean - observed + 0.5) / sd)


def compare_suite(
    cases: Sequence[PairedCounts], confidence: float = 0.95, limit: int = SETTLE_LIMIT
) -> SuiteChange:
    """Whether a suite regressed or was fixed beyond noise, paired by case."""
    alpha = 1.0 - check_confidence(confidence)
    exact = _stratified_exact(cases)
    if exact is not None:
        (p_reg, p_fix), method = exact, "exact"
    else:
        rows = [
            (float(c.passes_a), float(c.samples_a), float(c.passes_b), float(c.samples_b))
            for c in cases
        ]
        p_reg, p_fix = _stratified_normal(rows)
        method = "normal approximation"
    decision = _decide(p_reg, p_fix, alpha)
    changes = [c.passes_b / c.samples_b - c.passes_a / c.samples_a for c in cases]
    settle: int | None = 0
    if decision is Change.WITHIN_NOISE:
        settle = _suite_settle(cases, alpha, limit)
    return SuiteChange(
        decision,
        p_reg,
        p_fix,
        method,
        len(cases),
        sum(d < 0 for d in changes),
        sum(d > 0 for d in changes),
        sum(changes) / len(changes) if changes else 0.0,
        settle,
    )


def _suite_settle(cases: Sequence[PairedCounts], alpha: float, limit: int) -> int | None:
    """m more samples per side of every case, each case keeping its rates, projected with
    the normal approximation (the exact test's statistic, with fractional counts)."""
    rates = [
        (c.passes_a / c.samples_a, c.samples_a, c.passes_b / c.samples_b, c.samples_b)
        for c in cases
    ]
    if not any(r_a != r_b for r_a, _, r_b, _ in rates):
        return None

    def settles(more: int) -> bool:
        rows = [
            (r_a * (n_a + more), float(n_a + more), r_b * (n_b + more), float(n_b + more))
            for r_a, n_a, r_b, n_b in rates
        ]
        return _decide(*_stratified_normal(rows), alpha) is not Change.WITHIN_NOISE

    if settles(0):
        return None  # the approximation disagrees with the exact test here: no projection
    return smallest(settles, limit)
