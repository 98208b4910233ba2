"""``evalkit view [RUN...] [--out FILE] [--open]``: write the viewer page for runs
(:func:`evalkit.view.write.write_view`), print where, and open it in a browser on request.
Also ``python -m evalkit.view`` (evalkit/view/__main__.py), with the same arguments.
Exit 0 when written; bad input 2."""

from __future__ import annotations

import argparse
import webbrowser
from typing import Any

from ..errors import display_path
from ..view.history import DEFAULT_LIMIT
from ..view.write import PAGE, write_view
from .common import EXIT_OK

HELP = "write one self-contained HTML page to browse runs (no network needed)"
DESCRIPTION = (
    "Write one self-contained HTML page to browse runs: every case with its status, "
    "filters and search, each case's messages, output, checks and usage, two runs "
    "side by side, and the history of the runs in the results folder."
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``view`` to evalkit's subcommands (``subparsers`` from ``add_subparsers``)."""
    view: argparse.ArgumentParser = subparsers.add_parser(
        "view", help=HELP, description=DESCRIPTION
    )
    add_arguments(view)
    return view


def add_arguments(view: argparse.ArgumentParser) -> None:
    view.add_argument(
        "runs",
        nargs="*",
        metavar="RUN",
        help="run folders, results files or run ids (default: the latest run); "
        "two or more runs open on their comparison",
    )
    view.add_argument(
        "--out", metavar="FILE", help=f"where to write the page (default: RESULTS/{PAGE})"
    )
    view.add_argument("--open", action="store_true", help="open the page in a browser")
    view.add_argument("--results", help="folder of runs (default .evalkit/runs)")
    view.add_argument(
        "--merge",
        action="store_true",
        help="the runs are shards of one run (CI machines): show them as one",
    )
    view.add_argument(
        "--history",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"runs of the results folder in the history charts (default {DEFAULT_LIMIT}; 0: none)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the page; 0 when written. Bad input raises ConfigError (exit 2)."""
    written = write_view(
        args.runs, results=args.results, out=args.out, merged=args.merge, history=args.history
    )
    for note in written.notes:
        print(f"note: {note}")
    print(f"view: {display_path(written.path)}")
    if args.open and not webbrowser.open(written.path.resolve().as_uri()):
        print(f"no browser found: open {written.path.resolve().as_uri()} yourself")
    return EXIT_OK
