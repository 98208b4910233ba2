"""``evalkit report RUN...``: finished runs (several: CI shards, as their union) as one
report: verdicts, every failure, figures; markdown, JSON and the viewer's page on request.

Parses, reads the runs through :class:`evalkit.runs.runsets.RunSet`, builds the report with
:mod:`evalkit.runs.report`, prints and writes it. Exit 0 when every gate passed and every
run finished, else 1.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    REMEDIES,
    output_flags,
    results_dir,
    write_html,
    write_output,
)
from .display import console_for_output


def add_parser(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report", help="finished runs (several: CI shards, as one): verdicts, failures, figures"
    )
    report.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run folders, results files or run ids; several are reported as their union",
    )
    output_flags(report)


def run(args: argparse.Namespace) -> int:
    from .. import view
    from ..runs import report as run_report
    from ..runs.history import flaky_in_folder
    from ..runs.runsets import RunSet, by_item

    runs = RunSet.open(args.runs, results_dir())
    report, figures = run_report.build(runs.union(by_item), runs.label, [], REMEDIES)
    unfinished = runs.unfinished()
    report.warnings = runs.warnings() + unfinished
    flaky = flaky_in_folder(results_dir(), runs.paths)
    if flaky:
        shown = ", ".join(flaky[:10]) + (f" and {len(flaky) - 10} more" if len(flaky) > 10 else "")
        report.warnings.append(
            f"flaky in the history: {shown} (the verdict changed between runs that sent the "
            "identical request)"
        )
    report.passed = report.passed and not unfinished
    run_report.print_terminal(report, figures, console_for_output())
    for flag, render in (("markdown", run_report.to_markdown), ("json", run_report.to_json)):
        if getattr(args, flag, None):
            write_output(getattr(args, flag), render(report), f"{flag} report")
    if args.html:
        write_html(
            args.html,
            lambda out: view.render_run(runs.paths, results_dir=results_dir(), out=out),
        )
    return EXIT_OK if report.passed else EXIT_FAILED
