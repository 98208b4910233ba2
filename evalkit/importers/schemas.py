"""A JSON Schema (promptfoo's ``response_format``) → the source of a pydantic module.

evalkit binds a suite to a pydantic model and sends its strict JSON Schema, so a provider's
``response_format`` schema becomes ``schemas/<name>.py``. Only what strict structured
outputs accept is generated (named object fields, enums, arrays, unions with null, ``$ref``
to definitions, descriptions and simple bounds); a schema with anything else (free-form
objects, ``oneOf``, ``allOf``, ``patternProperties``...) raises :class:`SchemaUnsupported`,
and the importer then sends the original ``response_format`` unchanged instead.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ..errors import SchemaUnsupported

_UNSUPPORTED = (
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "dependentRequired",
    "dependentSchemas",
    "prefixItems",
)
_FIELD_BOUNDS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_length",
    "maxItems": "max_length",
    "pattern": "pattern",
}
_BASEMODEL_NAMES = set(dir(BaseModel))


def class_name(text: str) -> str:
    """``enhanced_customer-support analysis`` → ``EnhancedCustomerSupportAnalysis``."""
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Output"
    return f"M{name}" if name[0].isdigit() else name


def module_name(text: str) -> str:
    """A Python module name (snake case) for ``text``."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower())
    name = "_".join(words) or "output"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = f"m_{name}"
    return name


@dataclass
class SchemaModule:
    """The generated source, the root class name, and remarks for the report."""

    source: str
    root: str
    notes: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, root_schema: dict[str, Any]):
        self.root = root_schema
        self.defs: dict[str, Any] = {
            **root_schema.get("definitions", {}),
            **root_schema.get("$defs", {}),
        }
        self.classes: dict[str, list[str]] = {}  # name → source lines, in dependency order
        self.by_id: dict[int, str] = {}
        self.ref_names: dict[str, str] = {}
        self.notes: list[str] = []
        self.uses_literal = False
        self.uses_field = False
        self.used: set[str] = set()

    def unique(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self.used:
            name = f"{wanted}{n}"
            n += 1
        self.used.add(name)
        return name

    def type_of(self, schema: Any, hint: str, where: str) -> str:
        if not isinstance(schema, dict):
            raise SchemaUnsupported(f"{where}: a schema must be an object")
        for key in _UNSUPPORTED:
            if key in schema:
                raise SchemaUnsupported(f"{where}: uses {key!r}")
        if "$ref" in schema:
            return self.ref(schema["$ref"], where)
        if "const" in schema:
            self.uses_literal = True
            return f"Literal[{_lit(schema['const'])}]"
        if "enum" in schema:
            values = schema["enum"]
            if not values or not all(
                isinstance(v, (str, int, float, bool)) or v is None for v in values
            ):
                raise SchemaUnsupported(f"{where}: an enum of values other than strings or numbers")
            self.uses_literal = True
            plain = [v for v in values if v is not None]
            text = f"Literal[{', '.join(_lit(v) for v in plain)}]" if plain else "None"
            return f"{text} | None" if None in values and plain else text
        if "anyOf" in schema:
            options = [self.type_of(o, hint, where) for o in schema["anyOf"]]
            return " | ".join(dict.fromkeys(options))
        kind = schema.get("type")
        if isinstance(kind, list):
            options = [self.type_of({**schema, "type": k}, hint, where) for k in kind]
            return " | ".join(dict.fromkeys(options))
        if kind == "string":
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "null":
            return "None"
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict):
                raise SchemaUnsupported(f"{where}: an array without an item schema")
            return f"list[{self.type_of(items, hint, where + '[]')}]"
        if kind == "object" or "properties" in schema:
            return self.model(schema, hint, where)
        raise SchemaUnsupported(f"{where}: no type (strict structured outputs need one)")

    def ref(self, ref: str, where: str) -> str:
        match = re.fullmatch(r"#/(?:\$defs|definitions)/(.+)", ref)
        if not match or match.group(1) not in self.defs:
            raise SchemaUnsupported(f"{where}: the reference {ref!r} is not to a local definition")
        key = match.group(1)
        if key not in self.ref_names:
            self.ref_names[key] = self.unique(class_name(key))
            self.model(self.defs[key], key, f"$defs.{key}", name=self.ref_names[key])
        return self.ref_names[key]

    def model(self, schema: dict[str, Any], hint: str, where: str, name: str | None = None) -> str:
        if id(schema) in self.by_id:
            return self.by_id[id(schema)]
        properties = schema.get("properties")
        if not properties or not isinstance(properties, dict):
            raise SchemaUnsupported(
                f"{where}: a free-form object (no properties); strict outputs need named fields"
            )
        if (
            isinstance(schema.get("additionalProperties"), dict)
            or schema.get("additionalProperties") is True
        ):
            raise SchemaUnsupported(f"{where}: additionalProperties allows extra keys")
        name = name or self.unique(class_name(schema.get("title") or hint))
        self.by_id[id(schema)] = name
        required = set(schema.get("required", []))
        lines = [f"class {name}(BaseModel):"]
        if schema.get("description"):
            lines.append(f"    {_docstring(str(schema['description']))}")
            lines.append("")
        for prop, sub in properties.items():
            annotation = self.type_of(sub, prop, f"{where}.{prop}")
            if prop not in required:
                if "None" not in annotation.split(" | "):
                    annotation = f"{annotation} | None"
                self.notes.append(
                    f"{where}.{prop} is optional in the source schema; strict structured "
                    "outputs require every field, so it is required and may be null"
                )
            attr, alias = _attribute(prop)
            args: list[str] = []
            if alias:
                args.append(f"alias={_lit(alias)}")
            if isinstance(sub, dict):
                if sub.get("description"):
                    args.append(f"description={_lit(str(sub['description']))}")
                for key, arg in _FIELD_BOUNDS.items():
                    if key in sub and not isinstance(sub[key], bool):
                        args.append(f"{arg}={_lit(sub[key])}")
            if args:
                self.uses_field = True
                lines.append(f"    {attr}: {annotation} = Field({', '.join(args)})")
            else:
                lines.append(f"    {attr}: {annotation}")
        self.classes[name] = lines
        return name


def _lit(value: Any) -> str:
    """A Python literal for a JSON scalar (double-quoted strings, as ruff formats them)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def _attribute(prop: str) -> tuple[str, str | None]:
    """A Python attribute for a JSON property, and the alias when they differ."""
    attr = re.sub(r"\W", "_", prop)
    if not attr or attr[0].isdigit():
        attr = f"f_{attr}"
    if keyword.iskeyword(attr) or attr in _BASEMODEL_NAMES or attr.startswith("_"):
        attr = f"{attr.strip('_')}_field"
    return attr, (prop if attr != prop else None)


def unwrap_response_format(value: Any) -> tuple[str | None, dict[str, Any] | None]:
    """promptfoo's ``response_format`` in any of its shapes → (name, JSON schema), or
    (None, None) for ``{"type": "json_object"}`` / ``text``."""
    if not isinstance(value, dict):
        return None, None
    if value.get("type") == "json_schema":
        inner = value.get("json_schema", value)
        schema = inner.get("schema")
        return inner.get("name"), schema if isinstance(schema, dict) else None
    if value.get("type") in ("json_object", "text"):
        return None, None
    if "properties" in value or value.get("type") == "object":
        return value.get("title"), value
    return None, None


def build_module(schema: dict[str, Any], name: str, origin: str) -> SchemaModule:
    """The pydantic module for ``schema``; raises SchemaUnsupported."""
    builder = _Builder(schema)
    root = builder.model(schema, name, "schema", name=builder.unique(class_name(name)))
    header = [
        f'"""Output schema imported by `evalkit import` from {origin}.',
        "",
        "Generated from the provider's response_format JSON Schema; edit freely (it is yours now).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    typing_names = ["Literal"] if builder.uses_literal else []
    if typing_names:
        header.append(f"from typing import {', '.join(typing_names)}")
        header.append("")
    header.append(f"from pydantic import BaseModel{', Field' if builder.uses_field else ''}")
    body: list[str] = []
    for lines in builder.classes.values():
        body += ["", "", *lines]
    source = "\n".join(header + body) + "\n"
    return SchemaModule(source=source, root=root, notes=builder.notes)
