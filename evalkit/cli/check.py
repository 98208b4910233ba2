"""``evalkit check [SUITE...] [--strict] [--format text|github]``: every mistake that can be
found without an API call (see :mod:`evalkit.project.validate`).

Findings go to stderr compiler-style (``file:line: message``), or to stdout as GitHub
workflow commands with ``--format github`` (annotations on the PR's lines); then one summary
line. Exit 2 bad input (a malformed suite or recording, as a run would), 1 an error was
found, 0 none (warnings alone pass).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..project.validate import CheckReport, Finding, check_project
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE


def add_parser(subparsers: Any) -> None:
    check = subparsers.add_parser(
        "check", help="validate suites, templates, schemas, pins, the lock"
    )
    check.add_argument("suites", nargs="*", metavar="SUITE")
    check.add_argument("--strict", action="store_true", help="missing recordings are errors")
    check.add_argument(
        "--format", choices=["text", "github"], default="text", help="github: annotations"
    )


def run(args: argparse.Namespace) -> int:
    report = check_project(args.suites, strict=args.strict)
    for finding in report.findings:
        emit(finding, args.format)
    if not report.stopped:
        print(summary(report))
    return exit_code(report)


def emit(finding: Finding, fmt: str) -> None:
    if fmt == "github":
        print(finding.github())
    else:
        print(finding.text(), file=sys.stderr)


def summary(report: CheckReport) -> str:
    return (
        f"checked {report.suites} suite(s), {report.plans} case plan(s): "
        f"{report.errors} error(s), {report.warnings} warning(s)"
    )


def exit_code(report: CheckReport) -> int:
    if report.usage:
        return EXIT_USAGE
    return EXIT_FAILED if report.errors else EXIT_OK
