"""A deterministic, scriptable stand-in for a model.

Rules are tried in order against the conversation (every message's text, joined); the
first whose ``when`` patterns all match gives the reply. With no matching rule the reply
is derived from the requested JSON Schema (a minimal valid instance), or echoes the last
user message. The same request always gets the same answer.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: list[str] = []
    model: str | None = None  # a regex the requested model must match
    reply: Any
    finish_reason: str = "stop"

    def matches(self, model: str, transcript: str) -> bool:
        if self.model and not re.search(self.model, model):
            return False
        return all(re.search(p, transcript, re.IGNORECASE | re.DOTALL) for p in self.when)

    def text(self) -> str:
        return (
            self.reply
            if isinstance(self.reply, str)
            else json.dumps(self.reply, ensure_ascii=False)
        )


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> Script:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return cls.model_validate(data)


def _instance(schema: dict[str, Any], defs: dict[str, Any], hint: str) -> Any:
    if "$ref" in schema:
        return _instance(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs, hint)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return _instance(schema[key][0], defs, hint)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object" or "properties" in schema:
        return {
            name: _instance(sub, defs, hint) for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return []
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return hint[:80]


def schema_instance(schema: dict[str, Any], hint: str = "") -> Any:
    return _instance(schema, schema.get("$defs", {}), hint)


class ScriptedModel:
    def __init__(self, script: Script | None = None):
        self.script = script or Script()

    def reply(
        self, model: str, messages: list[dict[str, Any]], schema: dict[str, Any] | None
    ) -> tuple[str, str]:
        transcript = "\n".join(_content(m) for m in messages)
        for rule in self.script.rules:
            if rule.matches(model, transcript):
                return rule.text(), rule.finish_reason
        last_user = next((_content(m) for m in reversed(messages) if m.get("role") == "user"), "")
        if schema is not None:
            return json.dumps(schema_instance(schema, last_user), ensure_ascii=False), "stop"
        return f"You said: {last_user}", "stop"


def _content(message: dict[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def embed(text: str, dims: int = 256) -> list[float]:
    """A bag-of-words hashing embedding: texts sharing words get a high cosine similarity."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dims
        vector[index] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]
