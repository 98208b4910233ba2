"""Reviewed output snapshots: one readable JSON file per case under ``snapshots/outputs/``.

``<suite>/<case>.json`` for the suite as written, ``<suite>/@<variant>/<case>.json`` under
a named variant (``.sample-N`` before ``.json`` for repeat samples after the first). The
``snapshot`` check reads a case's file and, with ``--snapshot-update``, writes the new one;
at the end of a run the store reports the files of the suites and variants that ran whole
but that no case read, and deletes them with ``--snapshot-update``, the way syrupy does.
Other variants' snapshots are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import display_path
from ..io.files import atomic_write, read_text, slug


def snapshot_variant(variant: str | None) -> str | None:
    """A named variant keeps its own snapshots; an ad-hoc override (``prompt=...``) is held
    to the suite's own."""
    return variant if variant and "=" not in variant else None


@dataclass
class SnapshotReport:
    """What a run did to the snapshot files (for the fronts to print)."""

    written: list[Path] = field(default_factory=list)
    unused: list[Path] = field(default_factory=list)
    deleted: bool = False

    def lines(self) -> list[str]:
        out = []
        if self.written:
            out.append(f"{len(self.written)} snapshot(s) written or updated")
        names = ", ".join(display_path(p) for p in self.unused)
        if self.unused and self.deleted:
            out.append(f"{len(self.unused)} unused snapshot(s) deleted: {names}")
        elif self.unused:
            out.append(
                f"{len(self.unused)} snapshot(s) unused: {names} (delete them with --snapshot-update)"
            )
        return out


class SnapshotStore:
    def __init__(self, folder: Path, update: bool = False):
        self.folder = folder
        self.update = update
        self.used: set[Path] = set()
        self.written: list[Path] = []
        self.held: set[tuple[Path, str]] = set()  # (folder, case slug) of cases that did not run

    def folder_for(self, suite: str, variant: str | None) -> Path:
        base = self.folder / slug(suite)
        return base / f"@{slug(variant)}" if variant else base

    def path(self, suite: str, case: str, variant: str | None, sample: int) -> Path:
        name = slug(case) + (f".sample-{sample}" if sample else "")
        return self.folder_for(suite, snapshot_variant(variant)) / f"{name}.json"

    def read(self, path: Path) -> str | None:
        self.used.add(path)
        return read_text(path, "snapshot") if path.is_file() else None

    def write(self, path: Path, text: str) -> None:
        """Raises OSError when the file cannot be written."""
        atomic_write(path, text)
        self.written.append(path)

    def hold(self, suite: str, case: str, variant: str | None) -> None:
        """A case that did not run (or a sample that was not answered) never reached its
        snapshot check: its reviewed snapshots are neither used nor unused, and are kept."""
        self.held.add((self.folder_for(suite, snapshot_variant(variant)), slug(case)))

    def _held(self, path: Path) -> bool:
        return (path.parent, path.name.split(".sample-")[0].removesuffix(".json")) in self.held

    def unused(self, ran: Iterable[tuple[str, str | None]]) -> list[Path]:
        """Snapshot files of these (suite, variant) pairs that no case of this run read,
        except those of cases that did not run."""
        found: list[Path] = []
        for suite, variant in sorted(set(ran), key=lambda p: (p[0], p[1] or "")):
            folder = self.folder_for(suite, snapshot_variant(variant))
            if folder.is_dir():
                found += [
                    p
                    for p in sorted(folder.glob("*.json"))
                    if p not in self.used and not self._held(p)
                ]
        return found

    def finish(self, ran: Iterable[tuple[str, str | None]]) -> SnapshotReport:
        """After a run that covered ``ran`` whole: report unused files, and delete them
        when updating."""
        report = SnapshotReport(written=list(self.written), unused=self.unused(ran))
        if report.unused and self.update:
            for path in report.unused:
                path.unlink(missing_ok=True)
            report.deleted = True
        return report
