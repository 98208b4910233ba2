"""Which files are suites: named ones, and those found under folders (a list is a cases file)."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from ..io.files import is_regular, open_text


def is_suite_file(path: Path, named: bool = False) -> bool:
    """A ``.yaml``/``.yml`` file whose top level is not a list (a list is a cases file).
    An empty file is a suite only when it was named: then it is reported as empty."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        with open_text(path, "suite", errors="replace") as handle:
            for raw in handle:
                line = raw.strip().removeprefix("\ufeff")
                if line and not line.startswith("#") and line != "---":
                    return not line.startswith("- ") and line != "-"
    except ConfigError:
        return named  # named: read as a suite, and refused there with why (a FIFO, a folder)
    return named


def discover(paths: list[Path], settings: Settings) -> list[Path]:
    """Suite files named or found under folders; with no paths, the suites folder."""
    targets = paths or [settings.suites_dir]
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            found += sorted(p for p in target.rglob("*") if p.is_file() and is_suite_file(p))
        elif is_regular(target, "suite"):
            found.append(target)
        else:
            raise ConfigError(f"no such suite file or folder: {target}")
    return [p.resolve() for p in found]
