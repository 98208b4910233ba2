"""Reading what a config points at: ``file://`` globs relative to the config, rows with the
line they start on, and config data as plain JSON values."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.importers.report import Origin
from evalkit.importers.sources import csv_rows, expand, file_ref, jsonl_rows, plain


def test_file_refs_and_globs(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    for name in ("b.yaml", "a.yaml", "c.txt"):
        (tmp_path / "t" / name).write_text("x")
    origin = Origin(tmp_path / "c.yaml", 4)
    assert file_ref("file://t/a.yaml") == "t/a.yaml" and file_ref("t/a.yaml") is None
    assert [p.name for p in expand("t/*.yaml", tmp_path, origin)] == ["a.yaml", "b.yaml"]
    assert [p.name for p in expand("t", tmp_path, origin)] == ["a.yaml", "b.yaml", "c.txt"]
    assert [p.name for p in expand("t/a.yaml:fn", tmp_path, origin)] == ["a.yaml"]
    with pytest.raises(ConfigError, match=r"c\.yaml:4: file not found: t/none\*"):
        expand("t/none*", tmp_path, origin)


def test_rows_keep_their_lines(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text('q,__expected\n"multi\nline",x\nsecond,y\n')
    rows = csv_rows(csv, Origin(csv))
    assert [(r.value["q"], r.origin.line) for r in rows] == [("multi\nline", 2), ("second", 4)]
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"a": 1}\n\n{"a": 2}\nnope\n')
    with pytest.raises(ConfigError, match=r"t\.jsonl:4: this line is not JSON"):
        jsonl_rows(jsonl, Origin(jsonl))
    jsonl.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert [r.origin.line for r in jsonl_rows(jsonl, Origin(jsonl))] == [1, 3]


def test_plain_values() -> None:
    assert plain({"d": datetime.date(2024, 1, 2), "n": [1, None]}) == {
        "d": "2024-01-02",
        "n": [1, None],
    }
