"""The page ``evalkit view`` writes: the runs a user names (run folders, results files or
run ids; by default the latest run of the results folder), loaded, merged when they are
shards of one run, rendered with the results folder's history, and written.

Bad input (no such run, no run yet, a negative history, an unwritable page) is a
ConfigError; nothing here prints or opens a browser (the fronts do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import find_root, load_settings
from ..errors import ConfigError, display_path
from ..results.folder import find_run
from .build import render_view
from .history import DEFAULT_LIMIT, latest_run
from .load import load_run, merge

PAGE = "view.html"  # the page's name in the results folder, unless told where


@dataclass(frozen=True)
class WrittenView:
    path: Path  # where the page was written
    notes: list[str] = field(default_factory=list)  # what the runs' loading noticed


def write_view(
    refs: Sequence[str] = (),
    *,
    results: str | None = None,
    out: str | Path | None = None,
    merged: bool = False,
    history: int = DEFAULT_LIMIT,
) -> WrittenView:
    """Write the viewer page for the runs ``refs`` name (default: the latest run) to
    ``out`` (default: RESULTS/view.html); ``merged``: the runs are shards of one run, shown
    as one; ``history``: runs of the results folder in the history charts (0: none)."""
    settings = load_settings(find_root(Path.cwd()), {"results": results})
    results_dir = settings.results_dir
    if refs:
        paths = [find_run(ref, results_dir) for ref in refs]
    else:
        latest = latest_run(results_dir)
        if latest is None:
            raise ConfigError(
                f"no runs in {display_path(results_dir)}: run `evalkit run` first, "
                "or name a run folder (evalkit view PATH)"
            )
        paths = [latest]
    if history < 0:
        raise ConfigError("--history must be 0 or more")
    page_path = Path(out) if out else results_dir / PAGE
    runs = [load_run(p) for p in paths]
    if merged:
        runs = [merge(runs)]
    page = render_view(
        runs,
        results_dir=results_dir if results_dir.is_dir() else None,
        out=page_path,
        history_limit=history,
    )
    try:
        page_path.parent.mkdir(parents=True, exist_ok=True)
        page_path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the page: {exc.strerror or exc}", page_path) from None
    return WrittenView(page_path, [note for loaded in runs for note in loaded.view.notes])
