"""YAML that remembers where each node came from, and pydantic errors turned into lines.

Pydantic reports errors by location path (``cases.3.assert.0.value``); users need the line
in their file. Mappings and sequences loaded here keep the line of every key and item, so
an error path can be turned back into a line: :func:`located_error` is the one place a
pydantic error becomes a ``file:line: message``.

YAML is untrusted input: aliases can expand exponentially (a "billion laughs") and nesting
can exhaust the stack, so a document is measured, aliases expanded, before it is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .files import read_text

MAX_NODES = 5_000_000  # nodes after alias expansion: far above any real suite
MAX_DEPTH = 100


class LineDict(dict[str, Any]):
    """A mapping with the 1-based line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence with the 1-based line of itself and of each item."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConfigError("a mapping key must be a plain value", None, line) from None
        if key in out:
            raise ConfigError(
                f"duplicate key {key!r} (first at line {out.key_lines[key]})", None, line
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def _measure(root: yaml.Node) -> None:
    """Refuse documents whose expanded size or depth is unreasonable, before building them."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"YAML nested more than {MAX_DEPTH} levels deep", None, node.start_mark.line + 1
            )
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += size(key, depth + 1) + size(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child, depth + 1)
        if total > MAX_NODES:
            raise ConfigError(
                f"YAML expands to more than {MAX_NODES:,} values (aliases repeated too often?)",
                None,
                node.start_mark.line + 1,
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def parse_yaml(text: str, path: str | Path) -> Any:
    """Safe-load YAML text; syntax errors become ``path:line`` ConfigErrors."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _measure(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except ConfigError as exc:
        raise ConfigError(exc.message, path, exc.line) from None
    except RecursionError:
        raise ConfigError(f"YAML nested more than {MAX_DEPTH} levels deep", path) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        if (
            exc.context
            and exc.context_mark
            and exc.problem_mark
            and exc.context_mark.line != exc.problem_mark.line
        ):
            problem += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise ConfigError(f"YAML syntax error: {problem}", path, line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses: NUL, other controls
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        code = (
            exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        )
        raise ConfigError(
            f"character U+{code:04X} is not allowed in YAML: delete it (control characters "
            "other than tab and newline cannot appear, even in quotes)",
            path,
            line,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", path, None) from None


def load_yaml(path: Path) -> Any:
    return parse_yaml(read_text(path, "YAML file"), path)


def line_of(data: Any, loc: Sequence[Any], default: int | None = None) -> int | None:
    """The line of the deepest node of ``loc`` that exists in ``data``."""
    line = getattr(data, "line", None) or default
    node = data
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def located_error(
    exc: ValidationError,
    data: Any,
    file: str | Path | None,
    *,
    prefix: str = "",
    line: int | None = None,
    skip: Sequence[str] = ("assert_",),
) -> ConfigError:
    """The first pydantic error as ``file:line: where: what`` (``line`` when the data has
    no line of its own, as JSONL and CSV rows do not)."""
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if p not in skip]
    found = line_of(data, loc, line)
    where = ".".join(str(p) for p in loc)
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and loc:
        message = f"unknown field {loc[-1]!r}"
        where = ".".join(str(p) for p in loc[:-1])
    elif err["type"] == "missing" and loc:
        message = f"missing required field {loc[-1]!r}"
        where = ".".join(str(p) for p in loc[:-1])
    where = f"{prefix}{where}".strip(". ")
    return ConfigError(f"{where}: {message}" if where else message, file, found)
