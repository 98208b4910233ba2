"""A batch run's batches by the name a user gives the run: the run folder
(:func:`evalkit.results.folder.find_run`), the settings the run started with (its run.json's
flags, then this project's pyproject and environment), then what the API says of its
batches (:mod:`evalkit.engine.batch_control`). Prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import Settings, find_root, load_settings
from ..engine import batch_control
from ..engine.batch_control import BatchReport, BatchStatus, RequestCounts
from ..errors import ConfigError
from ..results.folder import RunMeta, find_run, has_batches, read_meta

__all__ = [
    "BatchReport",
    "BatchRun",
    "BatchRunReport",
    "BatchStatus",
    "RequestCounts",
    "cancel",
    "open_batch_run",
    "status",
]


@dataclass(frozen=True)
class BatchRun:
    """A run that ran in batch mode, ready to be asked about."""

    folder: Path
    meta: RunMeta
    settings: Settings


@dataclass(frozen=True)
class BatchRunReport:
    run_id: str
    report: BatchReport


def open_batch_run(ref: str, results: str | None = None) -> BatchRun:
    """The run ``ref`` names (a folder or a run id under ``results``, default the project's
    results folder); a run without batches is a ConfigError naming it."""
    base = load_settings(find_root(Path.cwd()), {"results": results})
    folder = find_run(ref, base.results_dir)
    if folder.is_file() or not has_batches(folder):
        raise ConfigError(f"run {ref!r} has no batches: it did not run in batch mode", folder)
    meta = read_meta(folder)
    settings = load_settings(find_root(Path.cwd()), {**meta.overrides, "results": results})
    return BatchRun(folder, meta, settings)


def status(ref: str, results: str | None = None) -> BatchRunReport:
    """What the API says of each batch of the run ``ref`` names."""
    run = open_batch_run(ref, results)
    return BatchRunReport(run.meta.run_id, batch_control.status(run.folder, run.settings))


def cancel(ref: str, results: str | None = None) -> BatchRunReport:
    """Cancel the batches of the run ``ref`` names that are still running."""
    run = open_batch_run(ref, results)
    return BatchRunReport(run.meta.run_id, batch_control.cancel(run.folder, run.settings))
