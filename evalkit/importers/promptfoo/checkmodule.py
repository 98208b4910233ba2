"""The Python module of checks an import generates (``checks_imported/<name>.py``).

Assertions evalkit has no type for (``contains-json``, ``levenshtein``, ``word-count``,
promptfoo ``python`` adapters) become one function each in a single module per import,
referenced from the suites as ``{type: python, fn: module:function}``. Values from the
config are embedded as Python literals of plain JSON data (never as code), and each
function's docstring says which assertion, in which file and line, it replaces.

The module is the user's from then on, so it imports nothing from evalkit: the helpers its
functions call (:mod:`.helpers`) are copied into it as source.
"""

from __future__ import annotations

import inspect
import keyword
import pprint
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..report import Origin
from ..sources import plain
from .helpers import HELPERS

PACKAGE = "checks_imported"
# Names a copied user module must not be imported as (the module's own names).
_TAKEN = {"json", "math", "re", "jsonschema", "Any", "value", "obs", *HELPERS}


def literal(value: Any, indent: int = 0) -> str:
    """A Python literal for JSON data (dicts, lists, strings, numbers, booleans, None)."""
    text = pprint.pformat(plain(value), sort_dicts=False, width=88 - indent)
    return text.replace("\n", "\n" + " " * indent)


@dataclass
class _Function:
    name: str
    doc: str
    body: list[str]


@dataclass
class CheckModule:
    """Functions generated for one import, written as one module."""

    name: str  # module file stem, e.g. promptfoo_getting_started
    base: Path | None = None  # the config's folder: origins are written relative to it
    functions: list[_Function] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    helpers: set[str] = field(default_factory=set)  # names in HELPERS the functions call
    constants: list[str] = field(default_factory=list)
    copies: dict[Path, str] = field(default_factory=dict)  # user file → module stem
    _counts: dict[str, int] = field(default_factory=dict)

    @property
    def dotted(self) -> str:
        return f"{PACKAGE}.{self.name}"

    def add(
        self,
        kind: str,
        origin: Origin,
        what: str,
        body: list[str],
        imports: set[str],
        detail: str = "",
        helpers: frozenset[str] = frozenset(),
    ) -> str:
        """Add a function (or find the identical one); returns its reference for a
        ``python`` check. The same assertion mapped for several cases or suites is one
        function. ``helpers`` names the functions of :mod:`.helpers` the body calls."""
        unknown = helpers - set(HELPERS)
        assert not unknown, f"no such helper: {unknown}"
        self.helpers |= helpers
        doc = f"promptfoo {what}, from {origin.relative(self.base)}."
        if detail:
            doc += (
                "\n\n"
                + "\n".join(f"    {line}" if line else "" for line in detail.split("\n"))
                + "\n"
            )
        for existing in self.functions:
            if existing.body == body and existing.doc == doc:
                self.imports |= imports
                return f"{self.dotted}:{existing.name}"
        self._counts[kind] = self._counts.get(kind, 0) + 1
        name = f"{kind}_{self._counts[kind]}"
        self.functions.append(_Function(name, doc, body))
        self.imports |= imports
        return f"{self.dotted}:{name}"

    def constant(self, stem: str, value: Any) -> str:
        """A module-level constant holding config data (one per distinct value); returns
        its name."""
        text = literal(value)
        for line in self.constants:
            name, _, existing = line.partition(" = ")
            if existing == text and name.startswith(stem.upper() + "_"):
                return name
        name = f"{stem.upper()}_{len(self.constants) + 1}"
        self.constants.append(f"{name} = {text}")
        return name

    def copy_user_file(self, path: Path) -> str:
        """A promptfoo python assertion file, copied into the package; returns its module."""
        if path not in self.copies:
            stem = re.sub(r"\W", "_", path.stem).strip("_") or "checks"
            taken = set(self.copies.values())
            module, n = f"{self.name}_{stem}", 2
            while module in taken:
                module, n = f"{self.name}_{stem}_{n}", n + 1
            self.copies[path] = module
        return f"{PACKAGE}.{self.copies[path]}"

    def alias(self, module: str) -> str:
        """The short name a copied user module is imported as (its original file stem)."""
        stem = module.rsplit(".", 1)[-1].removeprefix(self.name + "_")
        usable = stem.isidentifier() and not keyword.iskeyword(stem) and stem not in _TAKEN
        return stem if usable else module.rsplit(".", 1)[-1]

    def __bool__(self) -> bool:
        return bool(self.functions)

    def source(self, config: str) -> str:
        lines = [
            f'"""Checks generated by `evalkit import promptfoo {config}`.',
            "",
            "One function per promptfoo assertion that evalkit has no check type for; each",
            "follows evalkit's python check protocol: (value, observation) -> bool, a score,",
            "or (bool, reason). The helpers below them are promptfoo's rules, written out here",
            "so this module depends on nothing but the standard library.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
        ]
        stdlib = {m for m in self.imports if m in ("json", "math", "re")}
        stdlib |= {"json", "re"} & {m for n in self.helpers for m in _HELPER_IMPORTS[n]}
        lines += [f"import {m}" for m in sorted(stdlib)]
        lines.append("from typing import Any")
        if "jsonschema" in self.imports:
            lines += ["", "import jsonschema"]
        users = sorted(m for m in self.imports if m.startswith(f"{PACKAGE}."))
        if users:
            lines.append("")
            lines += [f"import {module} as {self.alias(module)}" for module in users]
        if self.constants:
            lines += ["", *self.constants]
        for function in self.functions:
            lines += ["", "", f"def {function.name}(value: Any, obs: Any) -> Any:"]
            lines += [
                "    " + line if line else "" for line in _docstring(function.doc).split("\n")
            ]
            lines += [f"    {line}" if line else "" for line in function.body]
        for name in sorted(self.helpers):
            lines += ["", "", inspect.getsource(HELPERS[name]).rstrip("\n")]
        return "\n".join(lines) + "\n"


# The standard modules each helper's source uses (it is copied without its module).
_HELPER_IMPORTS = {
    "promptfoo_context": (),
    "promptfoo_result": (),
    "contains_json": ("json",),
    "levenshtein": (),
    "word_count": ("re",),
}


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', "'''") + '"""'
