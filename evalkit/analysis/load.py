"""Which runs a frame reads, and reading them: each run through the run folder's one reader
(:class:`evalkit.runs.runsets.RunSet`, as ``evalkit report`` opens them), in one pass.

What a caller may name (:data:`Runs`): a run id (under the project's results folder), a run
folder or its results.jsonl, or a list of these, each its own run (history: a ``run``
column tells them apart). An element that is itself a list or tuple is a group read as
one run, the union ``evalkit report A B`` reads (CI shards: every shard of one split, the
last result of a case winning), labelled as report labels it.

Within a run each case is its last line (a resumed run appends its re-runs), as report
keeps it; lines that are not results are skipped and said in report's words, and so is a
run holding fewer cases than it planned. Rows are made line by line (``to_rows``) and the
line is dropped, so a 100,000-case run never holds its parsed lines at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import TypeAdapter

from ..config import find_root, load_settings
from ..errors import ConfigError, display_path
from ..runs.runsets import RunSet
from .columns import Builder
from .lines import CaseHead, item

Ref: TypeAlias = str | os.PathLike[str]
Runs: TypeAlias = Ref | Sequence[Ref | Sequence[Ref]]


@dataclass
class Read:
    """What was read besides the rows: the runs' labels and what was skipped."""

    warnings: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # the runs, in the order given
    paths: list[Path] = field(default_factory=list)  # their folders (or results files)


def groups(runs: Runs) -> list[list[str]]:
    """The runs named, each a list of refs read as one (one ref, or a group of shards)."""
    if isinstance(runs, (str, os.PathLike)):
        return [[os.fspath(runs)]]
    if not isinstance(runs, Sequence):
        raise ConfigError(
            f"runs must be a run id, a run folder or a list of them, not {type(runs).__name__}"
        )
    out: list[list[str]] = []
    for run in runs:
        if isinstance(run, (str, os.PathLike)):
            out.append([os.fspath(run)])
        elif isinstance(run, Sequence) and all(isinstance(r, (str, os.PathLike)) for r in run):
            out.append([os.fspath(r) for r in run])
        else:
            raise ConfigError(
                f"a run is a run id or a run folder (a list of them for CI shards), not {run!r}"
            )
    if not out or any(not g for g in out):
        raise ConfigError("no run given: name run folders, results files or run ids")
    return out


def default_results_dir() -> Path:
    """The results folder of the project the current folder is in (as the CLI finds it)."""
    return load_settings(find_root(Path.cwd())).results_dir


def read(
    runs: Runs,
    adapter: TypeAdapter[Any],
    to_rows: Callable[[str, Any], Iterable[tuple[Any, ...]]],
    into: Builder,
    results_dir: Path | None = None,
) -> Read:
    """Every run's rows into ``into``: ``to_rows(label, line)`` for each case's last line."""
    named = groups(runs)
    where = results_dir if results_dir is not None else default_results_dir()
    sets = [RunSet.open(group, where) for group in named]
    out = Read(labels=_labels(sets), paths=[p for s in sets for p in s.paths])
    dead: list[int] = []  # lines a later line of the same case replaced
    number = 0
    for runset, label in zip(sets, out.labels, strict=True):
        last: dict[Any, int] = {}
        for _, key, line in runset.each(adapter.validate_json, item):
            number += 1
            previous = last.get(key)
            if previous is not None:
                dead.append(previous)
            last[key] = number
            into.extend(to_rows(label, line), number)
        out.warnings += runset.warnings() + runset.unfinished()
    into.drop(dead)
    return out


def _labels(sets: list[RunSet]) -> list[str]:
    """Each run's label, as report labels it; two runs of one name (``r1`` from two machines)
    are told apart by their folders."""
    labels = [s.label for s in sets]
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = " + ".join(display_path(p) for p in sets[i].paths)
    return labels


def head_key(line: CaseHead) -> tuple[str, str, str | None]:
    """Suite, case, variant of a line (the columns every frame starts with after ``run``)."""
    return line["suite"], line["case"], line.get("variant")
