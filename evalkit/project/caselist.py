"""A suite's cases, held so that a suite of 100,000 cases does not hold 100,000 case objects.

A loaded :class:`~evalkit.project.suite.Case` (its variables, its assertions with their argument
models) takes a few kilobytes; the row it was read from, as compact JSON, a hundred bytes or
so. The first :attr:`CaseList.HOLD` cases of a suite are kept as objects (a suite of
ordinary size behaves exactly as a tuple would); past them, cases read from JSONL or CSV
files are kept as the JSON of their row and built again, through the same loader and so the
same validation, each time they are asked for. Cases written in YAML stay objects (their
assertions carry the line of each item, which their JSON would lose).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, overload


class _Located(Protocol):
    """What the list needs of an item: where it came from."""

    @property
    def file(self) -> Path: ...

    @property
    def line(self) -> int | None: ...


T = TypeVar("T", bound=_Located)
Rebuild = Callable[[Any, Path, int | None], Any]


class CaseList(Sequence[T]):
    HOLD: ClassVar[int] = 2000

    def __init__(self, rebuild: Rebuild):
        self._rebuild = rebuild
        self._items: list[T | str] = []
        self._files: list[Path] = []
        self._file_of = array("I")
        self._lines = array("q")  # -1: no line

    def add(self, case: T, row: Any | None = None) -> None:
        """Keep ``case``; ``row`` (a JSON-able row it was built from) lets a case past the
        first HOLD be kept as that row instead."""
        if row is None or len(self._items) < self.HOLD:
            self._items.append(case)
            self._file_of.append(0)
            self._lines.append(-1)
            return
        if not self._files or self._files[-1] != case.file:
            self._files.append(case.file)
        self._items.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
        self._file_of.append(len(self._files) - 1)
        self._lines.append(-1 if case.line is None else case.line)

    def __len__(self) -> int:
        return len(self._items)

    def _get(self, index: int) -> T:
        item = self._items[index]
        if not isinstance(item, str):
            return item
        line = self._lines[index]
        rebuilt: T = self._rebuild(
            json.loads(item), self._files[self._file_of[index]], None if line < 0 else line
        )
        return rebuilt

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._get(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("case index out of range")
        return self._get(index)

    def __iter__(self) -> Iterator[T]:
        for index in range(len(self)):
            yield self._get(index)

    def __repr__(self) -> str:
        return f"CaseList({len(self)} cases)"
