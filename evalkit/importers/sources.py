"""Reading the files a promptfoo config points at, keeping each item's file and line.

``file://`` references (with globs) are resolved relative to the config's folder; YAML and
JSON keep their line numbers through :func:`evalkit.io.yamlfile.parse_yaml`, CSV and JSONL
rows keep theirs, so every report entry can name the line a construct came from.
"""

from __future__ import annotations

import csv
import glob
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io import files
from ..io.jsonfile import loads_bounded
from ..io.yamlfile import LineDict, LineList, parse_yaml
from .report import Origin


def plain(value: Any) -> Any:
    """Config data as plain JSON values (YAML dates and the like become strings)."""
    return json.loads(json.dumps(value, default=str))


@dataclass(frozen=True)
class Row:
    """One item read from a file, with where it came from."""

    value: Any
    origin: Origin


def file_ref(value: Any) -> str | None:
    """The path of a ``file://`` reference, or None."""
    if isinstance(value, str) and value.startswith("file://"):
        return value.removeprefix("file://")
    return None


def expand(ref: str, base: Path, origin: Origin) -> list[Path]:
    """A path or glob relative to ``base`` → the files it names (sorted); a ConfigError when
    none exists."""
    pattern = ref.split(":", 1)[0] if _has_function_suffix(ref) else ref
    full = base / pattern
    if any(ch in pattern for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
    elif full.is_dir():
        found = sorted(p for p in full.rglob("*") if p.is_file())
    else:
        found = [full] if full.is_file() else []
    if not found:
        raise ConfigError(f"file not found: {ref} (relative to {base})", origin.file, origin.line)
    return [p.resolve() for p in found]


def _has_function_suffix(ref: str) -> bool:
    """``checks.py:fn`` names a function; ``C:\\x`` is a Windows drive."""
    head, sep, tail = ref.rpartition(":")
    return bool(sep) and "." in head and tail.isidentifier()


def read_text(path: Path, origin: Origin) -> str:
    """A file a config refers to, read as UTF-8 (a regular file only: never a FIFO)."""
    return files.read_text(path, "the file")


def load_structured(path: Path, origin: Origin) -> Any:
    """A YAML or JSON file with line numbers (JSON is read as YAML where it can be)."""
    text = read_text(path, origin)
    if path.suffix.lower() == ".json":
        data = loads_bounded(text, path)  # JSON's own rules and bounds first
        try:
            return parse_yaml(text, path)  # the same data, with lines
        except ConfigError:
            return data
    return parse_yaml(text, path)


def rows_of(data: Any, path: Path) -> list[Row]:
    """The items of a list loaded from ``path``, each with its line."""
    if not isinstance(data, list):
        raise ConfigError("expected a list of test cases", path, getattr(data, "line", 1) or 1)
    lines = data.item_lines if isinstance(data, LineList) else [None] * len(data)
    return [Row(item, Origin(path, line)) for item, line in zip(data, lines, strict=True)]


def jsonl_rows(path: Path, origin: Origin) -> list[Row]:
    rows: list[Row] = []
    for number, text in enumerate(read_text(path, origin).splitlines(), 1):
        if not text.strip():
            continue
        rows.append(Row(loads_bounded(text, path, number, what="this line"), Origin(path, number)))
    return rows


def csv_rows(path: Path, origin: Origin) -> list[Row]:
    """CSV rows as dicts of strings, each with the line it starts on."""
    rows: list[Row] = []
    try:
        with files.open_text(path, "the file", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None:
                return []
            line = reader.line_num + 1
            for record in reader:
                if None in record:
                    raise ConfigError("row has more cells than the header has columns", path, line)
                rows.append(Row({k: v or "" for k, v in record.items()}, Origin(path, line)))
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"cannot read CSV: {exc}", path) from None
    return rows


def key_line(node: Any, key: str, default: int | None = None) -> int | None:
    if isinstance(node, LineDict):
        return node.key_lines.get(key, node.line or default)
    return default


def item_lines(node: Any) -> list[int | None]:
    if isinstance(node, LineList):
        return list(node.item_lines)
    return [getattr(node, "line", None)] * (len(node) if isinstance(node, list) else 0)
