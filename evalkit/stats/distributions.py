"""The exact distributions under every verdict: binomial and hypergeometric tails, the
regularised incomplete beta function and its inverse, in the standard library only.

Rules: binomial tails up to 1000 trials are sums of exact terms (``math.comb``), added
with ``math.fsum``, so a verdict at its boundary is decided by the true tail; beyond, and
for real-valued arguments (projections such as "if the observed rate held"), they go
through the incomplete beta function, computed by its continued fraction (modified Lentz)
to about 1e-14 relative. A tail is always computed as itself, never as one minus the
other tail (which would lose a small tail to cancellation). Every function checks its arguments and raises ``ValueError`` on nonsense: these
are programming errors, the suite loader validates what users write.
"""

from __future__ import annotations

import math

_EXACT_N = 1000  # up to here a binomial term is computed with integer binomial coefficients
_CF_EPS = 1e-15
_CF_MAX_ITERATIONS = 100_000
_TINY = 1e-300


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0 or math.isnan(p):
        raise ValueError(f"a probability must lie in [0, 1], not {p!r}")


def _check_counts(k: int, n: int) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"counts must satisfy 0 <= k <= n, not k={k}, n={n}")


def binom_pmf(k: int, n: int, p: float) -> float:
    """P(X = k) for X ~ Binomial(n, p)."""
    _check_counts(k, n)
    _check_p(p)
    if p == 0.0:
        return 1.0 if k == 0 else 0.0
    if p == 1.0:
        return 1.0 if k == n else 0.0
    if n <= _EXACT_N:
        return math.comb(n, k) * p**k * (1.0 - p) ** (n - k)
    log = (
        math.lgamma(n + 1)
        - math.lgamma(k + 1)
        - math.lgamma(n - k + 1)
        + k * math.log(p)
        + (n - k) * math.log1p(-p)
    )
    return math.exp(log)


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): the p-value of k passes against "rate <= p"."""
    _check_p(p)
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if n <= _EXACT_N:
        return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(k, n + 1)))
    return betainc(k, n - k + 1, p) if 0.0 < p < 1.0 else float(p == 1.0)


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p): the p-value of k passes against "rate >= p"."""
    _check_p(p)
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= _EXACT_N:
        return min(1.0, math.fsum(binom_pmf(i, n, p) for i in range(0, k + 1)))
    return betainc(n - k, k + 1, 1.0 - p) if 0.0 < p < 1.0 else float(p == 0.0)


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _CF_MAX_ITERATIONS):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _CF_EPS:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1].

    For whole numbers, P(Binomial(n, p) >= k) = I_p(k, n - k + 1); for real a and b it
    interpolates smoothly, which is what a projection with a fractional count needs.
    """
    if not (a > 0 and b > 0):
        raise ValueError(f"betainc needs a, b > 0, not a={a}, b={b}")
    _check_p(x)
    if x == 0.0:
        return 0.0
    if x == 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return min(1.0, max(0.0, front * _beta_cf(a, b, x) / a))
    return min(1.0, max(0.0, 1.0 - front * _beta_cf(b, a, 1.0 - x) / b))


def beta_ppf(q: float, a: float, b: float) -> float:
    """The x in [0, 1] with I_x(a, b) = q (the Beta(a, b) quantile).

    Newton's method on the incomplete beta, kept inside a bracket that shrinks at every
    step (a step that would leave it bisects instead), so it always converges: in a few
    steps where Newton behaves, in at most a few hundred halvings where it does not.
    """
    _check_p(q)
    if not (a > 0 and b > 0):
        raise ValueError(f"beta_ppf needs a, b > 0, not a={a}, b={b}")
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return 1.0
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    low, high = 0.0, 1.0
    x = 0.5
    for _ in range(400):
        value = betainc(a, b, x) - q
        if value == 0.0:
            return x
        if value < 0:
            low = x
        else:
            high = x
        if high - low <= 4 * math.ulp(x):
            break
        log_pdf = log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x)
        pdf = math.exp(log_pdf) if log_pdf < 700 else math.inf
        step = x - value / pdf if pdf > 0 else math.nan
        x = step if low < step < high else (low + high) / 2
    return x


def hypergeom_support(total: int, good: int, draws: int) -> range:
    """The values a hypergeometric count can take: draws from total holding good."""
    if not 0 <= good <= total or not 0 <= draws <= total:
        raise ValueError(f"bad hypergeometric parameters total={total} good={good} draws={draws}")
    return range(max(0, draws - (total - good)), min(draws, good) + 1)


def hypergeom_pmf(x: int, total: int, good: int, draws: int) -> float:
    """P(X = x) when ``draws`` items are drawn without replacement from ``total`` items of
    which ``good`` are good: the law of one side's passes given a 2x2 table's margins."""
    support = hypergeom_support(total, good, draws)
    if x not in support:
        return 0.0
    if total <= 2 * _EXACT_N:
        return math.comb(good, x) * math.comb(total - good, draws - x) / math.comb(total, draws)
    log = _log_comb(good, x) + _log_comb(total - good, draws - x) - _log_comb(total, draws)
    return math.exp(log)


def hypergeom_pmfs(total: int, good: int, draws: int) -> list[float]:
    """The whole hypergeometric law over :func:`hypergeom_support`, in order."""
    return [hypergeom_pmf(x, total, good, draws) for x in hypergeom_support(total, good, draws)]


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def hypergeom_cdf(x: int, total: int, good: int, draws: int) -> float:
    """P(X <= x) for the hypergeometric law of :func:`hypergeom_pmf`."""
    support = hypergeom_support(total, good, draws)
    if x < support.start:
        return 0.0
    if x >= support.stop - 1:
        return 1.0
    mode = (draws + 1) * (good + 1) // (total + 2)
    if x <= mode:
        return min(1.0, _hypergeom_walk(x, total, good, draws, -1))
    return max(0.0, 1.0 - _hypergeom_walk(x + 1, total, good, draws, +1))


def hypergeom_sf(x: int, total: int, good: int, draws: int) -> float:
    """P(X >= x) for the hypergeometric law of :func:`hypergeom_pmf`."""
    support = hypergeom_support(total, good, draws)
    if x <= support.start:
        return 1.0
    if x > support.stop - 1:
        return 0.0
    mode = (draws + 1) * (good + 1) // (total + 2)
    if x > mode:
        return min(1.0, _hypergeom_walk(x, total, good, draws, +1))
    return max(0.0, 1.0 - _hypergeom_walk(x - 1, total, good, draws, -1))


def _hypergeom_walk(x: int, total: int, good: int, draws: int, direction: int) -> float:
    """The tail from x outwards (away from the mode), by the ratio of successive terms,
    stopping once the terms no longer count: O(the tail's width), not O(draws)."""
    support = hypergeom_support(total, good, draws)
    term = hypergeom_pmf(x, total, good, draws)
    first = term
    terms = [term]
    bad = total - good
    while term > 1e-17 * first:
        if direction < 0:
            if x - 1 < support.start:
                break
            # pmf(x - 1) / pmf(x) = x (bad - draws + x) / ((good - x + 1)(draws - x + 1))
            term *= x * (bad - draws + x) / ((good - x + 1) * (draws - x + 1))
            x -= 1
        else:
            if x + 1 > support.stop - 1:
                break
            # pmf(x + 1) / pmf(x) = (good - x)(draws - x) / ((x + 1)(bad - draws + x + 1))
            term *= (good - x) * (draws - x) / ((x + 1) * (bad - draws + x + 1))
            x += 1
        terms.append(term)
    return math.fsum(terms)
