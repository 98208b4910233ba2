"""Does a pydantic model fit OpenAI's strict structured outputs? Checked without an API call.

evalkit closes every object and marks every property required when it sends a schema, so
what remains to catch is what strict mode cannot express: free-form mappings (``dict``),
values with no type (``Any``), and unsupported keywords. Each problem names the field and,
where the source can be read, the file and line of its declaration.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

UNSUPPORTED = (
    "allOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "oneOf",
)
_TYPED = ("type", "$ref", "anyOf", "enum", "const")


@dataclass(frozen=True)
class SchemaProblem:
    field: str
    message: str
    file: Path | None
    line: int | None


def _models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``model``'s fields, by the name its schema uses."""
    found: dict[str, type[BaseModel]] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for info in tp.model_fields.values():
                visit(info.annotation)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(model)
    return found


def _where(cls: type[BaseModel] | None, name: str) -> tuple[Path | None, int | None]:
    if cls is None:
        return None, None
    try:
        lines, start = inspect.getsourcelines(cls)
        file = Path(inspect.getsourcefile(cls) or "")
    except (OSError, TypeError):
        return None, None
    pattern = re.compile(rf"^\s+{re.escape(name)}\s*:")
    for offset, text in enumerate(lines):
        if pattern.match(text):
            return file, start + offset
    return file, start


def strict_problems(model: type[BaseModel]) -> list[SchemaProblem]:
    schema = model.model_json_schema()
    classes = _models(model)
    problems: list[SchemaProblem] = []
    if schema.get("type") != "object" or "properties" not in schema:
        file, line = _where(model, "root")
        return [
            SchemaProblem(
                model.__name__,
                "is not an object with named fields at the root (a list or a single value): "
                "strict structured outputs need an object; wrap it in a model with one field",
                file,
                line,
            )
        ]

    def report(owner: str, field: str, message: str) -> None:
        file, line = _where(classes.get(owner), field.split(".")[-1].split("[")[0])
        problems.append(
            SchemaProblem(
                f"{model.__name__}.{field}" if owner == model.__name__ else f"{owner}.{field}",
                message,
                file,
                line,
            )
        )

    def check(node: dict[str, Any], owner: str, field: str) -> None:
        for key in UNSUPPORTED:
            if key in node:
                report(
                    owner, field, f"uses {key!r}, which strict structured outputs do not support"
                )
        if not any(key in node for key in _TYPED):
            report(
                owner, field, "has no type (Any): strict structured outputs need a concrete type"
            )
        if node.get("type") == "object" and "properties" not in node:
            report(
                owner,
                field,
                "is a free-form mapping (dict): strict structured outputs need a model with named fields",
            )
        elif (
            isinstance(node.get("additionalProperties"), dict)
            or node.get("additionalProperties") is True
        ):
            report(owner, field, "allows extra keys (additionalProperties): use named fields only")
        for option in node.get("anyOf", []):
            check(option, owner, field)
        if isinstance(node.get("items"), dict):
            check(node["items"], owner, f"{field}[]")

    def walk_model(node: dict[str, Any], owner: str) -> None:
        for name, sub in node.get("properties", {}).items():
            check(sub, owner, name)

    walk_model(schema, model.__name__)
    for name, definition in schema.get("$defs", {}).items():
        walk_model(definition, name)
    return problems
