"""Reviewed output snapshots: one readable JSON file per case under ``snapshots/outputs/``.

The engine reads a case's snapshot before its checks run and, with ``--snapshot-update``,
writes the new one after; at the end of a run, files no case used are reported as unused
(and deleted with ``--snapshot-update``), the way syrupy reports its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .engine.recordings import slug


class SnapshotStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[Path] = set()
        self.written: list[Path] = []

    def path(self, suite: str, case: str, variant: str | None, sample: int) -> Path:
        name = (
            slug(case) + (f".{slug(variant)}" if variant else "") + (f".{sample}" if sample else "")
        )
        return self.folder / slug(suite) / f"{name}.json"

    def read(self, path: Path) -> str | None:
        self.used.add(path)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.written.append(path)

    def unused(self, suites: Iterable[str]) -> list[Path]:
        """Snapshot files of these suites that no case of this run read."""
        found: list[Path] = []
        for suite in suites:
            folder = self.folder / slug(suite)
            if folder.is_dir():
                found += [p for p in sorted(folder.glob("*.json")) if p not in self.used]
        return found
