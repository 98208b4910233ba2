"""The statistics of a paired comparison, small and exact enough to trust in CI."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def wilson(successes: int, total: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion; (0, 1) for no data."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


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
