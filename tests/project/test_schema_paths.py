"""project/schema_paths.py: a path is refused only where the schema says for certain that
the field cannot be there."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from evalkit.project.schema_paths import path_problem


class Line(BaseModel):
    name: str


class Other(BaseModel):
    code: int


class Invoice(BaseModel):
    currency: str = Field(alias="Currency")
    lines: list[Line]
    meta: dict[str, Any]
    free: Any = None
    note: str | None = None
    pair: tuple[int, Line]
    either: Line | Other


SCHEMA = Invoice.model_json_schema()


@pytest.mark.parametrize(
    "path",
    [
        "Currency",
        "lines",
        "lines[0]",
        "lines[3].name",
        "meta.anything.deeper",
        "free.x[2].y",
        "note",
        "pair[1].name",
        "either.name",
        "either.code",
    ],
)
def test_paths_the_schema_allows(path: str) -> None:
    assert path_problem(SCHEMA, path) is None


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("currency", "the schema has no field 'currency' at the top (did you mean Currency?)"),
        ("lines[0].nme", "the schema has no field 'nme' at lines[0] (did you mean name?)"),
        ("lines.name", "lines is array in the schema, not an object"),
        ("note.x", "note is null or string in the schema, not an object"),
        ("Currency[0]", "Currency is not a list in the schema"),
        ("pair[0].x", "pair[0] is integer in the schema, not an object"),
        ("either.zzz", "the schema has no field 'zzz' at either; it has code, name"),
    ],
)
def test_paths_the_schema_cannot_have(path: str, said: str) -> None:
    problem = path_problem(SCHEMA, path)
    assert problem is not None and problem.startswith(f"path {path!r}: ") and said in problem
