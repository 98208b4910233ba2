"""The history of the runs kept in the results folder: per suite, pass rate, cost per 1,000
cases and p95 latency of each run, oldest first, for the page's charts.

Every run folder is read (only the fields the statistics need, so a folder of many large
runs stays quick); runs are ordered by the time of their last finished case, which, unlike
the folder name, also orders runs named by hand (``--run-id head``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ConfigError, display_path
from ..results.folder import is_run_folder, meta_file, parse_line, results_file
from ..runs.history import Verdicts, case_key, flaky_in_history, verdict_entry
from .load import LoadedRun, Row, row_of_json, stats_of_rows, suite_stats
from .models import History, HistoryRun, SuiteStats, ViewCase

DEFAULT_LIMIT = 30


def _mtime(path: Path) -> str:
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def _read(folder: Path) -> tuple[str, list[SuiteStats], Verdicts]:
    """The run's time, per-suite statistics and each case's verdict with the request it was
    given (last line per case wins, torn lines skipped)."""
    latest: dict[str, Row] = {}
    verdicts: Verdicts = {}
    finished = ""
    results = results_file(folder)
    try:
        handle = results.open(encoding="utf-8", errors="replace")
    except OSError:
        return _mtime(meta_file(folder)), [], {}
    with handle:
        for line in handle:
            try:
                data = parse_line(line)
            except ConfigError:
                continue
            if not isinstance(data, dict):
                continue
            row = row_of_json(data)
            if row is None:
                continue
            key = case_key(data.get("suite"), data.get("case"), data.get("variant"))
            latest[key] = row
            entry = verdict_entry(data)
            if entry is not None:
                verdicts[key] = entry[1:]
            stamp = data.get("finished_at")
            if isinstance(stamp, str) and stamp > finished:
                finished = stamp
    return (
        finished or _mtime(meta_file(folder)) or _mtime(results),
        stats_of_rows(latest.values(), split="mixed"),
        verdicts,
    )


def _verdicts_of(cases: Sequence[ViewCase]) -> Verdicts:
    """The history's verdicts of a run the page has loaded (as :func:`_read` finds them)."""
    out: Verdicts = {}
    for c in cases:
        request = c.samples[0].request_key if c.samples else ""
        if request and c.verdict != "not run":
            out[case_key(c.suite, c.case, c.variant)] = (request, str(c.verdict))
    return out


def _href(folder: Path, page: Path | None) -> str:
    if page is not None:
        try:
            rel = Path(os.path.relpath(folder.resolve(), page.resolve().parent)).as_posix()
            # "./" first, so a folder named like a URL scheme (javascript:...) stays a path
            return (rel if rel.startswith("../") else f"./{rel}") + "/"
        except ValueError:  # another drive on Windows
            pass
    return folder.resolve().as_uri() + "/"


def run_time(folder: Path, tail: int = 65536) -> str:
    """When the run last finished a case, from the end of its results file (appends come in
    finishing order, so the last lines hold the latest time) or, failing that, its run.json."""
    results = results_file(folder)
    latest = ""
    try:
        with results.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail))
            chunk = handle.read().decode("utf-8", errors="replace")
    except OSError:
        chunk = ""
    for line in chunk.splitlines()[-50:]:
        try:
            data = parse_line(line)
        except ConfigError:
            continue
        stamp = data.get("finished_at") if isinstance(data, dict) else None
        if isinstance(stamp, str) and stamp > latest:
            latest = stamp
    return latest or _mtime(meta_file(folder)) or _mtime(results)


def run_folders(results_dir: Path) -> list[Path]:
    if not results_dir.is_dir():
        return []
    return [p for p in results_dir.iterdir() if p.is_dir() and is_run_folder(p)]


def latest_run(results_dir: Path) -> Path | None:
    """The most recent run in the folder (by its last finished case), or None."""
    folders = run_folders(results_dir)
    if not folders:
        return None
    return max(folders, key=lambda f: (run_time(f), f.name))


def load_history(
    results_dir: Path,
    loaded: Sequence[LoadedRun] = (),
    page: Path | None = None,
    limit: int = DEFAULT_LIMIT,
) -> History:
    """The last ``limit`` runs of ``results_dir``; a run that is also in the page (``loaded``)
    links to itself there, any other to its folder relative to ``page``."""
    in_page = {
        run.folder.resolve(): index for index, run in enumerate(loaded) if run.folder is not None
    }
    found: list[tuple[str, Path, int | None, list[SuiteStats], Verdicts]] = []
    for folder in run_folders(results_dir):
        index = in_page.get(folder.resolve())
        if index is None:
            time, suites, verdicts = _read(folder)
        else:  # already read for the page: its cases carry what the history needs
            view = loaded[index].view
            time = max((c.finished_at for c in view.cases), default="") or _mtime(meta_file(folder))
            suites = suite_stats(view.cases, split="mixed")
            verdicts = _verdicts_of(view.cases)
        found.append((time, folder, index, suites, verdicts))
    found.sort(key=lambda item: (item[0], item[1].name))
    notes = []
    if len(found) > limit:
        notes.append(f"the last {limit} of {len(found)} runs in {display_path(results_dir)}")
        found = found[-limit:]
    runs = [
        HistoryRun(
            id=folder.name,
            time=time,
            href=_href(folder, page),
            loaded=index,
            suites=suites,
        )
        for time, folder, index, suites, _ in found
    ]
    flaky = flaky_in_history([verdicts for *_, verdicts in found])
    return History(folder=display_path(results_dir), runs=runs, notes=notes, flaky=flaky)
