"""``evalkit import promptfoo|openai-evals|openai-evals-api``: parse, plan, write, report, exit.

Exit codes: 0 everything was carried over, 1 something was left out (listed with file and
line), 2 the input could not be read or the import could not be written (a ConfigError,
shown as ``file:line: message``; nothing is written in that case).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, display_path
from ..importers.report import Report
from ..importers.writer import ImportPlan, write_plan

EXIT_OK, EXIT_LEFT_OUT, EXIT_UNREADABLE = 0, 1, 2


def add_parser(subparsers: Any) -> None:
    """Add ``import`` with its two sub-commands to evalkit's argument parser."""
    parser = subparsers.add_parser(
        "import", help="write evalkit suites from a promptfoo config or openai/evals samples"
    )
    sources = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
    promptfoo = sources.add_parser(
        "promptfoo", help="import a promptfooconfig.yaml (prompts, OpenAI providers, tests)"
    )
    promptfoo.add_argument("config", metavar="CONFIG", help="the promptfoo config file")
    promptfoo.add_argument(
        "--out", default=".", metavar="DIR", help="the evalkit project to write into (default: .)"
    )
    promptfoo.add_argument(
        "--pin",
        action="append",
        default=[],
        metavar="MODEL=SNAPSHOT",
        help="pin a model alias to a dated snapshot (repeatable)",
    )
    evals = sources.add_parser(
        "openai-evals", help="import an openai/evals samples.jsonl (input, ideal)"
    )
    evals.add_argument("samples", metavar="SAMPLES.jsonl", help="the samples file")
    evals.add_argument("--suite", required=True, metavar="NAME", help="the suite's name")
    evals.add_argument(
        "--out", default=".", metavar="DIR", help="the evalkit project to write into (default: .)"
    )
    evals.add_argument(
        "--match",
        choices=["exact", "starts_with", "includes"],
        default="exact",
        help="how `ideal` is checked: exact (equals), starts_with (Match), includes (Includes)",
    )
    evals.add_argument(
        "--model",
        default=None,
        metavar="M",
        help="the model to test (default gpt-5.4-mini-2026-03-17)",
    )
    api = sources.add_parser(
        "openai-evals-api",
        help="import an eval object (and a run) exported from OpenAI's hosted Evals API",
    )
    api.add_argument("eval", metavar="EVAL.json", help="the eval object (GET /v1/evals/ID)")
    api.add_argument("--run", default=None, metavar="RUN.json", help="one of its runs")
    api.add_argument(
        "--items", default=None, metavar="ITEMS.jsonl", help="the data, when the run lacks it"
    )
    api.add_argument("--suite", default=None, metavar="NAME", help="the suite's name")
    api.add_argument(
        "--model", default=None, metavar="M", help="the model to test when the run names none"
    )
    api.add_argument(
        "--out", default=".", metavar="DIR", help="the evalkit project to write into (default: .)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the import the arguments describe; returns the exit code."""
    try:
        plan, report = _plan(args)
        report.written = write_plan(plan, Path(args.out))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREADABLE
    _print(report, Path(args.out))
    return EXIT_LEFT_OUT if report.left_out else EXIT_OK


def _plan(args: argparse.Namespace) -> tuple[ImportPlan, Report]:
    if args.source == "promptfoo":
        from ..importers.promptfoo import Pins, import_promptfoo

        try:
            pins = Pins.parse(args.pin)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return import_promptfoo(Path(args.config), pins)
    if args.source == "openai-evals-api":
        from ..importers.evals_api import import_evals_api

        return import_evals_api(
            Path(args.eval),
            Path(args.run) if args.run else None,
            Path(args.items) if args.items else None,
            args.suite,
            args.model,
        )
    from ..importers.openai_evals import import_samples

    return import_samples(Path(args.samples), args.suite, args.match, args.model)


def _print(report: Report, out: Path) -> None:
    for path in report.written:
        print(f"wrote {display_path(path)}")
    if report.notes:
        print("\ncarried over with a difference:")
        for note in report.notes:
            print(f"  {note.line()}")
    if report.left_out:
        print("\nleft out (not carried over):", file=sys.stderr)
        for item in report.left_out:
            print(f"  {item.text()}", file=sys.stderr)
    print(f"\n{report.summary()}")
    print(f"next: cd {display_path(out)} && evalkit check && evalkit record")
