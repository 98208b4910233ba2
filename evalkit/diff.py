"""Paired comparison of two runs of the same cases: per case what changed, per suite whether
it matters (Wilson intervals, an exact McNemar test, a paired bootstrap for repeats), and
what it does to cost and latency. The statistics are in stats.py; the figures (sums of
tokens and cost over samples, mean latency per case, p50/p95 over requests) are the
results layer's, so a diff and a run's own report agree."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from .results import CaseResult, Figures, SuiteFigures
from .stats import mcnemar_exact, paired_bootstrap, wilson


class FieldChange(BaseModel):
    path: str
    a: Any = None
    b: Any = None


class CaseDiff(BaseModel):
    suite: str
    case: str
    status: str  # regression, fix, pass, fail, only-a, only-b
    a_passed: bool | None
    b_passed: bool | None
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


class SuiteDiff(BaseModel):
    suite: str
    paired: int
    a: Side
    b: Side
    regressions: list[str]
    fixes: list[str]
    sample_drops: list[str] = []  # cases whose share of passing samples fell
    mcnemar_p: float
    repeat: int = 1
    bootstrap: tuple[float, float, float, float] | None = None  # mean Δ, low, high, p


class DiffReport(BaseModel):
    a: str
    b: str
    suites: list[SuiteDiff]
    cases: list[CaseDiff]

    @property
    def regressions(self) -> list[CaseDiff]:
        return [c for c in self.cases if c.status == "regression"]

    @property
    def pass_rate_dropped(self) -> bool:
        return any(s.b.rate < s.a.rate for s in self.suites)

    def failed(self, fail_on: str) -> bool:
        if fail_on == "regressions":
            return bool(self.regressions)
        if fail_on == "pass-rate":
            return self.pass_rate_dropped
        return False


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out or {prefix: []}
    return {prefix: value}


def _parsed(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def output_changes(a: str | None, b: str | None) -> tuple[list[FieldChange], str | None]:
    """A field-level diff when both outputs are JSON objects or arrays, else a text diff."""
    if a == b:
        return [], None
    pa, pb = _parsed(a), _parsed(b)
    if isinstance(pa, (dict, list)) and isinstance(pb, (dict, list)):
        fa, fb = _flatten(pa), _flatten(pb)
        return [
            FieldChange(path=k, a=fa.get(k), b=fb.get(k))
            for k in sorted(set(fa) | set(fb))
            if fa.get(k) != fb.get(k)
        ], None
    lines = difflib.unified_diff(
        (a or "").splitlines(), (b or "").splitlines(), "A", "B", lineterm="", n=1
    )
    return [], "\n".join(lines)


def tool_changes(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[str]:
    """Calls only under A (dropped), only under B (added), or with other arguments, paired
    by tool name in call order."""
    changes: list[str] = []
    names = sorted({c.get("name", "") for c in (*a, *b)})
    for name in names:
        calls_a = [c.get("arguments") for c in a if c.get("name") == name]
        calls_b = [c.get("arguments") for c in b if c.get("name") == name]
        for args_a, args_b in zip(calls_a, calls_b, strict=False):
            if args_a != args_b:
                changes.append(f"{name} arguments {json.dumps(args_a)} → {json.dumps(args_b)}")
        if len(calls_a) > len(calls_b):
            changes.append(
                f"{name} dropped"
                + (f" ({len(calls_a) - len(calls_b)}×)" if len(calls_a) - len(calls_b) > 1 else "")
            )
        if len(calls_b) > len(calls_a):
            changes.append(
                f"{name} added"
                + (f" ({len(calls_b) - len(calls_a)}×)" if len(calls_b) - len(calls_a) > 1 else "")
            )
    return changes


def _first(result: CaseResult | None) -> Any:
    return result.samples[0] if result is not None and result.samples else None


def _samples(result: CaseResult | None) -> tuple[int, int] | None:
    if result is None or not result.samples:
        return None
    return result.samples_passed, len(result.samples)


def _fraction(result: CaseResult) -> float:
    return result.samples_passed / len(result.samples) if result.samples else 0.0


def compare_case(a: CaseResult | None, b: CaseResult | None) -> CaseDiff:
    ref = a or b
    assert ref is not None
    if a is None or b is None:
        status = "only-b" if a is None else "only-a"
    elif a.passed and not b.passed:
        status = "regression"
    elif b.passed and not a.passed:
        status = "fix"
    else:
        status = "pass" if a.passed else "fail"
    first_a, first_b = _first(a), _first(b)
    out_a = first_a.output if first_a else None
    out_b = first_b.output if first_b else None
    changes, text = output_changes(out_a, out_b)
    calls = tool_changes(
        first_a.tool_calls if first_a else [], first_b.tool_calls if first_b else []
    )
    ttft = None
    if first_a and first_b and first_a.ttft_ms is not None and first_b.ttft_ms is not None:
        ttft = first_b.ttft_ms - first_a.ttft_ms
    cost = None
    if a and b and a.cost_usd is not None and b.cost_usd is not None:
        cost = b.cost_usd - a.cost_usd
    return CaseDiff(
        suite=ref.suite,
        case=ref.case,
        status=status,
        a_passed=a.passed if a else None,
        b_passed=b.passed if b else None,
        a_samples=_samples(a),
        b_samples=_samples(b),
        changes=changes,
        text_diff=text,
        d_input_tokens=(b.input_tokens - a.input_tokens) if a and b else 0,
        d_output_tokens=(b.output_tokens - a.output_tokens) if a and b else 0,
        d_cost_usd=cost,
        d_latency_ms=(b.latency_ms - a.latency_ms) if a and b else 0.0,
        tool_changes=calls,
        d_turns=(len(first_b.turns or [None]) - len(first_a.turns or [None]))
        if first_a and first_b
        else 0,
        d_ttft_ms=ttft,
    )


def _side(label: str, results: list[CaseResult]) -> Side:
    figures = SuiteFigures()
    for result in results:
        figures.add(result)
    passed, total = sum(r.passed for r in results), len(results)
    low, high = wilson(passed, total)
    return Side(
        label=label,
        passed=passed,
        total=total,
        low=low,
        high=high,
        cost_per_1000=figures.cost_per_1000,
        p50_ms=figures.p50_ms,
        p95_ms=figures.p95_ms,
    )


def compare(
    a: Iterable[CaseResult], b: Iterable[CaseResult], label_a: str = "A", label_b: str = "B"
) -> DiffReport:
    """Pair two runs' results by suite and case (variants aside) and compare them."""
    by_a = {(r.suite, r.case): r for r in a}
    by_b = {(r.suite, r.case): r for r in b}
    keys = sorted(set(by_a) | set(by_b))
    cases = [compare_case(by_a.get(k), by_b.get(k)) for k in keys]
    suites = []
    for suite in sorted({k[0] for k in keys}):
        paired = [k for k in keys if k[0] == suite and k in by_a and k in by_b]
        xa, xb = [by_a[k] for k in paired], [by_b[k] for k in paired]
        mine = [c for c in cases if c.suite == suite]
        regressions = [c.case for c in mine if c.status == "regression"]
        fixes = [c.case for c in mine if c.status == "fix"]
        repeat = max((len(r.samples) for r in (*xa, *xb)), default=1)
        bootstrap = None
        if repeat > 1:
            bootstrap = paired_bootstrap([_fraction(r) for r in xa], [_fraction(r) for r in xb])
        suites.append(
            SuiteDiff(
                suite=suite,
                paired=len(paired),
                a=_side(label_a, xa),
                b=_side(label_b, xb),
                regressions=regressions,
                fixes=fixes,
                sample_drops=[c.case for c in mine if c.samples_dropped],
                mcnemar_p=mcnemar_exact(len(regressions), len(fixes)),
                repeat=repeat,
                bootstrap=bootstrap,
            )
        )
    order = {"regression": 0, "fix": 1, "only-a": 2, "only-b": 3, "fail": 4, "pass": 5}
    cases.sort(key=lambda c: (order[c.status], c.suite, c.case))
    return DiffReport(a=label_a, b=label_b, suites=suites, cases=cases)


__all__ = ["CaseDiff", "DiffReport", "Figures", "compare", "compare_case", "output_changes"]
