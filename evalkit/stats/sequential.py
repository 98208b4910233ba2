"""Adaptive repeats (``repeat: {min, max}``): after each sample, ``continue`` or stop with
``passed``, ``failed`` or (at ``max``) ``inconclusive``; and how many more samples would
settle an unsettled case or suite.

The rule is an exact group-sequential binomial test with error spending, computed once per
(bar, min, max, confidence) by dynamic programming over every path of passes and failures:

- Looks at every sample from ``min`` to ``max``. At look n the case passes when its
  passes reach ``pass_at[n]`` and fails when they fall to ``fail_at[n]``. The boundaries
  are the most lenient ones whose chance, at a true rate exactly at the bar, of ever being
  crossed by look n stays within a spending budget: ``alpha * f(t)`` with ``t`` the share
  of the looks done, and all of ``alpha = 1 - confidence`` at the last look. The chance is
  computed exactly, over the paths that have not stopped, not one look at a time: that is
  what "not a peek at a fixed-sample interval" means: reading the fixed-sample verdict
  after every sample from 3 to 30 passes a case whose true rate is at the bar 8.6% of the
  time and fails it 11.7% of the time (benchmarks/stats_simulation.py), not 5%.
- Error rates: P(passed) is monotone in the true rate (a path with more passes crosses
  the pass boundary no later), so P(passed | rate < bar) <= P(passed | rate = bar) <=
  alpha for every rate below the bar, and likewise P(failed | rate >= bar) <= alpha. There
  is no indifference zone for the errors. Near the bar, what is lost is decisiveness: a
  rate close to the bar usually ends ``inconclusive`` at ``max`` (at exactly the bar, at
  least 1 - 2 alpha of the time), which is the honest answer.
- Each side (pass, fail) is designed on its own (stopping on the other side only removes
  paths, so each bound still holds) with the spending function, out of three standard
  ones, that best trades decisiveness against samples for that side: averaged over ten true
  rates on that side of the bar, the chance to settle minus half the share of ``max``
  spent. ``linear`` spends evenly over the looks (Pocock-like: stops early most);
  ``half-linear`` spends half evenly and keeps half for the last look (Haybittle–Peto-like:
  most power at ``max`` when few failures are allowed, as with a high bar); ``quadratic``
  spends late (O'Brien–Fleming-like). The design depends on the settings only, never on
  the data, so the choice does not touch the error bounds. Above 200 looks only ``linear``
  is tried (the choice matters little with many samples, and it keeps designing fast).
- ``min == max`` is the fixed-sample rule of :mod:`.verdict` (one look, all of alpha), so
  ``repeat: n`` and an adaptive run agree on every certain case and on what a verdict
  means; the certain rules (one sample, a bar of 0 or 1) are shared. At a bar of 1.0 a
  failed sample fails the case (certainly) at the first look, and a case passes only when
  all of ``max`` samples passed.
- The interval of a look is Clopper–Pearson at the nominal level the design allows at that
  look (stricter early, because every look is a chance to be wrong), so "the interval lies
  above the bar" and "passed" say the same thing at every look.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from .distributions import betainc
from .intervals import (
    Interval,
    check_confidence,
    clopper_pearson,
    clopper_pearson_lower,
    clopper_pearson_upper,
)
from .search import smallest
from .verdict import CaseVerdict, Verdict, case_verdict, certain_verdict, check_threshold

MAX_SAMPLES = 1000  # the largest max a design is made for (the suite's own repeat limit)
SELECTION_LOOKS = 200  # above this many looks only the linear spending is tried
SETTLE_LIMIT = 1_000_000  # samples_to_settle gives up beyond this many more samples


class Decision(StrEnum):
    CONTINUE = "continue"
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"  # reached max unsettled


SPENDING: dict[str, Callable[[float], float]] = {
    "linear": lambda t: t,
    "half-linear": lambda t: t / 2,
    "quadratic": lambda t: t * t,
}


@dataclass(frozen=True)
class Operating:
    """The exact operating characteristics of a design at one true rate."""

    rate: float
    passed: float
    failed: float
    inconclusive: float
    mean_samples: float


@dataclass(frozen=True)
class Step:
    """The decision after ``samples`` samples with ``passes`` passes, and its interval."""

    decision: Decision
    passes: int
    samples: int
    threshold: float
    interval: Interval

    @property
    def stopped(self) -> bool:
        return self.decision is not Decision.CONTINUE

    def to_verdict(self) -> CaseVerdict:
        """The case's verdict once sampling stopped (what the results layer records)."""
        if self.decision is Decision.CONTINUE:
            raise ValueError("a case that is still sampling has no verdict yet")
        verdict = Verdict(self.decision.value)
        certain = certain_verdict(self.passes, self.samples, self.threshold) is not None
        return CaseVerdict(
            verdict, self.passes, self.samples, self.threshold, self.interval, certain
        )


@dataclass(frozen=True)
class Design:
    """The stopping boundaries of ``repeat: {min, max}`` for one bar and confidence.

    ``pass_at[i]`` and ``fail_at[i]`` are the boundaries at look ``min + i``: passed when
    passes >= pass_at (``samples + 1`` means it cannot pass there), failed when passes <=
    fail_at (-1: cannot fail there). ``pass_level``/``fail_level`` are the one-sided
    nominal levels of the looks' intervals. Make designs with :func:`design`.
    """

    threshold: float
    min_samples: int
    max_samples: int
    confidence: float
    pass_at: tuple[int, ...]
    fail_at: tuple[int, ...]
    pass_level: tuple[float, ...]
    fail_level: tuple[float, ...]
    pass_spending: str
    fail_spending: str

    def decide(self, passes: int, samples: int) -> Decision:
        """The decision after ``samples`` samples of which ``passes`` passed. Stateless:
        the same counts always give the same decision, so replay reproduces it; cheap, so
        the engine may ask after every sample."""
        if not 0 <= passes <= samples or not 1 <= samples <= self.max_samples:
            raise ValueError(
                f"counts must satisfy 0 <= passes <= samples <= max ({self.max_samples}), "
                f"not {passes}/{samples}"
            )
        if samples < self.min_samples:
            return Decision.CONTINUE
        i = samples - self.min_samples
        if passes >= self.pass_at[i]:
            return Decision.PASSED
        if passes <= self.fail_at[i]:
            return Decision.FAILED
        return Decision.INCONCLUSIVE if samples == self.max_samples else Decision.CONTINUE

    def step(self, passes: int, samples: int) -> Step:
        """:meth:`decide` with the look's interval (which costs two beta quantiles)."""
        decision = self.decide(passes, samples)
        if samples < self.min_samples:
            interval = clopper_pearson(passes, samples, self.confidence, "one-sided")
        else:
            i = samples - self.min_samples
            interval = Interval(
                clopper_pearson_lower(passes, samples, self.pass_level[i]),
                clopper_pearson_upper(passes, samples, self.fail_level[i]),
                self.confidence,
                "clopper-pearson-sequential",
                "one-sided",
            )
        return Step(decision, passes, samples, self.threshold, interval)

    def operating(self, rate: float) -> Operating:
        """P(passed), P(failed), P(inconclusive) and the mean samples at a true rate,
        exactly (dynamic programming over the paths, no simulation)."""
        return operating(self.pass_at, self.fail_at, self.min_samples, self.max_samples, rate)

    @property
    def pass_error(self) -> float:
        """P(passed) at a true rate exactly at the bar: the bound on a wrong "passed"."""
        return self.operating(self.threshold).passed

    @property
    def fail_error(self) -> float:
        """P(failed) at a true rate exactly at the bar: the bound on a wrong "failed"."""
        return self.operating(self.threshold).failed


def design(
    threshold: float,
    min_samples: int,
    max_samples: int,
    confidence: float = 0.95,
    spending: str | None = None,
) -> Design:
    """The design of ``repeat: {min: min_samples, max: max_samples}`` (cached).

    ``spending`` forces one of :data:`SPENDING` on both sides instead of the choice the
    module docstring describes (for comparisons; any of them keeps the error bounds)."""
    if spending is not None and spending not in SPENDING:
        raise ValueError(f"spending must be one of {', '.join(SPENDING)}, not {spending!r}")
    check_threshold(threshold)
    check_confidence(confidence)
    if not 1 <= min_samples <= max_samples <= MAX_SAMPLES:
        raise ValueError(
            f"repeats need 1 <= min <= max <= {MAX_SAMPLES}, not min={min_samples}, "
            f"max={max_samples}"
        )
    return _design(float(threshold), min_samples, max_samples, float(confidence), spending)


@lru_cache(maxsize=256)
def _design(bar: float, lo: int, hi: int, confidence: float, spending: str | None) -> Design:
    alpha = 1.0 - confidence
    looks = range(lo, hi + 1)
    if bar in (0.0, 1.0) or hi == 1:
        # the certain rules, as boundaries: one look's worth of alpha, plain intervals
        certain_pass = tuple(_certain_pass_at(n, hi, bar) for n in looks)
        certain_fail = tuple(_certain_fail_at(n, bar) for n in looks)
        levels = tuple(alpha for _ in looks)
        return Design(
            bar, lo, hi, confidence, certain_pass, certain_fail, levels, levels, "none", "none"
        )
    if spending is not None:
        names = [spending]
    else:
        names = list(SPENDING) if hi - lo + 1 <= SELECTION_LOOKS else ["linear"]
    pass_name, pass_at, pass_level = _best_side(bar, alpha, lo, hi, names, upper=True)
    fail_name, fail_at, fail_level = _best_side(bar, alpha, lo, hi, names, upper=False)
    return Design(
        bar,
        lo,
        hi,
        confidence,
        tuple(pass_at),
        tuple(fail_at),
        tuple(pass_level),
        tuple(fail_level),
        pass_name,
        fail_name,
    )


def _certain_pass_at(n: int, hi: int, bar: float) -> int:
    if bar == 0.0:
        return 0
    if hi == 1:
        return 1
    return n if n == hi else n + 1  # bar 1.0: every one of max samples passed


def _certain_fail_at(n: int, bar: float) -> int:
    return -1 if bar == 0.0 else n - 1  # any failure (a bar above 0, one sample or 1.0)


def _caps(alpha: float, lo: int, hi: int, spend: Callable[[float], float]) -> list[float]:
    looks = hi - lo + 1
    return [alpha if n == hi else alpha * spend((n - lo + 1) / looks) for n in range(lo, hi + 1)]


def _advance(dist: list[float], p: float) -> list[float]:
    """The law of the passes after one more sample (index = passes)."""
    q = 1.0 - p
    new = [0.0] * (len(dist) + 1)
    for k, w in enumerate(dist):
        if w:
            new[k] += w * q
            new[k + 1] += w * p
    return new


def _side(
    bar: float, lo: int, hi: int, caps: Sequence[float], upper: bool
) -> tuple[list[int], list[float]]:
    """One side's boundaries: at each look, the most lenient one whose cumulative crossing
    chance at the bar (over the paths still running) stays within that look's cap; and
    each look's nominal level (see :func:`_level`)."""
    dist = [1.0]  # the passes of the paths still running
    marginal = [1.0]  # the passes of all paths: Binomial(n, bar)
    spent = 0.0
    bounds: list[int] = []
    levels: list[float] = []
    for n in range(1, hi + 1):
        dist = _advance(dist, bar)
        marginal = _advance(marginal, bar)
        if n < lo:
            continue
        cap = caps[n - lo]
        taken = 0.0
        order = range(n, -1, -1) if upper else range(0, n + 1)
        edge = n + 1 if upper else -1
        for k in order:
            if spent + taken + dist[k] > cap:
                break
            taken += dist[k]
            edge = k
        tail = 0.0  # the marginal tail beyond the edge, then one step further
        for k in order:
            if (upper and k < edge) or (not upper and k > edge):
                levels.append(_level(cap, tail, tail + marginal[k]))
                break
            tail += marginal[k]
            dist[k] = 0.0
        else:
            levels.append(_level(cap, tail, 1.0))
        spent += taken
        bounds.append(edge)
    return bounds, levels


def _level(cap: float, at_edge: float, one_past: float) -> float:
    """A one-sided nominal level whose Clopper–Pearson bound crosses the bar exactly for
    the counts beyond the edge: any level in [P(beyond the edge at the bar), P(one count
    further)) does. The look's cap when it lies inside; else the point a tenth of the way
    (on a log scale) in from the end it overshoots, so that a bound computed to a double's
    precision still falls, visibly, on the right side of the bar."""
    if at_edge * (1 + 1e-6) < cap < one_past * (1 - 1e-6):
        return cap
    if at_edge <= 0.0:
        return 0.9 * one_past
    low, high = math.log(at_edge), math.log(one_past)
    inside = 0.1 * (high - low)
    return math.exp(min(max(math.log(cap), low + inside), high - inside))


def operating(
    pass_at: Sequence[int], fail_at: Sequence[int], lo: int, hi: int, rate: float
) -> Operating:
    """The exact operating characteristics of any boundaries (``pass_at[i]``,
    ``fail_at[i]`` at look ``lo + i`` as in :class:`Design`) at a true rate: a forward
    pass over the law of the passes of the paths still running. Public so that other rules
    (peeking at a fixed-sample interval, a fixed ``repeat``) can be measured the same way."""
    dist = [1.0]
    passed = failed = mean = 0.0
    for n in range(1, hi + 1):
        dist = _advance(dist, rate)
        if n < lo:
            continue
        a, b = pass_at[n - lo], fail_at[n - lo]
        for k in range(n + 1):
            if k >= a:
                passed += dist[k]
            elif k <= b:
                failed += dist[k]
            else:
                continue
            mean += n * dist[k]
            dist[k] = 0.0
    rest = math.fsum(dist)
    return Operating(rate, passed, failed, rest, mean + hi * rest)


def _side_score(bounds: Sequence[int], bar: float, lo: int, hi: int, upper: bool) -> float:
    """Averaged over ten true rates on this side of the bar: the chance to settle on this
    side minus half the share of max spent."""
    if upper:
        rates = [bar + (1.0 - bar) * j / 10 for j in range(1, 11)]
        never = [-1] * len(bounds)
        figures = [operating(bounds, never, lo, hi, r) for r in rates]
        settle = [f.passed for f in figures]
    else:
        rates = [bar * j / 10 for j in range(10)]
        never = [n + 1 for n in range(lo, hi + 1)]
        figures = [operating(never, bounds, lo, hi, r) for r in rates]
        settle = [f.failed for f in figures]
    return sum(s - f.mean_samples / (2 * hi) for s, f in zip(settle, figures, strict=True)) / 10


def _best_side(
    bar: float, alpha: float, lo: int, hi: int, names: Sequence[str], upper: bool
) -> tuple[str, list[int], list[float]]:
    best: tuple[float, str, list[int], list[float]] | None = None
    for name in names:
        bounds, levels = _side(bar, lo, hi, _caps(alpha, lo, hi, SPENDING[name]), upper)
        score = _side_score(bounds, bar, lo, hi, upper) if len(names) > 1 else 0.0
        if best is None or score > best[0] + 1e-12:
            best = (score, name, bounds, levels)
    assert best is not None
    return best[1], best[2], best[3]


# --- how many more samples would settle it ---------------------------------------------


def samples_to_settle(
    passes: int,
    samples: int,
    threshold: float,
    confidence: float = 0.95,
    limit: int = SETTLE_LIMIT,
) -> int | None:
    """How many more samples would settle this case if its observed rate held: the fewest
    m such that ``repeat: samples + m`` at the same rate gets a settled verdict from the
    fixed-sample rule (0 when it is settled already; None when the rate equals the bar,
    which no number of samples settles, or when more than ``limit`` would be needed).

    A projection, not a promise: the next samples may not keep the rate. An adaptive run
    with that max needs a few more, since its looks are stricter than one fixed look.
    """
    if case_verdict(passes, samples, threshold, confidence).verdict is not Verdict.INCONCLUSIVE:
        return 0
    return _more_samples(passes, samples, threshold, confidence, limit)


def _more_samples(
    passes: int, samples: int, threshold: float, confidence: float, limit: int
) -> int | None:
    """The projection itself, 1 or more: also for a case an adaptive run left unsettled
    at counts where one fixed look would have settled it (its last look is stricter)."""
    rate = passes / samples
    if rate == threshold:
        return None
    alpha = 1.0 - confidence

    def settles(total: int) -> bool:
        k = rate * total
        if rate > threshold:  # P(X >= k | bar) for a real k: I_bar(k, n - k + 1)
            return betainc(k, total - k + 1, threshold) <= alpha
        # P(X <= k | bar) = I_{1 - bar}(n - k, k + 1)
        return betainc(total - k, k + 1, 1.0 - threshold) <= alpha

    return smallest(lambda more: settles(samples + more), limit)


@dataclass(frozen=True)
class SuiteSettle:
    """What would settle a suite if its unsettled cases kept their rates: the verdict it
    would reach, the cases to sample more and the samples that takes in all."""

    verdict: Verdict
    cases: int
    samples: int


def suite_samples_to_settle(
    cases: Sequence[CaseVerdict],
    threshold: float,
    confidence: float = 0.95,
    limit: int = SETTLE_LIMIT,
) -> SuiteSettle | None:
    """How many more samples, spent on which of its inconclusive cases, would settle a
    suite if every case kept its observed rate (None when it is settled already, when the
    projection leaves it unsettled, or when the cases it needs never settle).

    Each inconclusive case is projected to settle the way its rate points, after
    :func:`samples_to_settle` more samples; the suite's projected verdict follows from its
    projected case counts (:func:`~.verdict.suite_verdict`), and the cheapest cases that
    reach it are the ones to sample.
    """
    check_threshold(threshold)
    check_confidence(confidence)
    total = len(cases)
    passed = sum(c.verdict is Verdict.PASSED for c in cases)
    open_cases = [c for c in cases if c.verdict is Verdict.INCONCLUSIVE]
    if total == 0 or not open_cases:
        return None
    low, high = passed / total, (passed + len(open_cases)) / total
    if low >= threshold or high < threshold:
        return None
    towards_pass: list[int] = []
    towards_fail: list[int] = []
    for case in open_cases:
        more = _more_samples(case.passes, case.samples, case.threshold, confidence, limit)
        if more is None:
            continue
        (towards_pass if case.pass_rate > case.threshold else towards_fail).append(more)
    projected = (passed + len(towards_pass)) / total
    if projected >= threshold:  # settle as passed: the cheapest passes that reach the bar
        need = 0
        while (passed + need) / total < threshold:
            need += 1
        chosen = sorted(towards_pass)[:need]
        return SuiteSettle(Verdict.PASSED, len(chosen), sum(chosen))
    # settle as failed: enough projected failures that even the rest passing misses it
    still_open = len(open_cases)
    chosen = []
    for more in sorted(towards_fail):
        if (passed + still_open) / total < threshold:
            break
        chosen.append(more)
        still_open -= 1
    if (passed + still_open) / total >= threshold:
        return None
    return SuiteSettle(Verdict.FAILED, len(chosen), sum(chosen))
