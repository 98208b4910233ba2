"""Project roots made importable one after another in one process (a test session, a
notebook): each resolves its own ``schemas`` package, never the first one's cached copy."""

from __future__ import annotations

import sys
from pathlib import Path

from evalkit.checks.python import import_object
from evalkit.config import activate_root


def _project(root: Path, module: str, value: str) -> Path:
    package = root / "schemas"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / f"{module}.py").write_text(f"VALUE = {value!r}\n")
    return root


def test_a_second_project_imports_its_own_modules(tmp_path: Path) -> None:
    first = _project(tmp_path / "first", "triage", "first")
    second = _project(tmp_path / "second", "support", "second")
    before = list(sys.path)
    try:
        activate_root(first)
        assert import_object("schemas.triage:VALUE") == "first"
        activate_root(second)
        assert import_object("schemas.support:VALUE") == "second"  # not first's `schemas`
        activate_root(first)
        assert import_object("schemas.triage:VALUE") == "first"
        assert sys.path[0] == str(first)
        assert sys.modules["evalkit.config"].activate_root is activate_root  # evalkit stays
    finally:
        sys.path[:] = before
        for name in [n for n in sys.modules if n == "schemas" or n.startswith("schemas.")]:
            del sys.modules[name]
