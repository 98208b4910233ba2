"""The viewer: one self-contained HTML page to browse runs and comparisons.

Entry points:

- :func:`write_view`: the page for runs named by the user (what ``evalkit view`` writes);
- :func:`render_run`: one run (or its shards' union) as a page, for ``evalkit report --html``;
- :func:`render_comparison`: two sides and their diff as a page, for ``evalkit diff --html``;
- :func:`render_view`: any number of runs (what ``evalkit view`` writes);
- :func:`load_run` / :func:`from_results`: a run from a folder, or from results in memory.

The page is plain HTML, CSS and JavaScript with the data inlined (assets/), and charts drawn
by the vendored uPlot: it opens from a file or a CI artifact without any network.
"""

from __future__ import annotations

from .build import render_comparison, render_run, render_view
from .load import LoadedRun, from_results, load_run
from .write import WrittenView, write_view

__all__ = [
    "LoadedRun",
    "WrittenView",
    "from_results",
    "load_run",
    "render_comparison",
    "render_run",
    "render_view",
    "write_view",
]
