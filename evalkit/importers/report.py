"""What an import carried over, what it changed and what it left out, with file and line.

An importer must never drop a construct silently: every promptfoo (or openai/evals) feature
that has no evalkit equivalent is recorded here as a :class:`LeftOut` with the place it was
written and what the user can do instead. The same list is printed in the terminal and
written as comments at the top of each generated suite, and decides the exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import display_path


@dataclass(frozen=True)
class Origin:
    """Where a construct was written: a file and, when known, its 1-based line."""

    file: Path
    line: int | None = None

    def __str__(self) -> str:
        where = display_path(self.file)
        return f"{where}:{self.line}" if self.line else where

    def relative(self, base: Path | None) -> str:
        """As written into generated files: relative to the config's folder, so no machine's
        absolute paths end up committed."""
        if base is None:
            return str(self)
        try:
            where = self.file.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            where = self.file.name
        return f"{where}:{self.line}" if self.line else where

    def at(self, line: int | None) -> Origin:
        return Origin(self.file, line or self.line)


@dataclass(frozen=True)
class LeftOut:
    """A construct that was not carried over, and what to do about it."""

    origin: Origin
    what: str
    fix: str

    def text(self, base: Path | None = None) -> str:
        return f"{self.origin.relative(base)}: {self.what}; {self.fix}"


@dataclass(frozen=True)
class Note:
    """Carried over, but not identically: worth a reviewer's glance."""

    origin: Origin
    text: str

    def line(self, base: Path | None = None) -> str:
        return f"{self.origin.relative(base)}: {self.text}"


@dataclass
class Report:
    """The running account of one import."""

    left_out: list[LeftOut] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    assertions_total: int = 0
    assertions_mapped: int = 0
    written: list[Path] = field(default_factory=list)

    def leave_out(self, origin: Origin, what: str, fix: str) -> None:
        item = LeftOut(origin, what, fix)
        if item not in self.left_out:
            self.left_out.append(item)

    def note(self, origin: Origin, text: str) -> None:
        item = Note(origin, text)
        if item not in self.notes:
            self.notes.append(item)

    def assertion(self, mapped: bool) -> None:
        """Count one source assertion (as written, not per expanded case)."""
        self.assertions_total += 1
        self.assertions_mapped += int(mapped)

    @property
    def share_mapped(self) -> float:
        return self.assertions_mapped / self.assertions_total if self.assertions_total else 1.0

    def summary(self) -> str:
        share = f"{self.share_mapped:.0%}" if self.assertions_total else "n/a"
        return (
            f"{self.assertions_mapped} of {self.assertions_total} assertions carried over "
            f"({share}); {len(self.left_out)} construct(s) left out, {len(self.notes)} note(s)"
        )

    def comment_lines(self, base: Path | None = None) -> list[str]:
        """The report as YAML comment lines for the top of a generated file (origins relative
        to ``base``, the imported config's folder)."""
        lines = [f"# {self.summary()}"]
        if self.left_out:
            lines.append("# Left out (not carried over; see each fix):")
            lines += [f"#   - {item.text(base)}" for item in self.left_out]
        if self.notes:
            lines.append("# Carried over with a difference:")
            lines += [f"#   - {note.line(base)}" for note in self.notes]
        return [line.replace("\n", " ") for line in lines]
