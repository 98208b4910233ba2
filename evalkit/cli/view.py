"""``evalkit view [RUN...] [--out FILE] [--open]``: write the viewer page for runs."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path
from typing import Any

from ..config import find_root, load_settings
from ..errors import ConfigError, display_path
from ..results.folder import find_run
from ..view.build import render_view
from ..view.history import DEFAULT_LIMIT, latest_run
from ..view.load import load_run, merge

PAGE = "view.html"


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
    settings = load_settings(find_root(Path.cwd()), {"results": args.results})
    results_dir = settings.results_dir
    if args.runs:
        paths = [find_run(ref, results_dir) for ref in args.runs]
    else:
        latest = latest_run(results_dir)
        if latest is None:
            raise ConfigError(
                f"no runs in {display_path(results_dir)}: run `evalkit run` first, "
                "or name a run folder (evalkit view PATH)"
            )
        paths = [latest]
    if args.history < 0:
        raise ConfigError("--history must be 0 or more")
    out = Path(args.out) if args.out else results_dir / PAGE
    runs = [load_run(p) for p in paths]
    if args.merge:
        runs = [merge(runs)]
    page = render_view(
        runs,
        results_dir=results_dir if results_dir.is_dir() else None,
        out=out,
        history_limit=args.history,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    for loaded in runs:
        for note in loaded.view.notes:
            print(f"note: {note}")
    print(f"view: {display_path(out)}")
    if args.open and not webbrowser.open(out.resolve().as_uri()):
        print(f"no browser found: open {out.resolve().as_uri()} yourself")
    return 0
