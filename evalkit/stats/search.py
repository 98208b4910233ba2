"""The one search the projections share: the smallest count that settles a verdict.

Rule: doubling, then bisection, assuming the predicate is monotone (more samples at the
same rate only narrow an interval); a projection that rounds counts is monotone up to that
rounding, so the answer may be off by a sample or two there, never by a factor.
"""

from __future__ import annotations

from collections.abc import Callable


def smallest(settles: Callable[[int], bool], limit: int) -> int | None:
    """The smallest m in 1..limit with ``settles(m)``, or None when ``settles(limit)`` is
    false too."""
    if limit < 1:
        raise ValueError(f"limit must be 1 or more, not {limit}")
    step = 1
    while not settles(step):
        if step >= limit:
            return None
        step = min(2 * step, limit)
    low, high = step // 2, step  # settles(high); not settles(low) unless low == 0
    while high - low > 1:
        mid = (low + high) // 2
        if settles(mid):
            high = mid
        else:
            low = mid
    return high
