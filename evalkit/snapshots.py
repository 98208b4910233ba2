"""Reviewed output snapshots: one readable JSON file per case under ``snapshots/outputs/``.

``<suite>/<case>.json`` for the suite as written, ``<suite>/@<variant>/<case>.json`` under
a named variant (``.sample-N`` before ``.json`` for repeat samples after the first). The
engine reads a case's snapshot before its checks run and, with ``--snapshot-update``, writes
the new one after; at the end of a run, files of the suites and variants that ran whole but
that no case read are reported as unused (and deleted with ``--snapshot-update``), the way
syrupy reports its own. Other variants' snapshots are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .engine.recordings import slug


def snapshot_variant(variant: str | None) -> str | None:
    """A named variant keeps its own snapshots; an ad-hoc override (``prompt=...``) is held
    to the suite's own."""
    return variant if variant and "=" not in variant else None


class SnapshotStore:
    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[Path] = set()
        self.written: list[Path] = []

    def folder_for(self, suite: str, variant: str | None) -> Path:
        base = self.folder / slug(suite)
        return base / f"@{slug(variant)}" if variant else base

    def path(self, suite: str, case: str, variant: str | None, sample: int) -> Path:
        name = slug(case) + (f".sample-{sample}" if sample else "")
        return self.folder_for(suite, variant) / f"{name}.json"

    def read(self, path: Path) -> str | None:
        self.used.add(path)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.written.append(path)

    def unused(self, ran: Iterable[tuple[str, str | None]]) -> list[Path]:
        """Snapshot files of these (suite, variant) pairs that no case of this run read."""
        found: list[Path] = []
        for suite, variant in sorted(set(ran), key=lambda p: (p[0], p[1] or "")):
            folder = self.folder_for(suite, variant)
            if folder.is_dir():
                found += [p for p in sorted(folder.glob("*.json")) if p not in self.used]
        return found
