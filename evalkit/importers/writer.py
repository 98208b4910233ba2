"""Writing an import into a project: inside ``--out`` only, never over an existing file.

An import is planned completely in memory first (:class:`ImportPlan`), then written in one
go: every target path is resolved against the project's configured folders (an existing
project may keep its suites or prompts elsewhere), checked to stay inside the output folder
(names come from an untrusted config and are slugged, and checked again here), and checked
not to exist, before the first byte is written. Then the new prompt versions are locked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from ..config import Settings, load_settings
from ..errors import ConfigError, display_path
from ..prompts import PromptRef, PromptStore

Base = Literal["root", "suites", "prompts"]

PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["evalkit"]

[tool.evalkit]
suites = "suites"
prompts = "prompts"
snapshots = "snapshots"
"""


def slug(text: str, fallback: str = "item") -> str:
    """A file- and id-safe slug: lower case, letters, digits and dashes."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value[:60].rstrip("-") or fallback


@dataclass(frozen=True)
class PlannedFile:
    base: Base  # which project folder ``rel`` is relative to
    rel: PurePosixPath
    content: str
    create_only_if_missing: bool = False  # package markers: fine when already there


@dataclass
class ImportPlan:
    project_name: str
    files: list[PlannedFile] = field(default_factory=list)
    prompts: list[PromptRef] = field(default_factory=list)

    def add(self, base: Base, rel: str, content: str, if_missing: bool = False) -> None:
        self.files.append(PlannedFile(base, PurePosixPath(rel), content, if_missing))


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def write_plan(plan: ImportPlan, out: Path) -> list[Path]:
    """Write every planned file under ``out``; raises ConfigError (nothing written) when a
    file exists or a path would leave ``out``. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    new_project = not (out / "pyproject.toml").is_file()
    # a new project gets evalkit's default folders; an existing one keeps its own
    settings = (
        Settings.model_validate({"root": out.resolve()})
        if new_project
        else load_settings(out.resolve())
    )
    bases: dict[Base, Path] = {
        "root": out.resolve(),
        "suites": settings.suites_dir,
        "prompts": settings.prompts_dir,
    }
    targets: list[tuple[Path, PlannedFile]] = []
    for planned in plan.files:
        if planned.rel.is_absolute() or ".." in planned.rel.parts:
            raise ConfigError(f"refusing to write {planned.rel}: not a plain relative path")
        target = bases[planned.base] / Path(*planned.rel.parts)
        if not _inside(target, out):
            raise ConfigError(
                f"refusing to write {target}: outside the output folder {out} "
                "(the project's [tool.evalkit] folders point elsewhere)"
            )
        targets.append((target, planned))
    clashes = [t for t, p in targets if t.exists() and not p.create_only_if_missing]
    if clashes:
        names = ", ".join(display_path(t) for t in clashes[:6])
        more = f" and {len(clashes) - 6} more" if len(clashes) > 6 else ""
        raise ConfigError(
            f"the import would overwrite {names}{more}; nothing was written. Import into "
            "another folder with --out, or move those files away"
        )
    written: list[Path] = []
    if new_project:
        (out / "pyproject.toml").write_text(
            PYPROJECT.format(name=plan.project_name), encoding="utf-8"
        )
        written.append(out / "pyproject.toml")
    for target, planned in targets:
        if planned.create_only_if_missing and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8", newline="\n") as handle:  # x: never overwrite
            handle.write(planned.content)
        written.append(target)
    if plan.prompts:
        store = PromptStore(settings.prompts_dir)
        store.write_lock()
        written.append(store.lock_path)
    return written
