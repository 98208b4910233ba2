"""JSON Schema (promptfoo's ``response_format``) → a strict pydantic module."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest

from evalkit.importers.schemas import (
    SchemaUnsupported,
    build_module,
    class_name,
    module_name,
    unwrap_response_format,
)
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


def load_module(source: str, name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    (folder / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_types_enums_unions_and_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {
        "type": "object",
        "title": "ticket",
        "properties": {
            "kind": {"const": "ticket"},
            "level": {"enum": [1, 2, None]},
            "score": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "owner": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "2fa": {"type": "boolean"},
            "model_config": {"type": "string"},
            "meta": {
                "type": "object",
                "properties": {"source": {"type": "string", "pattern": "^[a-z]+$"}},
                "required": ["source"],
            },
        },
        "required": ["kind", "level", "score", "tags", "owner", "2fa", "model_config", "meta"],
    }
    built = build_module(schema, "ticket", "c.yaml:4")
    module = load_module(built.source, "gen_ticket", tmp_path, monkeypatch)
    model = getattr(module, built.root)
    assert strict_problems(model) == []
    value = model.model_validate(
        {
            "kind": "ticket",
            "level": None,
            "score": 0.5,
            "tags": ["a"],
            "owner": None,
            "2fa": True,
            "model_config": "x",
            "meta": {"source": "web"},
        }
    )
    assert value.f_2fa is True and value.model_config_field == "x"
    with pytest.raises(ValueError):
        model.model_validate({**value.model_dump(by_alias=True), "tags": []})  # minItems
    with pytest.raises(ValueError):
        model.model_validate({**value.model_dump(by_alias=True), "meta": {"source": "Web"}})


@pytest.mark.parametrize(
    ("value", "name", "has_schema"),
    [
        (
            {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}}},
            "n",
            True,
        ),
        ({"type": "json_schema", "name": "n", "schema": {"type": "object"}}, "n", True),
        ({"type": "json_object"}, None, False),
        ({"type": "object", "title": "T", "properties": {}}, "T", True),
        ("text", None, False),
    ],
)
def test_response_format_shapes(value: Any, name: str | None, has_schema: bool) -> None:
    found, schema = unwrap_response_format(value)
    assert found == name and (schema is not None) == has_schema


@pytest.mark.parametrize(
    ("schema", "reason"),
    [
        (
            {"type": "object", "properties": {"a": {"type": "array"}}},
            "an array without an item schema",
        ),
        (
            {"type": "object", "properties": {"a": {"enum": [{"x": 1}]}}},
            "an enum of values other than",
        ),
        ({"type": "object", "properties": {"a": 5}}, "a schema must be an object"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": True,
            },
            "allows extra keys",
        ),
        ({"type": "object", "properties": {"a": {"allOf": []}}}, "uses 'allOf'"),
    ],
)
def test_more_schemas_strict_outputs_cannot_take(schema: dict[str, Any], reason: str) -> None:
    with pytest.raises(SchemaUnsupported, match=reason):
        build_module(schema, "x", "here")


@pytest.mark.parametrize(
    ("text", "cls", "module"),
    [
        (
            "enhanced_customer-support analysis",
            "EnhancedCustomerSupportAnalysis",
            "enhanced_customer_support_analysis",
        ),
        ("3d model", "M3dModel", None),
    ],
)
def test_class_and_module_names(text: str, cls: str, module: str | None) -> None:
    assert class_name(text) == cls
    if module is not None:
        assert module_name(text) == module
