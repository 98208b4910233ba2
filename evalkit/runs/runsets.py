"""Several run folders read as one: CI shards of a run (``evalkit report RUN...``,
``evalkit diff --runs BASE... -- HEAD...``), or a run and its re-runs.

The union holds each case once, the last line winning (in the order the runs are given,
then file order: a resumed run appends its re-runs), as :meth:`ResultsFile.latest` does
for one file. It is read in two passes so that it never holds every result: the first
notes where each case's last readable line is, the second yields those lines' results one
at a time. (A line whose suite and case read but whose rest does not is skipped in the
second pass and reported; an earlier line of that case is not brought back.)

A union must not pass cases it never ran: runs that are shards of a split (their run.json
says ``shard: K/N``) must be given together, every shard of the split.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ..checks.calibration import judge_notes
from ..compare.diff import Comparer, DiffReport
from ..errors import ConfigError, display_path
from ..project.shard import Shard
from ..results import CaseResult
from ..results.folder import (
    ResultsFile,
    RunMeta,
    find_run,
    has_meta,
    parse_line,
    read_meta,
    results_file,
    run_name,
)


class _Key(BaseModel):
    """What the first pass keeps of a line (read within the bounds of a results line)."""

    model_config = ConfigDict(extra="ignore")
    suite: str
    case: str
    variant: str | None = None


Key = Callable[[_Key | CaseResult], Hashable]
_Row = TypeVar("_Row")


def by_item(r: _Key | CaseResult) -> Hashable:
    """Suite, case and variant: a report's unit (as :attr:`CaseResult.item_id`)."""
    return (r.suite, r.case, r.variant)


def by_case(r: _Key | CaseResult) -> Hashable:
    """Suite and case, variants aside: what a diff pairs."""
    return (r.suite, r.case)


@dataclass
class RunSet:
    """Run folders (or results files) given on one side of a command line."""

    refs: list[str]
    paths: list[Path]
    metas: list[RunMeta | None]
    skipped: dict[int, list[int]] = field(default_factory=dict)  # run index → line numbers
    found: list[int] = field(default_factory=list)  # per run: cases it holds (after pass 1)

    @classmethod
    def open(cls, refs: Sequence[str], results_dir: Path) -> RunSet:
        if not refs:
            raise ConfigError("no run given: name run folders, results files or run ids")
        paths = [find_run(ref, results_dir) for ref in refs]
        metas = [_meta(path) for path in paths]
        runs = cls(list(refs), paths, metas)
        runs.check_shards()
        return runs

    @property
    def label(self) -> str:
        """One run: its name. Several: their names' common start (``head-1``, ``head-2``
        → ``head``), else the first name and how many more."""
        names = [run_name(path) for path in self.paths]
        if len(names) == 1:
            return names[0]
        common = os.path.commonprefix(names).rstrip("-_.+ ")  # noqa: RUF071 - names, not paths
        return common or f"{names[0]}+{len(names) - 1} more"

    def check_shards(self) -> None:
        """Shards of a split are only comparable together: every one of them, of one split."""
        shards = [
            (ref, Shard.parse(m.shard, "the shard in run.json"))
            for ref, m in zip(self.refs, self.metas, strict=True)
            if m is not None and m.shard
        ]
        if len(self.refs) < 2 or not shards:
            return
        totals = sorted({s.total for _, s in shards})
        if len(totals) > 1:
            listed = ", ".join(f"{ref} ({s})" for ref, s in shards)
            raise ConfigError(
                f"these runs are shards of different splits: {listed}; give the runs of one split"
            )
        have = {s.index for _, s in shards}
        missing = [f"{k}/{totals[0]}" for k in range(1, totals[0] + 1) if k not in have]
        if missing:
            raise ConfigError(
                f"shard(s) {', '.join(missing)} missing among these runs: their union would "
                "leave out the cases of the missing shards; give every shard's run folder "
                "(or report one shard alone)"
            )

    def _records(self, index: int) -> Iterator[tuple[int, str, Any]]:
        return ResultsFile(results_file(self.paths[index])).records()

    def _lines(self, index: int) -> Iterator[tuple[int, str]]:
        return ResultsFile(results_file(self.paths[index])).lines()

    def union(self, key: Key = by_item, *, empty_ok: bool = False) -> Iterator[CaseResult]:
        """Each case's last result across the runs (``key`` says what a case is). No result
        at all is an error (never an empty pass) unless ``empty_ok`` (a resumed run)."""
        winners: dict[Hashable, tuple[int, int]] = {}
        self.skipped, self.found = {}, [0] * len(self.paths)
        for index in range(len(self.paths)):
            for number, _, data in self._records(index):
                try:
                    if isinstance(data, ConfigError):
                        raise data
                    k = key(_Key.model_validate(data))
                except (ValidationError, ConfigError):
                    self.skipped.setdefault(index, []).append(number)
                    continue
                if winners.get(k, (-1, 0))[0] != index:
                    self.found[index] += 1
                winners[k] = (index, number)
        if not winners and not empty_ok:
            raise self._no_results()
        wanted: list[set[int]] = [set() for _ in self.paths]
        for index, number in winners.values():
            wanted[index].add(number)
        del winners
        for index in range(len(self.paths)):
            numbers = wanted[index]
            path = results_file(self.paths[index])
            for number, line in ResultsFile(path).lines():
                if number not in numbers:
                    continue
                try:
                    yield CaseResult.model_validate(parse_line(line, path, number))
                except (ValidationError, ConfigError):
                    self.skipped.setdefault(index, []).append(number)

    def each(
        self, parse: Callable[[str], _Row], key: Callable[[_Row], Hashable]
    ) -> Iterator[tuple[int, Hashable, _Row]]:
        """One pass over every readable line of every run, parsed by ``parse``, with its
        run's index and ``key``, in the order :meth:`union` ranks them (the last of a key
        wins). For a reader that keeps what it reads anyway (:mod:`evalkit.analysis`'s
        frames): it keeps the last of each key itself. A line ``parse`` rejects
        (ValidationError, ValueError) is skipped and reported by :meth:`warnings`, as in
        :meth:`union`; :meth:`unfinished` reads the cases found; no readable line at all
        is the same error as :meth:`union`'s."""
        seen: dict[Hashable, int] = {}
        self.skipped, self.found = {}, [0] * len(self.paths)
        for index in range(len(self.paths)):
            for number, line in self._lines(index):
                try:
                    row = parse(line)
                    k = key(row)
                except (ValidationError, ValueError):
                    self.skipped.setdefault(index, []).append(number)
                    continue
                if seen.get(k) != index:
                    self.found[index] += 1
                    seen[k] = index
                yield index, k, row
        if not seen:
            raise self._no_results()

    def _no_results(self) -> ConfigError:
        """No readable result at all: an error, never an empty pass."""
        unreadable = sum(map(len, self.skipped.values()))
        lines = f" ({unreadable} unreadable line(s))" if unreadable else ""
        if len(self.paths) == 1:
            return ConfigError(
                f"no results in this file{lines}: is it a run's results?",
                results_file(self.paths[0]),
            )
        return ConfigError(
            f"no results in any of these runs{lines}: "
            + ", ".join(display_path(results_file(p)) for p in self.paths)
        )

    def warnings(self) -> list[str]:
        """Unreadable lines, after :meth:`union` has been read."""
        out = []
        for index, numbers in sorted(self.skipped.items()):
            numbers = sorted(set(numbers))
            shown = ", ".join(map(str, numbers[:10])) + (" ..." if len(numbers) > 10 else "")
            where = display_path(results_file(self.paths[index]))
            out.append(f"{where}: skipped {len(numbers)} unreadable line(s): {shown}")
        return out

    def unfinished(self) -> list[str]:
        """Runs holding fewer cases than they planned (interrupted, or a shard job cancelled):
        a gate on them would pass cases that never ran. Read after :meth:`union` by item."""
        out = []
        for ref, meta, found in zip(self.refs, self.metas, self.found, strict=True):
            if meta is None and not found:
                out.append(f"run {ref} holds no readable result")
            elif meta is not None and meta.cases and found < meta.cases:
                out.append(
                    f"run {ref} holds {found} of the {meta.cases} cases it planned: finish it "
                    f"with `evalkit run --resume {meta.run_id}` (on the machine that has it)"
                )
        return out


def _meta(path: Path) -> RunMeta | None:
    if not path.is_dir() or not has_meta(path):
        return None
    try:
        return read_meta(path)
    except ConfigError:
        return None  # the results are still readable; only the shard checks need the metadata


def compare_runs(base: RunSet, head: RunSet, limit: int | None) -> DiffReport:
    """``evalkit diff --runs BASE... -- HEAD...``: each side's union, streamed through a
    :class:`Comparer` (side A into slim records, side B compared line by line)."""
    comparer = Comparer(base.label, head.label, limit=limit)
    judges: dict[str, None] = {}
    for result in base.union(by_case):
        comparer.add_a(result)
        judges.update(dict.fromkeys(f"{base.label}: {n}" for n in judge_notes(result)))
    for result in head.union(by_case):
        comparer.add_b(result)
        judges.update(dict.fromkeys(f"{head.label}: {n}" for n in judge_notes(result)))
    report = comparer.finish()
    report.judges = list(judges)
    return report
