"""Renderings of a diff: a terminal table, markdown for a PR comment, one self-contained HTML
file with charts, and JSON. Every renderer reads the same :class:`DiffReport`."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from .diff import CaseDiff, DiffReport, SuiteDiff


def _pct(x: float) -> str:
    return f"{x:.0%}"


def _money(x: float | None) -> str:
    return "n/a" if x is None else f"${x:.4f}"


def _signed(x: float | None, fmt: str = "{:+.0f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _verdict(p: float) -> str:
    return "significant (p < 0.05)" if p < 0.05 else "not significant"


def _mark(passed: bool | None, samples: tuple[int, int] | None = None) -> str:
    """pass/FAIL, with k/n passing samples when the case was sampled more than once."""
    if passed is None:
        return "-"
    word = "pass" if passed else "FAIL"
    return f"{word} {samples[0]}/{samples[1]}" if samples and samples[1] > 1 else word


def _drops(s: SuiteDiff) -> str:
    if not s.sample_drops:
        return ""
    return (
        f"; {len(s.sample_drops)} case(s) with fewer passing samples: {', '.join(s.sample_drops)}"
    )


def _usage(case: CaseDiff) -> str:
    """Token deltas (sums over samples), with turns and time to first token when they moved."""
    text = f"{case.d_input_tokens:+d}/{case.d_output_tokens:+d}"
    if case.d_turns:
        text += f", turns {case.d_turns:+d}"
    if case.d_ttft_ms is not None:
        text += f", ttft {case.d_ttft_ms:+.0f} ms"
    return text


def _changed(case: CaseDiff, limit: int = 3) -> str:
    tools = "; ".join(f"tool {c}" for c in case.tool_changes[:limit])
    fields = _fields(case, limit)
    return "; ".join(x for x in (tools, fields) if x)


def _fields(case: CaseDiff, limit: int = 3) -> str:
    if case.changes:
        shown = ", ".join(
            f"{c.path}: {json.dumps(c.a)} → {json.dumps(c.b)}" for c in case.changes[:limit]
        )
        return shown + (
            f" (+{len(case.changes) - limit} more)" if len(case.changes) > limit else ""
        )
    return "text changed" if case.text_diff else ""


def _headline(report: DiffReport) -> str:
    regressions = report.regressions
    if regressions:
        names = ", ".join(f"{c.suite}::{c.case}" for c in regressions)
        return f"{len(regressions)} regression(s) under {report.b}: {names}"
    return f"no regressions under {report.b}"


def _bootstrap(s: SuiteDiff) -> str:
    if s.bootstrap is None:
        return ""
    mean, low, high, p = s.bootstrap
    return f"per-case pass fraction (repeat {s.repeat}): mean change {mean:+.3f} [{low:+.3f}, {high:+.3f}], paired bootstrap p = {p:.3f}"


# -- terminal ---------------------------------------------------------------------


def print_terminal(report: DiffReport, console: Console) -> None:
    console.print(f"evalkit diff: {report.a} → {report.b}", markup=False)
    table = Table(show_edge=False, pad_edge=False)
    for column in (
        "suite",
        f"{report.a} pass",
        f"{report.b} pass",
        "regr.",
        "fixes",
        "McNemar p",
        f"$/1k {report.a}",
        f"$/1k {report.b}",
        f"p50/p95 ms/request {report.a}",
        f"p50/p95 ms/request {report.b}",
    ):
        table.add_column(column, justify="left" if column == "suite" else "right")
    for s in report.suites:
        table.add_row(
            s.suite,
            f"{s.a.passed}/{s.a.total} {_pct(s.a.rate)} [{_pct(s.a.low)}-{_pct(s.a.high)}]",
            f"{s.b.passed}/{s.b.total} {_pct(s.b.rate)} [{_pct(s.b.low)}-{_pct(s.b.high)}]",
            str(len(s.regressions)),
            str(len(s.fixes)),
            f"{s.mcnemar_p:.3g}",
            _money(s.a.cost_per_1000),
            _money(s.b.cost_per_1000),
            f"{s.a.p50_ms:.0f}/{s.a.p95_ms:.0f}",
            f"{s.b.p50_ms:.0f}/{s.b.p95_ms:.0f}",
        )
    console.print(table, crop=False, soft_wrap=False)
    changed = [
        c
        for c in report.cases
        if c.status in ("regression", "fix", "only-a", "only-b")
        or c.changes
        or c.text_diff
        or c.samples_dropped
        or c.tool_changes
    ]
    if changed:
        cases = Table(show_edge=False, pad_edge=False)
        for column in (
            "case",
            "status",
            report.a,
            report.b,
            "changed (tools, fields)",
            "Δ tokens in/out (sum)",
            "Δ cost",
            "Δ ms (mean/sample)",
        ):
            cases.add_column(column)
        for c in changed:
            cases.add_row(
                f"{c.suite}::{c.case}",
                c.status.upper() if c.status == "regression" else c.status,
                _mark(c.a_passed, c.a_samples),
                _mark(c.b_passed, c.b_samples),
                _changed(c),
                _usage(c),
                _signed(c.d_cost_usd, "{:+.6f}"),
                f"{c.d_latency_ms:+.0f}",
            )
        console.print(cases, crop=False, soft_wrap=False)
    for s in report.suites:
        console.print(
            f"{s.suite}: {report.a} {_pct(s.a.rate)} → {report.b} {_pct(s.b.rate)}; "
            f"{len(s.regressions)} regression(s), {len(s.fixes)} fix(es); exact McNemar p = {s.mcnemar_p:.3g} ({_verdict(s.mcnemar_p)}){_drops(s)}",
            markup=False,
        )
        if s.bootstrap:
            console.print(_bootstrap(s), markup=False)
    console.print(_headline(report), markup=False)


# -- markdown ---------------------------------------------------------------------


def to_markdown(report: DiffReport) -> str:
    icon = "❌" if report.regressions else "✅"
    out = [
        f"## evalkit diff: `{report.a}` → `{report.b}`",
        "",
        f"{icon} **{_headline(report)}**",
        "",
    ]
    out += [
        f"| suite | {report.a} pass rate | {report.b} pass rate | regressions | fixes | McNemar p | $/1k cases {report.a} → {report.b} | p50 / p95 ms per request {report.a} → {report.b} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in report.suites:
        out.append(
            f"| {s.suite} | {s.a.passed}/{s.a.total} ({_pct(s.a.rate)}, 95% CI {_pct(s.a.low)}–{_pct(s.a.high)}) "
            f"| {s.b.passed}/{s.b.total} ({_pct(s.b.rate)}, 95% CI {_pct(s.b.low)}–{_pct(s.b.high)}) "
            f"| {len(s.regressions)} | {len(s.fixes)} | {s.mcnemar_p:.3g} ({_verdict(s.mcnemar_p)}) "
            f"| {_money(s.a.cost_per_1000)} → {_money(s.b.cost_per_1000)} "
            f"| {s.a.p50_ms:.0f} / {s.a.p95_ms:.0f} → {s.b.p50_ms:.0f} / {s.b.p95_ms:.0f} |"
        )
    for s in report.suites:
        if s.bootstrap:
            out += ["", f"{s.suite}: {_bootstrap(s)}"]
        if s.sample_drops:
            out += ["", f"{s.suite}{_drops(s)}"]
    if report.regressions:
        out += ["", "### Regressions", ""]
        out += [
            f"- `{c.suite}::{c.case}`: {_changed(c) or 'output unchanged'}"
            for c in report.regressions
        ]
    fixes = [c for c in report.cases if c.status == "fix"]
    if fixes:
        out += ["", "### Fixes", ""]
        out += [f"- `{c.suite}::{c.case}`: {_changed(c) or 'output unchanged'}" for c in fixes]
    out += [
        "",
        "<details><summary>Every case</summary>",
        "",
        f"| case | status | {report.a} | {report.b} | changed | Δ tokens in/out (sum over samples) | Δ cost | Δ ms (mean per sample) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in report.cases:
        changed = _changed(c).replace("|", "\\|")
        out.append(
            f"| `{c.suite}::{c.case}` | {c.status} | {_mark(c.a_passed, c.a_samples)} | {_mark(c.b_passed, c.b_samples)} | {changed} "
            f"| {_usage(c)} | {_signed(c.d_cost_usd, '{:+.6f}')} | {c.d_latency_ms:+.0f} |"
        )
    out += [
        "",
        "</details>",
        "",
        "Pass-rate intervals are Wilson 95%; the p-value is an exact McNemar test on the cases whose verdict changed.",
    ]
    return "\n".join(out) + "\n"


# -- json ---------------------------------------------------------------------------


def to_json(report: DiffReport) -> str:
    data: dict[str, Any] = report.model_dump(mode="json")
    data["headline"] = _headline(report)
    return json.dumps(data, indent=2) + "\n"
