"""The viewer: one self-contained HTML page to browse runs and comparisons.

Entry points:

- :func:`add_parser` / :func:`run`: the ``evalkit view`` command;
- :func:`render_run`: one run (or its shards' union) as a page, for ``evalkit report --html``;
- :func:`render_comparison`: two sides and their diff as a page, for ``evalkit diff --html``;
- :func:`render_view`: any number of runs (what ``evalkit view`` writes);
- :func:`load_run` / :func:`from_results`: a run from a folder, or from results in memory.

The page is plain HTML, CSS and JavaScript with the data inlined (assets/), and charts drawn
by the vendored uPlot: it opens from a file or a CI artifact without any network.
"""

from __future__ import annotations

from ..cli.view import add_parser, run
from .build import render_comparison, render_run, render_view
from .load import LoadedRun, from_results, load_run

__all__ = [
    "LoadedRun",
    "add_parser",
    "from_results",
    "load_run",
    "render_comparison",
    "render_run",
    "render_view",
    "run",
]
