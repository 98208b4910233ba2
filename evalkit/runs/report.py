"""``evalkit report RUN...``: one run (or the union of shards) as a report: its verdicts
(the same the run itself reached), every failure with its messages, and its figures."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..checks.calibration import judge_notes
from ..results import CaseResult, Figures, SuiteSummary, Verdicts


class SuiteFigureRow(BaseModel):
    suite: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    cost_per_1000: float | None
    p50_ms_per_request: float
    p95_ms_per_request: float
    retries: int


class RunReport(BaseModel):
    label: str
    passed: bool
    suites: list[SuiteSummary]
    figures: list[SuiteFigureRow]
    failures: list[str]
    warnings: list[str] = []
    # each judge's calibration as its checks said it: "triage: refund: judge agreement ..."
    judges: list[str] = []


def build(
    results: Iterable[CaseResult],
    label: str,
    warnings: Iterable[str] = (),
    remedies: Mapping[str, str] | None = None,
) -> tuple[RunReport, Figures]:
    verdicts, figures, failures = Verdicts(), Figures(), []
    judges: dict[str, None] = {}
    for result in results:
        verdicts.add(result.outcome())
        figures.add(result)
        judges.update(dict.fromkeys(judge_notes(result)))
        if not result.passed or result.case_verdict == "inconclusive":
            failures.append(result.tagged_report(remedies))
    summaries = verdicts.summaries()
    rows = []
    for summary in summaries:
        f = figures.of(summary)
        rows.append(
            SuiteFigureRow(
                suite=summary.name,
                input_tokens=f.input_tokens,
                output_tokens=f.output_tokens,
                cost_usd=f.cost,
                cost_per_1000=f.cost_per_1000,
                p50_ms_per_request=f.p50_ms,
                p95_ms_per_request=f.p95_ms,
                retries=f.retries,
            )
        )
    report = RunReport(
        label=label,
        passed=verdicts.passed,
        suites=summaries,
        figures=rows,
        failures=failures,
        warnings=list(warnings),
        judges=list(judges),
    )
    return report, figures


def print_terminal(report: RunReport, figures: Figures, console: Console) -> None:
    console.print(f"evalkit report: {report.label}", markup=False)
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False)
    print_summary_table(console, report.suites, figures)
    for failure in report.failures:
        console.print(failure, markup=False)
    for summary in report.suites:
        console.print(summary.line(), markup=False)
    for judge in report.judges:
        console.print(f"judge calibration: {judge}", markup=False)


def to_markdown(report: RunReport) -> str:
    icon = "✅" if report.passed else "❌"
    verdict = "every gate passed" if report.passed else "a gate failed"
    out = [f"## evalkit report: `{report.label}`", "", f"{icon} **{verdict}**", ""]
    out += [f"> warning: {w}" for w in report.warnings]
    out += [
        "| suite | passed | rate | threshold | gate | not run | tokens in/out | $/1k cases | p50 / p95 ms per request | retries |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for summary, row in zip(report.suites, report.figures, strict=True):
        cost = "n/a" if row.cost_per_1000 is None else f"${row.cost_per_1000:.4f}"
        out.append(
            f"| {summary.name} | {summary.passed}/{summary.ran} | {summary.pass_rate:.0%} "
            f"| {summary.threshold:.0%} | {summary.gate_word()} | {summary.not_run} "
            f"| {row.input_tokens:,} / {row.output_tokens:,} | {cost} "
            f"| {row.p50_ms_per_request:.0f} / {row.p95_ms_per_request:.0f} | {row.retries} |"
        )
    not_run = [s for s in report.suites if s.not_run]
    if not_run:
        out += ["", "### Not run (no verdict: the gate fails until they run)", ""]
        out += [f"- `{s.name}`: {s.not_run_names()}" for s in not_run]
    if report.judges:
        out += ["", "### Judges (agreement with human labels)", ""]
        out += [f"- {j}" for j in report.judges]
    if report.failures:
        out += ["", "### Failures", ""]
        for failure in report.failures:
            out += ["```", failure.replace("```", "'''"), "```"]
    return "\n".join(out) + "\n"


def to_json(report: RunReport) -> str:
    data = report.model_dump(mode="json")
    return json.dumps(data, indent=2) + "\n"


def print_summary_table(console: Console, summaries: list[SuiteSummary], figures: Figures) -> None:
    """Per suite: verdict, tokens and cost (sums over samples), the checks' own calls, and
    latency percentiles over requests."""
    table = Table(title=None, show_edge=False, pad_edge=False)
    for column in (
        "suite",
        "passed",
        "rate",
        "threshold",
        "gate",
        "tokens in/out",
        "cost $",
        "checks' calls",
        "p50 ms/request",
        "p95 ms/request",
        "retries",
        "not run",
    ):
        table.add_column(
            column,
            justify="left" if column in ("suite", "gate") else "right",
            no_wrap=column == "suite",  # "invoice [v2]" stays one label
        )
    for summary in summaries:
        f = figures.of(summary)
        table.add_row(
            Text(summary.name),  # never markup: "invoice [v2]" would lose its "[v2]"
            f"{summary.passed}/{summary.ran}",
            f"{summary.pass_rate:.0%}",
            f"{summary.threshold:.0%}",
            summary.gate_word(),
            f"{f.input_tokens:,}/{f.output_tokens:,}",
            "n/a" if f.cost is None else f"{f.cost:.4f}",
            "-"
            if not f.aux_tokens
            else f"{f.aux_tokens:,} tok, "
            + ("$n/a" if f.aux_cost is None else f"${f.aux_cost:.4f}"),
            f"{f.p50_ms:.0f}",
            f"{f.p95_ms:.0f}",
            str(f.retries),
            str(summary.not_run),
        )
    console.print(table, soft_wrap=False, crop=False)
