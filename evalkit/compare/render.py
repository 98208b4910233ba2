"""Renderings of a diff: a terminal table, markdown for a PR comment, one self-contained HTML
file with charts, and JSON. Every renderer reads the same :class:`DiffReport`.

A PR comment must stay readable (and under GitHub's 65,536 characters) at 100,000 cases:
the markdown lists a few regressions and fixes by name and a capped table of the cases
that changed, and says how many more there are and where to see them."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .models import CaseDiff, DiffReport, SuiteDiff

NAMES = 10  # case names in a headline or a suite's line of sample drops
BULLETS = 25  # regressions and fixes listed by name in markdown
ROWS = 100  # rows of the markdown case table


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


def _names(names: list[str], limit: int = NAMES) -> str:
    more = f" and {len(names) - limit:,} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _drops(s: SuiteDiff) -> str:
    if not s.sample_drops:
        return ""
    return f"; {len(s.sample_drops)} case(s) with fewer passing samples: {_names(s.sample_drops)}"


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
    return report.headline()


def _status_word(case: CaseDiff) -> str:
    if case.status == "regression":
        return "REGRESSION"
    if case.status == "not-comparable":
        return f"not comparable ({case.reason})"
    if case.status == "flip":
        return "flip within noise" + _settle(case.settle)
    return case.status


def _settle(more: int | None) -> str:
    return f" (about {more} more samples a side would settle it)" if more else ""


def _noise(s: SuiteDiff) -> str:
    """The suite's paired change over its repeated cases (stratified exact test)."""
    if s.noise is None:
        return ""
    n = s.noise
    p = (
        n.p_regression
        if n.decision == "regression"
        else n.p_fix
        if n.decision == "fix"
        else min(n.p_regression, n.p_fix)
    )
    flips = (
        f"; {len(s.flips)} verdict(s) flipped within noise: {_names(s.flips)}" if s.flips else ""
    )
    return (
        f"over {n.cases} repeated case(s): {n.decision} "
        f"(paired {n.method} test, one-sided p = {p:.3g}){_settle(n.settle) if n.decision == 'within noise' else ''}{flips}"
    )


_LISTED = ("regression", "flip", "fix", "not-comparable", "only-a", "only-b")


def _omitted(report: DiffReport) -> str:
    """What a big diff does not list, in words."""
    if report.complete:
        return ""
    counts = report.counts
    total = sum(v for k, v in counts.items() if k != "changed")
    return (
        f"{len(report.cases):,} of {total:,} cases listed; {_changed_count(report):,} changed "
        "(verdict, output or share of passing samples); unchanged cases are counted, not listed"
    )


def _not_comparable(s: SuiteDiff) -> str:
    if not s.not_comparable:
        return ""
    blocking = sum(n.blocking for n in s.not_comparable)
    names = _names([f"{n.case} ({n.reason})" for n in s.not_comparable])
    gate = f" ({blocking} with a head that did not pass: the gate fails)" if blocking else ""
    return f"; {len(s.not_comparable)} not comparable{gate}: {names}"


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
        "not comparable",
        "McNemar p",
        f"$/1k {report.a}",
        f"$/1k {report.b}",
        f"p50/p95 ms/request {report.a}",
        f"p50/p95 ms/request {report.b}",
    ):
        table.add_column(Text(column), justify="left" if column == "suite" else "right")
    for s in report.suites:
        table.add_row(
            Text(s.suite),  # user names are never markup (a "[v2]" would vanish)
            f"{s.a.passed}/{s.a.total} {_pct(s.a.rate)} [{_pct(s.a.low)}-{_pct(s.a.high)}]",
            f"{s.b.passed}/{s.b.total} {_pct(s.b.rate)} [{_pct(s.b.low)}-{_pct(s.b.high)}]",
            str(len(s.regressions)),
            str(len(s.fixes)),
            str(len(s.not_comparable)),
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
        if c.status in _LISTED or c.changes or c.text_diff or c.samples_dropped or c.tool_changes
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
            cases.add_column(Text(column))
        for c in changed:
            cases.add_row(
                Text(f"{c.suite}::{c.case}"),
                Text(_status_word(c)),
                _mark(c.a_passed, c.a_samples),
                _mark(c.b_passed, c.b_samples),
                Text(_changed(c)),
                _usage(c),
                _signed(c.d_cost_usd, "{:+.6f}"),
                f"{c.d_latency_ms:+.0f}",
            )
        console.print(cases, crop=False, soft_wrap=False)
    if not report.complete:
        console.print(_omitted(report), markup=False)
    for s in report.suites:
        console.print(
            f"{s.suite}: {report.a} {_pct(s.a.rate)} → {report.b} {_pct(s.b.rate)}; "
            f"{len(s.regressions)} regression(s), {len(s.fixes)} fix(es); exact McNemar p = {s.mcnemar_p:.3g} ({_verdict(s.mcnemar_p)}){_drops(s)}{_not_comparable(s)}",
            markup=False,
        )
        if s.bootstrap:
            console.print(_bootstrap(s), markup=False)
        if s.noise:
            console.print(f"{s.suite}: {_noise(s)}", markup=False)
    for judge in report.judges:
        console.print(f"judge calibration: {judge}", markup=False)
    console.print(_headline(report), markup=False)


# -- markdown ---------------------------------------------------------------------


def to_markdown(report: DiffReport) -> str:
    icon = "❌" if report.failed("regressions") else "✅"
    out = [
        f"## evalkit diff: `{report.a}` → `{report.b}`",
        "",
        f"{icon} **{_headline(report)}**",
        "",
    ]
    out += [
        f"| suite | {report.a} pass rate | {report.b} pass rate | regressions | fixes | not comparable | McNemar p | $/1k cases {report.a} → {report.b} | p50 / p95 ms per request {report.a} → {report.b} |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.suites:
        out.append(
            f"| {s.suite} | {s.a.passed}/{s.a.total} ({_pct(s.a.rate)}, 95% CI {_pct(s.a.low)}–{_pct(s.a.high)}) "
            f"| {s.b.passed}/{s.b.total} ({_pct(s.b.rate)}, 95% CI {_pct(s.b.low)}–{_pct(s.b.high)}) "
            f"| {len(s.regressions)} | {len(s.fixes)} | {len(s.not_comparable)} | {s.mcnemar_p:.3g} ({_verdict(s.mcnemar_p)}) "
            f"| {_money(s.a.cost_per_1000)} → {_money(s.b.cost_per_1000)} "
            f"| {s.a.p50_ms:.0f} / {s.a.p95_ms:.0f} → {s.b.p50_ms:.0f} / {s.b.p95_ms:.0f} |"
        )
    for s in report.suites:
        if s.bootstrap:
            out += ["", f"{s.suite}: {_bootstrap(s)}"]
        if s.noise:
            out += ["", f"{s.suite}: {_noise(s)}"]
        if s.sample_drops:
            out += ["", f"{s.suite}{_drops(s)}"]
    pairs = report.not_comparable
    if pairs:
        out += ["", "### Not comparable (never a regression or a fix)", ""]
        out += [
            f"- `{suite}::{n.case}`: {n.reason}"
            + (" (the head did not pass: the gate fails)" if n.blocking else "")
            for suite, n in pairs[:BULLETS]
        ]
        if len(pairs) > BULLETS:
            out.append(f"- … and {len(pairs) - BULLETS:,} more")
    for title, status, count in (
        ("Regressions", "regression", report.regression_count),
        ("Fixes", "fix", sum(len(s.fixes) for s in report.suites)),
        ("Flips within noise (not regressions)", "flip", report.flip_count),
    ):
        listed = [c for c in report.cases if c.status == status]
        if not listed:
            continue
        out += ["", f"### {title}", ""]
        out += [
            f"- `{c.suite}::{c.case}`: {_changed(c) or 'output unchanged'}"
            for c in listed[:BULLETS]
        ]
        if count > BULLETS:
            out.append(f"- … and {count - BULLETS:,} more")
    changed = _changed_rows(report)
    if report.complete and len(report.cases) <= ROWS:
        summary, rows = "Every case", report.cases
    else:
        total = sum(v for k, v in report.counts.items() if k != "changed") or len(report.cases)
        rows = changed[:ROWS]
        summary = (
            f"Cases that changed: {len(rows):,} shown of {_changed_count(report):,} "
            f"({total:,} cases compared; the JSON report and the viewer list more)"
        )
    out += [
        "",
        f"<details><summary>{summary}</summary>",
        "",
        f"| case | status | {report.a} | {report.b} | changed | Δ tokens in/out (sum over samples) | Δ cost | Δ ms (mean per sample) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in rows:
        changed_text = _changed(c).replace("|", "\\|")
        out.append(
            f"| `{c.suite}::{c.case}` | {_status_word(c)} | {_mark(c.a_passed, c.a_samples)} | {_mark(c.b_passed, c.b_samples)} | {changed_text} "
            f"| {_usage(c)} | {_signed(c.d_cost_usd, '{:+.6f}')} | {c.d_latency_ms:+.0f} |"
        )
    out += [
        "",
        "</details>",
        "",
    ]
    if report.judges:
        out += ["Judges (agreement with human labels):", ""]
        out += [f"- {j}" for j in report.judges] + [""]
    out += [
        "Pass-rate intervals are Wilson 95%; the p-value is an exact McNemar test on the cases whose verdict changed.",
    ]
    return "\n".join(out) + "\n"


def _changed_rows(report: DiffReport) -> list[CaseDiff]:
    """The listed cases worth a row: a changed verdict, output or share of samples."""
    return [
        c
        for c in report.cases
        if c.status in _LISTED or c.changes or c.text_diff or c.samples_dropped
    ]


def _changed_count(report: DiffReport) -> int:
    """Cases whose verdict, output or share of passing samples changed (listed or not)."""
    counts = report.counts
    return sum(counts.get(k, 0) for k in (*_LISTED, "changed"))


# -- json ---------------------------------------------------------------------------


def to_json(report: DiffReport) -> str:
    data: dict[str, Any] = report.model_dump(mode="json")
    data["headline"] = _headline(report)
    return json.dumps(data, indent=2) + "\n"
