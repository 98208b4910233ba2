"""The viewer: one self-contained HTML page to browse runs and comparisons.

Entry points:

- :func:`add_parser` / :func:`run`: the ``evalkit view`` command (evalkit/cli/view.py);
- :func:`write_view`: the page for runs named by the user (what ``evalkit view`` writes);
- :func:`render_run`: one run (or its shards' union) as a page, for ``evalkit report --html``;
- :func:`render_comparison`: two sides and their diff as a page, for ``evalkit diff --html``;
- :func:`render_view`: any number of runs (what ``evalkit view`` writes);
- :func:`load_run` / :func:`from_results`: a run from a folder, or from results in memory.

The page is plain HTML, CSS and JavaScript with the data inlined (assets/), and charts drawn
by the vendored uPlot: it opens from a file or a CI artifact without any network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .build import render_comparison, render_run, render_view
from .load import LoadedRun, from_results, load_run
from .write import WrittenView, write_view

if TYPE_CHECKING:
    import argparse


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """The ``evalkit view`` command lives in evalkit/cli/view.py (imported when asked for:
    the command imports this package, so this package does not import it at load)."""
    from ..cli.view import add_parser as _add_parser

    return _add_parser(subparsers)


def run(args: argparse.Namespace) -> int:
    from ..cli.view import run as _run

    return _run(args)


__all__ = [
    "LoadedRun",
    "WrittenView",
    "add_parser",
    "from_results",
    "load_run",
    "render_comparison",
    "render_run",
    "render_view",
    "run",
    "write_view",
]
