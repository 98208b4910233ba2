"""How well a judge agrees with human labels: the numbers a calibration record holds.

Both raters say pass or fail on the same items; "positive" is the human's ``pass``.

- **agreement**: the share of items where judge and human say the same, with Wilson's score
  interval (it covers about what it says, and stays inside [0, 1] at 0 and n).
- **Cohen's kappa**: agreement corrected for what two raters with these pass rates would
  reach by chance, ``(po - pe) / (1 - pe)``. Its interval is ``kappa ± z·SE`` with the
  large-sample standard error of Fleiss, Cohen and Everitt (1969), clipped to [-1, 1]; no
  bootstrap, so a record is the same on every machine and computing it costs nothing. The
  normal approximation is poor for small n or a kappa near ±1 (an all-agreeing sample gives
  a zero-width interval): read kappa's interval with n, and the agreement interval first.
  When both raters give one label to everything, kappa is undefined (``None``).
- **TPR** (of the outputs humans passed, the share the judge passed) and **TNR** (of those
  humans failed, the share the judge failed), each with a Wilson interval: a judge that
  passes everything has a TPR of 1 and a TNR of 0, which agreement alone can hide.

Pure standard library, like the rest of :mod:`evalkit.stats`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from .intervals import Interval, wilson_interval, z_of


@dataclass(frozen=True)
class Confusion:
    """Counts of (human label, judge verdict): ``tp`` both pass, ``fn`` human pass and
    judge fail, ``fp`` human fail and judge pass, ``tn`` both fail."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def __post_init__(self) -> None:
        if min(self.tp, self.fn, self.fp, self.tn) < 0:
            raise ValueError("confusion counts cannot be negative")

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Confusion:
        """From ``(human_passed, judge_passed)`` pairs."""
        tp = fn = fp = tn = 0
        for human, judge in pairs:
            if human:
                tp, fn = tp + judge, fn + (not judge)
            else:
                fp, tn = fp + judge, tn + (not judge)
        return cls(tp, fn, fp, tn)

    @property
    def n(self) -> int:
        return self.tp + self.fn + self.fp + self.tn

    @property
    def agreed(self) -> int:
        return self.tp + self.tn


@dataclass(frozen=True)
class Kappa:
    """Cohen's kappa with its standard error and interval (``value`` None: undefined)."""

    value: float | None
    se: float | None
    interval: tuple[float, float] | None
    chance: float  # pe: the agreement expected by chance from the two raters' pass rates


@dataclass(frozen=True)
class Agreement:
    """Everything :func:`agreement` computes from one confusion table."""

    confusion: Confusion
    agreement: float | None
    agreement_interval: Interval
    kappa: Kappa
    tpr: float | None
    tpr_interval: Interval
    tnr: float | None
    tnr_interval: Interval
    confidence: float

    @property
    def n(self) -> int:
        return self.confusion.n


def _rate(k: int, n: int) -> float | None:
    return k / n if n else None


def cohens_kappa(c: Confusion, confidence: float = 0.95) -> Kappa:
    """Kappa, its Fleiss–Cohen–Everitt standard error and a normal interval at
    ``confidence``. Undefined (value None) with no items or when chance agreement is 1."""
    n = c.n
    if n == 0:
        return Kappa(None, None, None, 1.0)
    p = [[c.tp / n, c.fn / n], [c.fp / n, c.tn / n]]  # rows: human pass/fail; cols: judge
    rows = [p[0][0] + p[0][1], p[1][0] + p[1][1]]
    cols = [p[0][0] + p[1][0], p[0][1] + p[1][1]]
    po = p[0][0] + p[1][1]
    pe = rows[0] * cols[0] + rows[1] * cols[1]
    if pe >= 1.0 - 1e-12:
        return Kappa(None, None, None, pe)
    kappa = (po - pe) / (1 - pe)
    a = sum(p[i][i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(2))
    b = (1 - kappa) ** 2 * sum(
        p[i][j] * (cols[i] + rows[j]) ** 2 for i in range(2) for j in range(2) if i != j
    )
    cc = (kappa - pe * (1 - kappa)) ** 2
    variance = max(0.0, (a + b - cc) / (n * (1 - pe) ** 2))
    se = math.sqrt(variance)
    z = z_of(confidence)
    low, high = max(-1.0, kappa - z * se), min(1.0, kappa + z * se)
    return Kappa(kappa, se, (low, high), pe)


def agreement(c: Confusion, confidence: float = 0.95) -> Agreement:
    """Agreement, kappa, TPR and TNR of one confusion table, with intervals at
    ``confidence`` (two-sided)."""
    positives, negatives = c.tp + c.fn, c.fp + c.tn
    return Agreement(
        confusion=c,
        agreement=_rate(c.agreed, c.n),
        agreement_interval=wilson_interval(c.agreed, c.n, confidence),
        kappa=cohens_kappa(c, confidence),
        tpr=_rate(c.tp, positives),
        tpr_interval=wilson_interval(c.tp, positives, confidence),
        tnr=_rate(c.tn, negatives),
        tnr_interval=wilson_interval(c.tn, negatives, confidence),
        confidence=confidence,
    )


__all__ = ["Agreement", "Confusion", "Kappa", "agreement", "cohens_kappa"]
