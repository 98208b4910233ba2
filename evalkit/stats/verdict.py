"""The three-way verdict of a pass rate against a bar, for a case from its samples and for
a suite from its cases: ``passed``, ``failed`` or ``inconclusive``.

A case's verdict (``k`` passes out of ``n`` samples, bar ``threshold``, ``confidence``):

- passed when the exact one-sided binomial test rejects "rate < bar": P(X >= k | bar) <=
  1 - confidence, i.e. the one-sided Clopper–Pearson lower bound at ``confidence`` is at or
  above the bar; failed when it rejects "rate >= bar": P(X <= k | bar) <= 1 - confidence,
  i.e. the upper bound is at or below the bar; inconclusive when neither (the bounds
  straddle the bar). For any true rate only one of the two claims can be wrong, so the
  chance of a wrong verdict is at most 1 - confidence, whatever the rate.
- Certain cases, decided without statistics:
  one sample (``repeat: 1``): the sample decides, as always: passed when its rate (0 or 1)
  is at or above the bar, failed otherwise; never inconclusive.
  a bar of 1.0 (the default): "every sample passes". No finite number of samples can show
  a rate of exactly 1, while one failure shows it is below 1, so a bar of 1.0 reads as "no
  sample failed": passed when all passed, failed otherwise; never inconclusive.
  a bar of 0.0: every rate is at or above 0, so passed.
- At least one sample: a case that did not run has no verdict here (the results layer
  fails it; it is never a pass).

A suite's verdict (cases as the trials): its pass fraction is the fraction of its cases
that passed, against ``threshold`` as today (``passed / total >= threshold``). Settled
case verdicts count as what they say; each inconclusive case could still go either way,
so the suite's fraction lies in [passed / total, (passed + inconclusive) / total]:
passed when even the low end meets the threshold, failed when even the high end misses
it, inconclusive otherwise. Not a binomial interval over cases: a suite's cases are the
suite, not a sample of some larger population (a binomial interval would call a suite of
20 cases that all pass "inconclusive" against a threshold of 0.9). Each case verdict
holds at ``confidence`` on its own; the suite verdict takes them at their word.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .distributions import binom_cdf, binom_sf
from .intervals import Interval, check_confidence, clopper_pearson


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class CaseVerdict:
    """A case's verdict, its observed rate, the interval the verdict was read from and the
    samples spent. ``certain`` is true when no statistics were needed (see the rules)."""

    verdict: Verdict
    passes: int
    samples: int
    threshold: float
    interval: Interval
    certain: bool = False

    @property
    def pass_rate(self) -> float:
        return self.passes / self.samples


@dataclass(frozen=True)
class SuiteVerdict:
    """A suite's verdict over its cases; ``interval`` is the range its pass fraction can
    still take while its inconclusive cases are unsettled."""

    verdict: Verdict
    passed: int
    failed: int
    inconclusive: int
    threshold: float
    interval: Interval

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.inconclusive


def check_threshold(threshold: float) -> float:
    """``threshold`` itself when it lies in [0, 1], else ``ValueError``."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"a threshold must lie in [0, 1], not {threshold!r}")
    return threshold


def check_counts(passes: int, samples: int) -> None:
    """At least one sample and no more passes than samples, else ``ValueError``."""
    if samples < 1 or not 0 <= passes <= samples:
        raise ValueError(
            f"a verdict needs 1 or more samples and 0 <= passes <= samples, not {passes}/{samples}"
        )


def certain_verdict(passes: int, samples: int, threshold: float) -> Verdict | None:
    """The verdict when no statistics are needed (one sample, a bar of 0 or 1), else None.
    Shared by the fixed-sample rule and the sequential rule, so both agree on it."""
    if threshold == 0.0:
        return Verdict.PASSED
    if samples == 1 or threshold == 1.0:
        return Verdict.PASSED if passes / samples >= threshold else Verdict.FAILED
    return None


def pass_p_value(passes: int, samples: int, threshold: float) -> float:
    """The exact p-value of "rate < threshold" against these passes: P(X >= k | bar)."""
    return binom_sf(passes, samples, threshold)


def fail_p_value(passes: int, samples: int, threshold: float) -> float:
    """The exact p-value of "rate >= threshold" against these passes: P(X <= k | bar)."""
    return binom_cdf(passes, samples, threshold)


def case_verdict(
    passes: int, samples: int, threshold: float, confidence: float = 0.95
) -> CaseVerdict:
    """The verdict of ``passes`` out of ``samples`` against the bar (fixed-sample rule).

    A run asks this of every case with a handful of distinct counts, and the exact interval
    costs a continued fraction: the answers (immutable) are kept, a few thousand at most."""
    return _case_verdict(passes, samples, threshold, confidence)


@lru_cache(maxsize=4096)
def _case_verdict(passes: int, samples: int, threshold: float, confidence: float) -> CaseVerdict:
    check_counts(passes, samples)
    check_threshold(threshold)
    alpha = 1.0 - check_confidence(confidence)
    interval = clopper_pearson(passes, samples, confidence, "one-sided")
    certain = certain_verdict(passes, samples, threshold)
    if certain is not None:
        return CaseVerdict(certain, passes, samples, threshold, interval, certain=True)
    if pass_p_value(passes, samples, threshold) <= alpha:
        verdict = Verdict.PASSED
    elif fail_p_value(passes, samples, threshold) <= alpha:
        verdict = Verdict.FAILED
    else:
        verdict = Verdict.INCONCLUSIVE
    return CaseVerdict(verdict, passes, samples, threshold, interval)


def suite_verdict(
    passed: int, failed: int, inconclusive: int, threshold: float, confidence: float = 0.95
) -> SuiteVerdict:
    """The verdict of a suite from its cases' verdicts (see the module docstring). A suite
    with no case fails, as before: it has nothing to pass."""
    if min(passed, failed, inconclusive) < 0:
        raise ValueError(f"case counts cannot be negative: {passed}, {failed}, {inconclusive}")
    check_threshold(threshold)
    check_confidence(confidence)
    total = passed + failed + inconclusive
    if total == 0:
        interval = Interval(0.0, 1.0, confidence, "bounds")
        return SuiteVerdict(Verdict.FAILED, 0, 0, 0, threshold, interval)
    low, high = passed / total, (passed + inconclusive) / total
    interval = Interval(low, high, confidence, "bounds")
    if low >= threshold:
        verdict = Verdict.PASSED
    elif high < threshold:
        verdict = Verdict.FAILED
    else:
        verdict = Verdict.INCONCLUSIVE
    return SuiteVerdict(verdict, passed, failed, inconclusive, threshold, interval)


def is_flaky(passes: int, samples: int) -> bool:
    """A case is flaky when its samples disagree: some passed and some failed."""
    if samples < 0 or not 0 <= passes <= samples:
        raise ValueError(f"counts must satisfy 0 <= passes <= samples, not {passes}/{samples}")
    return 0 < passes < samples
