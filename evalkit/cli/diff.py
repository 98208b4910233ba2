"""``evalkit diff A B [SUITE...]`` (the same cases under two variants, run or replayed now)
and ``evalkit diff --runs BASE... [-- HEAD...]`` (two finished runs, or shards' unions).

Parses, asks :mod:`evalkit.runs.dualrun` or :mod:`evalkit.runs.runsets` for the comparison,
prints it (:mod:`evalkit.compare.render`) and writes what was asked (markdown, JSON, the
viewer's page). Exit 1 when the comparison fails ``--fail-on``, else 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..config import Mode
from ..errors import ConfigError
from .common import EXIT_FAILED, EXIT_OK, output_flags, results_dir, write_html, write_output
from .display import console_for_output


def add_parser(subparsers: Any) -> None:
    diff = subparsers.add_parser(
        "diff", help="compare two variants (or two finished runs) case by case"
    )
    diff.add_argument("a", nargs="?", metavar="A", help="variant name, `base`, or key=value")
    diff.add_argument("b", nargs="?", metavar="B", help="variant name, `base`, or key=value")
    diff.add_argument("suites", nargs="*", metavar="SUITE")
    diff.add_argument(
        "--runs",
        nargs="+",
        metavar="RUN",
        help="compare finished runs: --runs A B, or several a side (CI shards, as their "
        "union): --runs BASE... -- HEAD...",
    )
    diff.add_argument("--mode", choices=Mode.choices(), help="replay (default) or record")
    diff.add_argument("--concurrency", type=int)
    diff.add_argument(
        "--fail-on", choices=["regressions", "pass-rate", "none"], default="regressions"
    )
    output_flags(diff)


def head_runs_then_options(argv: list[str]) -> list[str]:
    """``diff --runs BASE... -- HEAD... --markdown F``: the head runs end at the next option
    (argparse would take every word after ``--`` as a run), so options written after them
    are moved before the ``--``."""
    if len(argv) < 2 or argv[0] != "diff" or "--" not in argv:
        return argv
    cut = argv.index("--")
    rest = argv[cut + 1 :]
    end = next((i for i, word in enumerate(rest) if word.startswith("-")), len(rest))
    return argv[:cut] + rest[end:] + ["--"] + rest[:end]


def run_sides(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """``--runs A B`` (one run a side), or ``--runs BASE... -- HEAD...``."""
    base = list(args.runs)
    head = [ref for ref in (args.a, args.b, *args.suites) if ref]
    if not head:
        if len(base) != 2:
            raise ConfigError(
                "evalkit diff --runs takes two runs (--runs BASE HEAD), or several a side "
                "separated by `--`: --runs BASE... -- HEAD..."
            )
        return base[:1], base[1:]
    return base, head


def run(args: argparse.Namespace) -> int:
    from .. import view
    from ..compare.diff import LIMIT
    from ..compare.render import print_terminal, to_json, to_markdown
    from ..runs.runsets import RunSet, compare_runs

    sides: tuple[Any, Any]
    if args.runs:
        refs_a, refs_b = run_sides(args)
        runs_a = RunSet.open(refs_a, results_dir())
        runs_b = RunSet.open(refs_b, results_dir())
        report = compare_runs(runs_a, runs_b, LIMIT)
        for warning in runs_a.warnings() + runs_b.warnings():
            print(f"warning: {warning}", file=sys.stderr)
        sides = (runs_a.paths, runs_b.paths)
        labels = (runs_a.label, runs_b.label)
    else:
        if not args.a or not args.b:
            raise ConfigError("evalkit diff needs two variants (A B) or --runs RUN_A RUN_B")
        from ..runs.dualrun import run_both

        given = {"mode": args.mode, "concurrency": args.concurrency}
        report, (a, b) = run_both(args.suites, args.a, args.b, given, keep=bool(args.html))
        sides = (view.from_results(args.a, a), view.from_results(args.b, b))
        labels = (args.a, args.b)
    print_terminal(report, console_for_output(180))
    for flag, render in (("markdown", to_markdown), ("json", to_json)):
        if getattr(args, flag, None):
            write_output(getattr(args, flag), render(report), f"{flag} report")
    if args.html:
        # the page lists every case: a diff too big to list them all is computed again there
        write_html(
            args.html,
            lambda out: view.render_comparison(
                sides[0],
                sides[1],
                report=report if report.complete else None,
                results_dir=results_dir(),
                out=out,
                labels=labels,
            ),
        )
    return EXIT_FAILED if report.failed(args.fail_on) else EXIT_OK
