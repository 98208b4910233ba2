"""Renderings of a diff: a terminal table, markdown for a PR comment, one self-contained HTML
file with charts, and JSON. Every renderer reads the same :class:`DiffReport`."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
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


def _changed(case: CaseDiff, limit: int = 3) -> str:
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
    ]
    if changed:
        cases = Table(show_edge=False, pad_edge=False)
        for column in (
            "case",
            "status",
            report.a,
            report.b,
            "changed fields",
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
                f"{c.d_input_tokens:+d}/{c.d_output_tokens:+d}",
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
            f"| {c.d_input_tokens:+d} / {c.d_output_tokens:+d} | {_signed(c.d_cost_usd, '{:+.6f}')} | {c.d_latency_ms:+.0f} |"
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


# -- html ---------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:right}
td:first-child,th:first-child,td.changed{text-align:left}.regression{background:#ffebe9}.fix{background:#dafbe1}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}figure{display:inline-block;margin:0 1.5rem 1rem 0}
figcaption{font-size:.85rem;color:#57606a}
"""


def _bars(
    title: str,
    rows: Sequence[tuple[str, float, float | None, float | None]],
    unit: str,
    maximum: float,
) -> str:
    """A horizontal bar chart in SVG; optional (low, high) whiskers."""
    height = 26 * len(rows) + 10
    parts = [
        f'<figure><svg role="img" aria-label="{html.escape(title)}" width="560" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    scale = 300 / maximum if maximum > 0 else 0
    for i, (label, value, low, high) in enumerate(rows):
        y = 8 + i * 26
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{html.escape(label)}</text>')
        parts.append(
            f'<rect class="bar" x="120" y="{y}" width="{max(value * scale, 1):.1f}" height="16" fill="#54aeff"/>'
        )
        if low is not None and high is not None:
            parts.append(
                f'<line x1="{120 + low * scale:.1f}" x2="{120 + high * scale:.1f}" y1="{y + 8}" y2="{y + 8}" stroke="#0a3069" stroke-width="2"/>'
            )
        parts.append(
            f'<text x="{125 + max(value, high or 0) * scale:.1f}" y="{y + 13}" font-size="12">{_number(value)}{unit}</text>'
        )
    parts.append(f"</svg><figcaption>{html.escape(title)}</figcaption></figure>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def to_html(report: DiffReport) -> str:
    e = html.escape
    body = [f"<h1>evalkit diff: {e(report.a)} → {e(report.b)}</h1>"]
    cls = "bad" if report.regressions else "good"
    body.append(f'<p class="{cls}" id="headline">{e(_headline(report))}</p>')
    for s in report.suites:
        body.append(
            f"<h2>{e(s.suite)}</h2><p>exact McNemar p = {s.mcnemar_p:.3g} ({_verdict(s.mcnemar_p)}); {len(s.regressions)} regression(s), {len(s.fixes)} fix(es). {e(_bootstrap(s))}</p>"
        )
        body.append(
            _bars(
                "pass rate with Wilson 95% interval",
                [
                    (s.a.label, s.a.rate, s.a.low, s.a.high),
                    (s.b.label, s.b.rate, s.b.low, s.b.high),
                ],
                "",
                1.0,
            )
        )
        top = max(s.a.p95_ms, s.b.p95_ms, 1.0)
        body.append(
            _bars(
                "latency p50 and p95 per request (ms)",
                [
                    (f"{s.a.label} p50", s.a.p50_ms, None, None),
                    (f"{s.a.label} p95", s.a.p95_ms, None, None),
                    (f"{s.b.label} p50", s.b.p50_ms, None, None),
                    (f"{s.b.label} p95", s.b.p95_ms, None, None),
                ],
                " ms",
                top,
            )
        )
        if s.a.cost_per_1000 is not None and s.b.cost_per_1000 is not None:
            costs = [(side.label, side.cost_per_1000 or 0.0, None, None) for side in (s.a, s.b)]
            body.append(
                _bars("cost per 1,000 cases (USD)", costs, " $", max(c[1] for c in costs) or 1.0)
            )
        else:
            body.append("<p>cost per 1,000 cases: n/a (a model with no known price)</p>")
    body.append(
        f"<h2>Cases</h2><table><tr><th>case</th><th>status</th><th>{e(report.a)}</th><th>{e(report.b)}</th><th>changed</th><th>Δ tokens in/out</th><th>Δ cost</th><th>Δ ms</th></tr>"
    )
    for c in report.cases:
        body.append(
            f'<tr class="{e(c.status)}"><td>{e(c.suite)}::{e(c.case)}</td><td>{e(c.status)}</td><td>{_mark(c.a_passed, c.a_samples)}</td><td>{_mark(c.b_passed, c.b_samples)}</td>'
            f"<td class='changed'>{e(_changed(c))}</td><td>{c.d_input_tokens:+d} / {c.d_output_tokens:+d}</td><td>{_signed(c.d_cost_usd, '{:+.6f}')}</td><td>{c.d_latency_ms:+.0f}</td></tr>"
        )
    body.append(
        "</table><p>Pass-rate intervals are Wilson 95%; the p-value is an exact McNemar test on the cases whose verdict changed.</p>"
    )
    return f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>evalkit diff {e(report.a)} → {e(report.b)}</title><style>{_CSS}</style></head><body>{"".join(body)}</body></html>\n'
