"""Paired comparison of two runs of the same cases: per case what changed, per suite whether
it matters (Wilson intervals, an exact McNemar test, a paired bootstrap for repeats), and
what it does to cost and latency. pandas does the tables; the statistics are in stats.py."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd
from pydantic import BaseModel

from .results import CaseResult
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
    a_fraction: float | None = None  # share of passing samples
    b_fraction: float | None = None
    changes: list[FieldChange] = []
    text_diff: str | None = None
    d_input_tokens: int = 0
    d_output_tokens: int = 0
    d_cost_usd: float | None = None
    d_latency_ms: float = 0.0


class Side(BaseModel):
    label: str
    passed: int
    total: int
    low: float
    high: float
    cost_per_1000: float | None
    p50_ms: float
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
    except ValueError:
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


def _fraction(result: CaseResult | None) -> float | None:
    if result is None or not result.samples:
        return None
    return result.samples_passed / len(result.samples)


def _case(a: CaseResult | None, b: CaseResult | None) -> CaseDiff:
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
    out_a = a.samples[0].output if a and a.samples else None
    out_b = b.samples[0].output if b and b.samples else None
    changes, text = output_changes(out_a, out_b)
    cost = None
    if a and b and a.cost_usd is not None and b.cost_usd is not None:
        cost = b.cost_usd - a.cost_usd
    return CaseDiff(
        suite=ref.suite,
        case=ref.case,
        status=status,
        a_passed=a.passed if a else None,
        b_passed=b.passed if b else None,
        a_fraction=_fraction(a),
        b_fraction=_fraction(b),
        changes=changes,
        text_diff=text,
        d_input_tokens=(b.input_tokens - a.input_tokens) if a and b else 0,
        d_output_tokens=(b.output_tokens - a.output_tokens) if a and b else 0,
        d_cost_usd=cost,
        d_latency_ms=(b.latency_ms - a.latency_ms) if a and b else 0.0,
    )


def _frame(results: Iterable[CaseResult]) -> pd.DataFrame:
    rows = [
        {
            "suite": r.suite,
            "case": r.case,
            "passed": r.passed,
            "fraction": _fraction(r),
            "samples": len(r.samples),
            "cost": r.cost_usd,
            "latency": r.latency_ms,
        }
        for r in results
    ]
    return pd.DataFrame(
        rows, columns=["suite", "case", "passed", "fraction", "samples", "cost", "latency"]
    )


def _side(label: str, frame: pd.DataFrame) -> Side:
    passed, total = int(frame["passed"].sum()), len(frame)
    low, high = wilson(passed, total)
    cost = (
        None
        if frame["cost"].isna().any() or total == 0
        else float(frame["cost"].sum() / total * 1000)
    )
    latency = frame["latency"].astype(float)
    return Side(
        label=label,
        passed=passed,
        total=total,
        low=low,
        high=high,
        cost_per_1000=cost,
        p50_ms=float(latency.quantile(0.5)) if total else 0.0,
        p95_ms=float(latency.quantile(0.95)) if total else 0.0,
    )


def compare(
    a: Iterable[CaseResult], b: Iterable[CaseResult], label_a: str = "A", label_b: str = "B"
) -> DiffReport:
    """Pair two runs' results by suite and case (variants aside) and compare them."""
    by_a = {(r.suite, r.case): r for r in a}
    by_b = {(r.suite, r.case): r for r in b}
    keys = sorted(set(by_a) | set(by_b))
    cases = [_case(by_a.get(k), by_b.get(k)) for k in keys]
    fa, fb = _frame(by_a.values()), _frame(by_b.values())
    suites = []
    for suite in sorted({k[0] for k in keys}):
        paired = [k for k in keys if k[0] == suite and k in by_a and k in by_b]
        pa = fa[(fa["suite"] == suite) & fa["case"].isin([c for _, c in paired])]
        pb = fb[(fb["suite"] == suite) & fb["case"].isin([c for _, c in paired])]
        mine = [c for c in cases if c.suite == suite]
        regressions = [c.case for c in mine if c.status == "regression"]
        fixes = [c.case for c in mine if c.status == "fix"]
        repeat = int(
            max(pa["samples"].max() if len(pa) else 1, pb["samples"].max() if len(pb) else 1)
        )
        bootstrap = None
        if repeat > 1:
            xa = [by_a[k] for k in paired]
            xb = [by_b[k] for k in paired]
            bootstrap = paired_bootstrap(
                [_fraction(r) or 0.0 for r in xa], [_fraction(r) or 0.0 for r in xb]
            )
        suites.append(
            SuiteDiff(
                suite=suite,
                paired=len(paired),
                a=_side(label_a, pa),
                b=_side(label_b, pb),
                regressions=regressions,
                fixes=fixes,
                mcnemar_p=mcnemar_exact(len(regressions), len(fixes)),
                repeat=repeat,
                bootstrap=bootstrap,
            )
        )
    order = {"regression": 0, "fix": 1, "only-a": 2, "only-b": 3, "fail": 4, "pass": 5}
    cases.sort(key=lambda c: (order[c.status], c.suite, c.case))
    return DiffReport(a=label_a, b=label_b, suites=suites, cases=cases)
