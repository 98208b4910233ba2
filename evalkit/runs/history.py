"""Flakiness across runs: a case whose verdict changed between runs that sent it the identical
request (the same canonical request hash). The model changed its mind, not the prompt: an
edited prompt or another model changes the hash, and a run where the case did not run has no
verdict to compare. Read from each run's results lines, only the fields this needs, so a
results folder of many large runs stays quick; the viewer and `evalkit report` share it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ..errors import ConfigError
from ..results.folder import is_run_folder, parse_line, results_file
from ..results.verdicts import not_run_reason

Verdicts = dict[str, tuple[str, str]]  # case key → (its first request's key, its verdict)
MAX_FLAKY = 1000  # cases named as flaky in the history
MAX_RUNS = 30  # the most recent runs read (the viewer's history shows as many)


def case_key(suite: object, case: object, variant: object) -> str:
    """How the history names a case (the viewer's rows use the same key)."""
    return f"{suite}::{case}[{variant if variant is not None else ''}]"


def verdict_entry(data: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(case key, request key, verdict) of one results line, or None when the case did not
    run, has no request key, or the line is not a result."""
    samples = data.get("samples")
    if not isinstance(samples, list) or not samples:
        return None
    read = [
        SimpleNamespace(not_run=s.get("not_run"), remedy=s.get("remedy"))
        for s in samples
        if isinstance(s, dict)
    ]
    if not_run_reason(str(data.get("status", "done")), read) is not None:  # the one rule
        return None
    first = samples[0]
    request = first.get("request_key") if isinstance(first, dict) else None
    if not isinstance(request, str) or not request:
        return None
    verdict = data.get("verdict") or ("passed" if data.get("passed") else "failed")
    return case_key(data.get("suite"), data.get("case"), data.get("variant")), request, str(verdict)


def read_verdicts(folder: Path) -> Verdicts:
    """Each case's last verdict in one run, with the request it was given."""
    out: Verdicts = {}
    try:
        handle = results_file(folder).open(encoding="utf-8", errors="replace")
    except OSError:
        return out
    with handle:
        for line in handle:
            try:
                data = parse_line(line)
            except ConfigError:
                continue
            entry = verdict_entry(data) if isinstance(data, dict) else None
            if entry is not None:
                out[entry[0]] = entry[1:]
    return out


def flaky_in_history(runs: Iterable[Verdicts], limit: int = MAX_FLAKY) -> list[str]:
    """Cases whose verdict differs between two runs of the identical request."""
    seen: dict[tuple[str, str], str] = {}
    flaky: set[str] = set()
    for verdicts in runs:
        for key, (request, verdict) in verdicts.items():
            if seen.setdefault((key, request), verdict) != verdict:
                flaky.add(key)
    return sorted(flaky)[:limit]


def flaky_in_folder(results_dir: Path, runs: Sequence[Path] = ()) -> list[str]:
    """The flaky cases over the runs kept in ``results_dir`` (the most recent
    :data:`MAX_RUNS`, by folder time) and ``runs``."""
    folders = (
        [p for p in results_dir.iterdir() if p.is_dir() and is_run_folder(p)]
        if results_dir.is_dir()
        else []
    )
    folders = sorted(
        folders, key=lambda p: results_file(p).stat().st_mtime if results_file(p).exists() else 0
    )
    chosen = list(dict.fromkeys([*folders[-MAX_RUNS:], *runs]))
    return flaky_in_history(read_verdicts(f) for f in chosen)
