"""``evalkit init [DIR]``'s files: a working example project, ready to gate PRs.

The files come from ``evalkit/templates/init`` (the same example this repository runs);
nothing is overwritten. The recordings are made on the spot against the bundled testing
server by :mod:`evalkit.runs.example` (a run is above this layer), so ``pytest --evalkit
suites/`` passes at once, offline.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from ..errors import ConfigError
from ..io.files import read_text
from ..prompts import PromptStore

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "init"
_SKIP = {"pyproject.toml.tmpl", "README-section.md"}


def _files() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATE.rglob("*")
        if p.is_file() and p.name not in _SKIP and "__pycache__" not in p.parts
    )


def scaffold(folder: Path, requirement: str) -> list[Path]:
    """Write the example project into ``folder``, its ``pyproject.toml`` depending on
    evalkit as ``requirement``; refuses to overwrite anything."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = [folder / p.relative_to(TEMPLATE) for p in _files()]
    clashes = [t for t in targets if t.exists()]
    if (folder / "pyproject.toml").exists():
        clashes.append(folder / "pyproject.toml")
    if clashes:
        names = ", ".join(str(c.relative_to(folder)) for c in clashes[:5])
        raise ConfigError(
            f"evalkit init would overwrite {names}; run it in an empty folder or a new one", folder
        )
    written = []
    for source, target in zip(_files(), targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-.") or "evals"
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        read_text(TEMPLATE / "pyproject.toml.tmpl")
        .replace("{name}", name)
        .replace("{requirement}", json.dumps(requirement)),
        encoding="utf-8",
    )
    readme = folder / "README.md"
    section = read_text(TEMPLATE / "README-section.md")
    with readme.open("a", encoding="utf-8") as handle:
        handle.write(section if readme.stat().st_size else f"# {name}\n" + section)
    ignore = folder / ".gitignore"
    lines = ignore.read_text(encoding="utf-8").splitlines() if ignore.exists() else []
    if ".evalkit/" not in lines:  # run results are local; recordings and snapshots are committed
        ignore.write_text("\n".join([*lines, ".evalkit/", ""]).lstrip("\n"), encoding="utf-8")
    PromptStore(folder / "prompts").write_lock()
    return [*written, pyproject, readme, ignore, folder / "prompts" / "evalkit.lock"]
