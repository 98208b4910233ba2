"""A deterministic, scriptable stand-in for a model.

Rules are tried in order against the conversation's transcript (see
:mod:`.conversation`: every message's text, earlier tool calls and tool results, image
markers); the first whose ``when`` patterns all match (and no ``unless`` pattern does) gives
the turn: a reply, tool calls, or both. With no matching rule the model calls a tool only
when ``tool_choice`` forces it (the named tool, or the first, with a minimal instance of its
parameters schema); otherwise it answers a minimal instance of the requested JSON Schema,
or echoes the last user message. The same request always gets the same answer, unless a
rule says ``p``: then it applies to a matching request with that probability (drawn per
request from the script's seeded generator) and otherwise the next rule is tried, which is
how a noisy model is scripted (right 97% of the time: ``p: 0.97`` on the right answer,
followed by the same ``when`` with the wrong one).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ConfigError
from ..io.yamlfile import line_of, load_yaml
from .conversation import Conversation, Tool, compact


class ToolCallSpec(BaseModel):
    """A call a rule makes: ``{name: lookup_order, arguments: {order_id: A1234}}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    arguments: dict[str, Any] | str = Field(
        default_factory=dict, validation_alias=AliasChoices("arguments", "args")
    )

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else compact(self.arguments)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: list[str] = []
    unless: list[str] = []  # regexes that must not match the transcript
    model: str | None = None  # a regex the requested model must match
    reply: Any = None
    tool_calls: list[ToolCallSpec] = []
    finish_reason: str = "stop"
    p: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)  # chance it applies

    @field_validator("when", "unless")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _says_something(self) -> Rule:
        if self.reply is None and not self.tool_calls:
            raise ValueError("a rule needs a `reply`, `tool_calls`, or both")
        return self

    def matches(self, model: str, transcript: str) -> bool:
        if self.model and not re.search(self.model, model):
            return False
        flags = re.IGNORECASE | re.DOTALL
        return all(re.search(p, transcript, flags) for p in self.when) and not any(
            re.search(p, transcript, flags) for p in self.unless
        )

    def text(self) -> str | None:
        if self.reply is None:
            return None
        return (
            self.reply
            if isinstance(self.reply, str)
            else json.dumps(self.reply, ensure_ascii=False)
        )


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    seed: int | None = None  # for rules with `p`; None: a different draw every start

    @classmethod
    def load(cls, path: str | Path) -> Script:
        """Rules from a YAML file; a mistake is a ``file:line`` ConfigError, never a traceback."""
        data = load_yaml(Path(path)) or {}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(
                f"{where or 'script'}: {first['msg']}", path, line_of(data, first["loc"])
            ) from None


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


@dataclass(frozen=True)
class PlannedCall:
    name: str
    arguments: str  # JSON text, as the API sends it


@dataclass(frozen=True)
class Turn:
    """One model turn before it is dressed in an API's wire format."""

    text: str | None
    calls: tuple[PlannedCall, ...] = ()
    finish_reason: str = "stop"


def _default_call(tool: Tool) -> PlannedCall:
    return PlannedCall(tool.name, compact(schema_instance(tool.parameters)))


class ScriptedModel:
    def __init__(self, script: Script | None = None):
        self.script = script or Script()
        self.rng = random.Random(self.script.seed)
        self._lock = threading.Lock()  # the server answers on several threads

    def _applies(self, rule: Rule) -> bool:
        if rule.p is None:
            return True
        with self._lock:
            return self.rng.random() < rule.p

    def turn(self, conversation: Conversation) -> Turn:
        """The turn for this conversation; tool calls only ever name tools that were sent."""
        choice = conversation.tool_choice
        if choice.mode == "none":
            allowed: set[str] = set()
        elif choice.mode == "function":
            allowed = {str(choice.name)}
        else:
            allowed = {t.name for t in conversation.tools}
        forced = choice.mode in ("required", "function") and bool(allowed)
        transcript = conversation.transcript
        for rule in self.script.rules:
            if not rule.matches(conversation.model, transcript) or not self._applies(rule):
                continue
            calls = [
                PlannedCall(c.name, c.arguments_json())
                for c in rule.tool_calls
                if c.name in allowed
            ]
            text = rule.text()
            if text is None and not calls and not forced:
                continue  # a calls-only rule whose tools were not offered: not this turn
            if forced and not calls:
                calls = [self._forced(conversation)]
                text = None  # a forced call is all the model says
            return self._shape(text, calls, conversation, rule.finish_reason)
        if forced:
            return self._shape(None, [self._forced(conversation)], conversation, "stop")
        if conversation.schema is not None:
            text = json.dumps(
                schema_instance(conversation.schema, conversation.last_user), ensure_ascii=False
            )
            return Turn(text)
        return Turn(f"You said: {conversation.last_user}")

    @staticmethod
    def _forced(conversation: Conversation) -> PlannedCall:
        choice = conversation.tool_choice
        tool = conversation.tool(str(choice.name)) if choice.mode == "function" else None
        return _default_call(tool or conversation.tools[0])

    @staticmethod
    def _shape(
        text: str | None, calls: list[PlannedCall], conversation: Conversation, finish: str
    ) -> Turn:
        if not conversation.parallel_tool_calls:
            calls = calls[:1]
        if calls and finish == "stop":
            finish = "tool_calls"
        return Turn(text, tuple(calls), finish)


def embed(text: str, dims: int = 256) -> list[float]:
    """A bag-of-words hashing embedding: texts sharing words get a high cosine similarity."""
    vector = [0.0] * dims
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        index = int.from_bytes(digest[:4], "big") % dims
        vector[index] += 1.0 if digest[4] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]
