"""Reading assertion values as promptfoo does: numbers and booleans as their text, Nunjucks
templates over the case's vars, ``file://`` values, schemas in JSON or YAML, lists as
comma-separated text, and the grader and embedding models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.importers.yamlout import Comment

from .conftest import Mapper


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (30, "30"), (2.0, "2"), (0.5, "0.5"), ("x", "x")],
)
def test_scalar_values_as_promptfoo_writes_them(value: Any, text: str, m: Mapper) -> None:
    assert m.checks({"type": "contains", "value": value}) == [{"type": "contains", "value": text}]


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ({"type": "contains"}, "`contains` without a value"),
        ({"type": "contains", "value": {"a": 1}}, "`contains` with a dict value"),
        ({"type": "contains-any", "value": []}, "`contains-any` without a list of values"),
        ({"type": "equals", "value": "file://none.txt"}, "the file file://none.txt does not exist"),
        ({"type": "equals", "value": "file://bad.json"}, "the file file://bad.json does not parse"),
        ({"type": "is-json", "value": "{a: [1"}, "a JSON schema that is neither JSON nor YAML"),
        ({"type": "is-json", "value": "[1, 2]"}, "a JSON schema that is not an object"),
        ({"type": "contains", "value": "{{ x | shout }}"}, "a templated value (the filter `shout`"),
        ({"type": "contains", "value": "{{ missing }}"}, "a templated value that does not render"),
    ],
)
def test_values_that_cannot_be_read(raw: dict[str, Any], what: str, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{nope")
    m = Mapper(tmp_path)
    items = m(raw, vars={"x": "a"})
    assert isinstance(items[0], Comment), items
    assert what in m.report.left_out[0].what


def test_file_values_json_yaml_and_text(tmp_path: Path) -> None:
    (tmp_path / "v.json").write_text(json.dumps({"a": [1, 2]}))
    (tmp_path / "v.yaml").write_text("a: [1, 2]\n")
    (tmp_path / "v.txt").write_text("exact text")
    (tmp_path / "rubric.txt").write_text("Is polite")
    m = Mapper(tmp_path)
    assert m.checks({"type": "equals", "value": "file://v.json"}) == [
        {"type": "equals", "value": {"a": [1, 2]}}
    ]
    assert m.checks({"type": "equals", "value": "file://v.yaml"})[0]["value"] == {"a": [1, 2]}
    assert m.checks({"type": "equals", "value": "file://v.txt"}) == [
        {"type": "equals", "value": "exact text"}
    ]
    assert m.checks({"type": "llm-rubric", "value": "file://rubric.txt"})[0]["rubric"] == (
        "Is polite"
    )


def test_schemas_as_yaml_text_or_files(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text(json.dumps({"type": "object", "required": ["a"]}))
    m = Mapper(tmp_path)
    expected = [{"type": "json_schema", "value": {"type": "object", "required": ["a"]}}]
    assert m.checks({"type": "is-json", "value": "type: object\nrequired: [a]\n"}) == expected
    assert m.checks({"type": "is-json", "value": '{"type": "object", "required": ["a"]}'}) == (
        expected
    )
    assert m.checks({"type": "is-json", "value": "file://s.json"}) == expected
    assert m.checks({"type": "is-json", "value": "  "}) == [{"type": "is_json"}]


def test_lists_as_comma_separated_templates(m: Mapper) -> None:
    raw = {"type": "contains-all", "value": "{{ a }}, b"}
    assert m.checks(raw, vars={"a": "x"}) == [
        {"type": "contains", "value": "x"},
        {"type": "contains", "value": "b"},
    ]


def test_grader_given_as_an_object_or_something_else(m: Mapper) -> None:
    assert (
        m.checks(
            {"type": "llm-rubric", "value": "r", "provider": {"id": "openai:gpt-4o-2024-08-06"}}
        )[0]["model"]
        == "gpt-4o-2024-08-06"
    )
    assert m.checks({"type": "llm-rubric", "value": "r"}, grader=42)[0]["model"] == (
        "gpt-5.5-2026-04-23"
    )
    assert any("is not a provider id" in n.text for n in m.report.notes)
    similar = m.checks(
        {"type": "similar", "value": "v", "provider": "openai:chat:gpt-4o-2024-08-06"}
    )
    assert similar[0]["model"] == "text-embedding-3-large"
    assert any("not an OpenAI embedding model" in n.text for n in m.report.notes)
