"""Reading exported Evals API objects: an eval, a run, an items JSONL, bounded and located.

The files come from outside (an export a colleague sent, a pull request), so each is read
with bounds before anything walks it: at most :data:`MAX_FILE_BYTES` on disk, JSON by
:func:`evalkit.io.jsonfile.loads_bounded` (64 levels deep, finite numbers), then, when the
file is small enough, once more as YAML so every value keeps its line and the import report
can say ``eval.json:14: testing_criteria[2] ...``. A bad file is a :class:`ConfigError` as
``file:line: what is wrong``; nothing is written.

The shapes are the API's as documented (openai-python ``types/eval_*`` and
``types/evals/run_*``): an eval ``{id, object: "eval", name, data_source_config,
testing_criteria, metadata}``, a run ``{id, object: "eval.run", eval_id, model, name,
data_source}``. A file holding a list response (``{"object": "list", "data": [...]}``) of
exactly one object is read as that object, since that is what ``GET /v1/evals`` exports.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ...io import files
from ...io.jsonfile import loads_bounded
from ...io.yamlfile import LineDict, LineList, parse_yaml
from ..report import Origin

MAX_FILE_BYTES = 32 * 1024 * 1024  # an eval with its items inline stays far below this
MAX_LINED_BYTES = 2 * 1024 * 1024  # above this, lines are not looked up (YAML is slow)
MAX_ITEMS = 50_000


@dataclass(frozen=True)
class Located:
    """A JSON value with the file it came from; ``line`` looks up a key's or item's line."""

    value: Any
    origin: Origin

    def line(self, *path: str | int) -> Origin:
        """Where ``path`` (keys and list indexes) inside this value was written: the
        deepest part of it that has a line."""
        node, line = self.value, self.origin.line
        for step in path:
            if isinstance(node, LineDict) and isinstance(step, str) and step in node:
                line = node.key_lines.get(step, line)
                node = node[step]
            elif isinstance(node, LineList) and isinstance(step, int) and step < len(node):
                line = node.item_lines[step] or line
                node = node[step]
            else:
                break
        return self.origin.at(line)


def read_object(path: Path, what: str) -> Located:
    """An exported JSON object (``what``: "the eval", "the run"), bounded, with lines."""
    data = files.read_bytes(path, what, limit=MAX_FILE_BYTES)
    value = loads_bounded(data, path, what=what)
    if len(data) <= MAX_LINED_BYTES:
        with contextlib.suppress(ConfigError, UnicodeDecodeError):
            value = parse_yaml(data.decode("utf-8"), path)  # the same data, with lines
    if (
        isinstance(value, dict)
        and value.get("object") == "list"
        and isinstance(value.get("data"), list)
        and len(value["data"]) == 1
    ):
        value = value["data"][0]
    if not isinstance(value, dict):
        raise ConfigError(f"{what} is not a JSON object (an API object starts with {{)", path, 1)
    return Located(value, Origin(path.resolve(), getattr(value, "line", None) or 1))


def expect_object(path: Path, located: Located, kind: str, what: str) -> None:
    """``object`` says what the file is, when it says: a run given as the eval is named."""
    said = located.value.get("object")
    if said is not None and said != kind:
        origin = located.line("object")
        raise ConfigError(
            f'{what} has "object": {str(said)[:40]!r}, expected {kind!r}: pass the eval '
            "object first and the run with --run",
            path,
            origin.line,
        )


@dataclass(frozen=True)
class Item:
    """One data row (the case's vars), and the sample the hosted run had made, if given."""

    item: dict[str, Any]
    origin: Origin
    sample: Any = None


def items_jsonl(path: Path) -> list[Item]:
    """``{"item": {...}}`` lines (with an optional ``sample``), or plain objects."""
    text = files.read_bytes(path, "the items file", limit=MAX_FILE_BYTES)
    try:
        decoded = text.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"not UTF-8 (byte {exc.start}): save the items file as UTF-8",
            path,
            text[: exc.start].count(b"\n") + 1,
        ) from None
    rows: list[Item] = []
    for number, line in enumerate(decoded.splitlines(), 1):
        if not line.strip():
            continue
        value = loads_bounded(line, path, number, what="this line")
        rows.append(item_of(value, Origin(path.resolve(), number)))
        if len(rows) > MAX_ITEMS:
            raise ConfigError(f"more than {MAX_ITEMS:,} items: split the file", path, number)
    if not rows:
        raise ConfigError("the items file holds no items", path, 1)
    return rows


def item_of(value: Any, origin: Origin) -> Item:
    """A ``file_content`` row or a JSONL line as an :class:`Item`."""
    if isinstance(value, dict) and isinstance(value.get("item"), dict):
        extra = set(value) - {"item", "sample"}
        if not extra:
            return Item(dict(value["item"]), origin, value.get("sample"))
    if isinstance(value, dict):
        return Item(dict(value), origin)
    raise ConfigError(
        f'an item must be a JSON object ({{"item": {{...}}}} or the fields themselves), '
        f"not {type(value).__name__}",
        origin.file,
        origin.line,
    )
