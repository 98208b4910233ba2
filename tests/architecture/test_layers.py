"""The package's layers, enforced: each module imports only from its own layer or the layers
below it, so data flows one way (files → wire → results → checks → project → engine → fronts)
and a newcomer can read the tree bottom-up. docs/project/architecture.md explains each layer;
this test keeps the document true."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import evalkit

PACKAGE = Path(evalkit.__file__).parent
# Lowest first. A module may import from its own layer and any earlier one.
LAYERS = [
    {"errors"},
    {"io"},
    {"stats"},
    {"wire"},
    {"config", "options"},
    {"prompts"},
    {"results"},
    {"checks"},
    {"project"},
    {"engine"},
    {"testing"},
    {"compare"},
    {"runs"},
    {"analysis", "apprecord"},
    {"view"},
    {"importers"},
    {"cli", "pytest_plugin"},
]
TOP = {"__init__", "__main__"}  # the public API and `python -m evalkit` sit above every layer
MAX_LINES = 620
MAX_TOP_MODULES = 8


def _layer(top: str) -> int:
    if top in TOP:
        return len(LAYERS)
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"evalkit/{top} is in no layer: add it to LAYERS and the docs")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, evalkit top-level name) for every import of evalkit in one module, including
    imports inside functions; those under ``if TYPE_CHECKING`` too, since they are circles the
    type checker sees."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(PACKAGE).with_suffix("").parts
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "evalkit" and len(parts) > 1:
                    found.append((node.lineno, parts[1]))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "evalkit":
                    continue
                names = parts[1:] or [a.name for a in node.names]
            else:
                package = list(relative[:-1])  # a module's package; __init__'s own
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                names = base + (node.module.split(".") if node.module else [])
                if not names:
                    names = [a.name for a in node.names]
            found.append((node.lineno, names[0]))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_layer_or_below(path: Path) -> None:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__main__":
        return  # `python -m evalkit.X` entry points are fronts, above every layer
    own = parts[0]
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports evalkit.{top} (layer {_layer(top)}) "
        f"from layer {_layer(own)}"
        for line, top in _imports(path)
        if top != own and _layer(top) > _layer(own)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_stays_small_enough_to_read(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines: split it by job"


def test_the_top_level_holds_few_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_MODULES, top


def test_the_layer_reader_sees_relative_and_absolute_imports() -> None:
    # The reader itself must not go blind: a known module's known imports are found.
    found = {top for _, top in _imports(PACKAGE / "compare" / "diff.py")}
    assert {"results", "stats", "compare"} <= found
