"""What a comparison of two runs says, as typed models: per case (status, changed fields and
tools, token, cost and latency deltas, the noise test), per suite (both sides' pass rates with
Wilson intervals, McNemar, the stratified noise test), and the report's verdict under
``--fail-on``. Renderers (terminal, markdown, JSON, the viewer) read only these."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class FieldChange(BaseModel):
    path: str
    a: Any = None
    b: Any = None


class CaseDiff(BaseModel):
    suite: str
    case: str
    status: str  # regression, fix, flip, pass, fail, not-comparable, only-a, only-b
    noise_p: float | None = None  # with repeats: the one-sided Fisher p of the change
    settle: int | None = None  # a flip within noise: more samples per side that would settle it
    a_passed: bool | None
    b_passed: bool | None
    reason: str | None = None  # why a pair is not comparable
    a_samples: tuple[int, int] | None = None  # (passing samples, samples)
    b_samples: tuple[int, int] | None = None
    changes: list[FieldChange] = []
    text_diff: str | None = None
    d_input_tokens: int = 0  # sums over samples
    d_output_tokens: int = 0
    d_cost_usd: float | None = None
    d_latency_ms: float = 0.0  # change of the mean latency per sample
    tool_changes: list[str] = []  # tool calls added, dropped, or called with other arguments
    d_turns: int = 0  # change of the first sample's model turns
    d_ttft_ms: float | None = None  # change of the first sample's time to first token

    @property
    def samples_dropped(self) -> bool:
        """Fewer passing samples under B than under A (a drop the verdicts may hide)."""
        if self.a_samples is None or self.b_samples is None:
            return False
        (ka, na), (kb, nb) = self.a_samples, self.b_samples
        return max(na, nb) > 1 and bool(na and nb) and kb / nb < ka / na


class Side(BaseModel):
    label: str
    passed: int
    total: int
    low: float
    high: float
    cost_per_1000: float | None
    p50_ms: float  # over requests
    p95_ms: float

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


class NotComparable(BaseModel):
    """A pair with no comparable verdicts, and why; ``blocking``: the head side did not pass,
    so a regression cannot be ruled out."""

    case: str
    reason: str
    blocking: bool


class SuiteNoise(BaseModel):
    """The suite's paired change beyond noise (stratified exact test over its repeated
    cases, evalkit/stats/paired.py): ``regression`` | ``fix`` | ``within noise``."""

    decision: str
    p_regression: float
    p_fix: float
    method: str
    cases: int
    settle: int | None = None  # more samples per case that would settle a change within noise


class SuiteDiff(BaseModel):
    suite: str
    paired: int
    a: Side
    b: Side
    regressions: list[str]
    fixes: list[str]
    not_comparable: list[NotComparable] = []
    sample_drops: list[str] = []  # cases whose share of passing samples fell
    mcnemar_p: float
    repeat: int = 1
    bootstrap: tuple[float, float, float, float] | None = None  # mean Δ, low, high, p
    flips: list[str] = []  # verdicts that changed within noise (repeated cases)
    noise: SuiteNoise | None = None  # with repeats: the paired change of the whole suite


class DiffReport(BaseModel):
    a: str
    b: str
    suites: list[SuiteDiff]
    cases: list[CaseDiff]  # every case, or those a big diff lists (see `omitted`)
    # cases by status, and "changed": same verdict but another first output or fewer
    # passing samples
    counts: dict[str, int] = {}
    omitted: int = 0  # cases compared but not listed in `cases` (counted in `counts`)
    # each side's judge calibrations as its checks said them: "B: triage: refund: judge ..."
    judges: list[str] = []

    @property
    def complete(self) -> bool:
        """Every case compared is listed in :attr:`cases`."""
        return self.omitted == 0

    @property
    def regressions(self) -> list[CaseDiff]:
        """The regressions listed (:attr:`regression_count` counts them all)."""
        return [c for c in self.cases if c.status == "regression"]

    @property
    def regression_count(self) -> int:
        return sum(len(s.regressions) for s in self.suites)

    @property
    def not_comparable(self) -> list[tuple[str, NotComparable]]:
        """Every pair that could not be compared, with its suite."""
        return [(s.suite, n) for s in self.suites for n in s.not_comparable]

    @property
    def blocking(self) -> int:
        """Pairs not comparable whose head side did not pass: a regression cannot be ruled
        out there, so a gate on this diff cannot pass."""
        return sum(n.blocking for _, n in self.not_comparable)

    @property
    def suite_regressions(self) -> list[str]:
        """Suites whose repeated cases regressed beyond noise taken together (paired)."""
        return [
            s.suite for s in self.suites if s.noise is not None and s.noise.decision == "regression"
        ]

    @property
    def flip_count(self) -> int:
        return sum(len(s.flips) for s in self.suites)

    @property
    def pass_rate_dropped(self) -> bool:
        return any(s.b.rate < s.a.rate for s in self.suites)

    def failed(self, fail_on: str) -> bool:
        if fail_on == "none":
            return False
        if self.blocking:
            return True  # a gate that could not compare is not a pass
        if fail_on == "regressions":
            return self.regression_count > 0 or bool(self.suite_regressions)
        if fail_on == "pass-rate":
            return self.pass_rate_dropped
        return False

    def headline(self) -> str:
        """One line: the regressions, and what could not be compared."""
        count = self.regression_count
        if count:
            names = [f"{s.suite}::{case}" for s in self.suites for case in s.regressions]
            text = f"{count} regression(s) under {self.b}: {names_text(names)}"
        else:
            text = f"no regressions under {self.b}"
        if self.suite_regressions:
            text += (
                f"; beyond noise over their cases: {names_text(self.suite_regressions)} regressed"
            )
        if self.flip_count:
            text += f"; {self.flip_count} verdict(s) flipped within noise"
        pairs = self.not_comparable
        if pairs:
            text += ("" if count else " among the cases compared") + (
                f"; {len(pairs)} not comparable: "
                + names_text([f"{suite}::{n.case} ({n.reason})" for suite, n in pairs])
            )
        return text


def names_text(names: list[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit:,} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
