"""JSON Schema (promptfoo's ``response_format``) → a strict pydantic module."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from evalkit.importers.schemas import SchemaUnsupported, build_module
from evalkit.wire.strict import strict_problems


def test_schema_module_is_strict_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = {
        "type": "object",
        "description": "A support analysis",
        "properties": {
            "summary": {"type": "string", "description": "One line", "maxLength": 200},
            "urgency": {"type": "string", "enum": ["1", "2", "3"]},
            "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
            "class": {"type": ["string", "null"]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
        },
        "required": ["summary", "urgency", "actions", "score"],
        "$defs": {
            "action": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "done": {"type": "boolean"}},
                "required": ["name", "done"],
            }
        },
    }
    module = build_module(schema, "support analysis", "c.yaml:3")
    assert module.root == "SupportAnalysis"
    assert any("schema.class is optional" in n for n in module.notes)
    (tmp_path / "gen_support.py").write_text(module.source)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("gen_support", None)
    import gen_support  # type: ignore[import-not-found]

    model = gen_support.SupportAnalysis
    assert strict_problems(model) == []
    value = model.model_validate(
        {
            "summary": "s",
            "urgency": "2",
            "actions": [{"name": "a", "done": False}],
            "class": None,
            "score": 0.5,
        }
    )
    assert value.class_field is None
    properties = model.model_json_schema()["properties"]
    assert properties["urgency"]["enum"] == ["1", "2", "3"]
    assert "class" in properties  # the JSON name is kept through an alias


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        ({"type": "object", "additionalProperties": {"type": "string"}}, "free-form object"),
        ({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}, "uses 'oneOf'"),
        ({"type": "object", "properties": {"a": {}}}, "no type"),
        (
            {"type": "object", "properties": {"a": {"$ref": "http://x"}}},
            "not to a local definition",
        ),
    ],
)
def test_schemas_strict_outputs_cannot_take(schema: dict[str, Any], reason: str) -> None:
    with pytest.raises(SchemaUnsupported, match=reason):
        build_module(schema, "x", "here")
