"""Intervals of a pass rate: Wilson's score interval and the Clopper–Pearson exact interval,
at any confidence, as one small :class:`Interval` model.

Rules:

- ``confidence`` is the probability the interval covers the true rate. A two-sided interval
  at 0.95 leaves 2.5% on each side; ``bounds="one-sided"`` gives the pair of one-sided
  bounds at ``confidence`` each (the rate is at least ``low`` with 95% confidence, and at
  most ``high`` with 95% confidence; together they cover it 90% of the time). A verdict is
  a one-sided claim ("the rate is at or above the bar" or "below it"), so verdicts read
  one-sided bounds: only one of the two claims can be wrong for a given true rate.
- Clopper–Pearson is exact (it never covers less than it says) and is what verdicts use;
  Wilson is shorter and covers about what it says on average, for reports and diffs.
- No data (``total == 0``) gives (0, 1). Normal quantiles come from
  :class:`statistics.NormalDist`; beta quantiles from :mod:`.distributions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from .distributions import beta_ppf

Bounds = Literal["two-sided", "one-sided"]
Method = Literal["wilson", "clopper-pearson", "clopper-pearson-sequential", "bounds"]

Z95 = 1.959963984540054  # the two-sided 95% normal quantile, wilson()'s default


@dataclass(frozen=True)
class Interval:
    """An interval of a rate: ``low <= rate <= high`` at ``confidence`` (see the module
    docstring for what ``bounds`` changes), computed by ``method``."""

    low: float
    high: float
    confidence: float
    method: Method
    bounds: Bounds = "two-sided"

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def straddles(self, bar: float) -> bool:
        """The interval has room on both sides of ``bar``: it cannot say which side the
        rate is on."""
        return self.low < bar and self.high > bar


def check_confidence(confidence: float) -> float:
    """``confidence`` itself when it is a probability in [0.5, 1), else ``ValueError``."""
    if not 0.5 <= confidence < 1.0 or math.isnan(confidence):
        raise ValueError(f"confidence must lie in [0.5, 1), not {confidence!r}")
    return confidence


def _check(successes: int, total: int) -> None:
    if total < 0 or not 0 <= successes <= total:
        raise ValueError(f"counts must satisfy 0 <= successes <= total, not {successes}/{total}")


def normal_quantile(q: float) -> float:
    """The standard normal quantile: ``normal_quantile(0.975)`` is 1.95996..."""
    return NormalDist().inv_cdf(q)


def z_of(confidence: float, bounds: Bounds = "two-sided") -> float:
    """The normal quantile an interval at ``confidence`` uses."""
    alpha = 1.0 - check_confidence(confidence)
    return normal_quantile(1.0 - (alpha / 2 if bounds == "two-sided" else alpha))


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion at normal quantile ``z`` (95% two-sided by
    default); (0, 1) for no data. The diff and the viewer call it as it is."""
    _check(successes, total)
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # at the edges the score interval touches 0 or 1 exactly; rounding must not hide that
    return (0.0 if successes == 0 else low), (1.0 if successes == total else high)


def wilson_interval(
    successes: int, total: int, confidence: float = 0.95, bounds: Bounds = "two-sided"
) -> Interval:
    """Wilson's score interval at ``confidence``."""
    low, high = wilson(successes, total, z_of(confidence, bounds))
    return Interval(low, high, confidence, "wilson", bounds)


def clopper_pearson_lower(successes: int, total: int, level: float) -> float:
    """The exact lower bound L with P(X >= successes | L) = level: the rate is at least L
    with confidence 1 - level."""
    _check(successes, total)
    if successes == 0:
        return 0.0
    return beta_ppf(level, successes, total - successes + 1)


def clopper_pearson_upper(successes: int, total: int, level: float) -> float:
    """The exact upper bound U with P(X <= successes | U) = level: the rate is at most U
    with confidence 1 - level."""
    _check(successes, total)
    if successes == total:
        return 1.0
    return beta_ppf(1.0 - level, successes + 1, total - successes)


def clopper_pearson(
    successes: int, total: int, confidence: float = 0.95, bounds: Bounds = "two-sided"
) -> Interval:
    """The Clopper–Pearson exact interval at ``confidence``: the rates a one-sided exact
    binomial test at the matching level would not reject."""
    alpha = 1.0 - check_confidence(confidence)
    tail = alpha / 2 if bounds == "two-sided" else alpha
    if total == 0:
        return Interval(0.0, 1.0, confidence, "clopper-pearson", bounds)
    return Interval(
        clopper_pearson_lower(successes, total, tail),
        clopper_pearson_upper(successes, total, tail),
        confidence,
        "clopper-pearson",
        bounds,
    )
