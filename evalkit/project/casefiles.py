"""Cases kept in JSONL or CSV files (``cases_from:``): rows with the line each came from.

A row becomes a case through the same validation as a case written in the suite; these readers
only split the file into rows and say where each row starts, so every error names its line.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..io.files import read_text
from ..io.jsonfile import loads_bounded
from ..io.yamlfile import LineList


def row_lines(seq: Any, line: int | None) -> LineList:
    """JSONL and CSV rows have no line per assertion: each points at its row's line."""
    out = LineList(seq if isinstance(seq, list) else [])
    out.line = line or 0
    out.item_lines = [line or 0] * len(out)
    return out


def jsonl_rows(path: Path) -> list[tuple[Any, Path, int | None]]:
    rows: list[tuple[Any, Path, int | None]] = []
    for number, text in enumerate(read_text(path, "cases file").splitlines(), 1):
        if not text.strip():
            continue
        rows.append((loads_bounded(text, path, number, what="this line"), path, number))
    return rows


def csv_rows(path: Path) -> list[tuple[Any, Path, int | None]]:
    """CSV: an ``id`` column, ``expect.<field>`` columns, an optional ``assert`` column
    holding a JSON list; every other column is a variable. Every row has exactly as many
    cells as the header (a missing cell is an error, never the text ``None``), and quotes
    must close on the row where they open."""
    rows: list[tuple[Any, Path, int | None]] = []
    reader = csv.reader(read_text(path, "cases file").splitlines(keepends=True), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        if len(set(header)) != len(header):
            raise ConfigError("the header names a column twice", path, 1)
        line = reader.line_num + 1
        for cells in reader:
            end = reader.line_num
            if end != line and any("\n" in c for c in cells):
                raise ConfigError(
                    f"a quoted cell runs from line {line} to line {end}: close the quote on "
                    "its own row (or this row swallowed the ones after it)",
                    path,
                    line,
                )
            if not any(c.strip() for c in cells):
                line = end + 1
                continue
            if len(cells) != len(header):
                raise ConfigError(
                    f"row has {len(cells)} cells but the header has {len(header)} columns",
                    path,
                    line,
                )
            row: dict[str, Any] = {"vars": {}, "expect": {}}
            for column, value in zip(header, cells, strict=True):
                if column == "id":
                    row["id"] = value
                elif column == "description":
                    row["description"] = value
                elif column == "assert":
                    if value:
                        row["assert"] = loads_bounded(
                            value, path, line, what="the assert column (a JSON list)"
                        )
                elif column.startswith("expect."):
                    row["expect"][column.removeprefix("expect.")] = value
                else:
                    row["vars"][column] = value
            rows.append((row, path, line))
            line = end + 1
    except csv.Error as exc:
        hint = " (a quote opened on this row is never closed?)" if "end of data" in str(exc) else ""
        raise ConfigError(f"CSV error: {exc}{hint}", path, line) from None
    return rows
