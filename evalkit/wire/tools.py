"""Function tools: their definitions, the calls a model makes, and scripted results.

A tool is a pydantic model (a strict function schema made from it: name from its
``tool_name`` class variable or its class name in snake_case, description from its
docstring) or an inline JSON Schema function. Each API gets its own shape (Chat Completions
nests the function, Responses flattens it). A model's tool call is untrusted input: its
arguments are kept as the text the model wrote and parsed on demand.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ..io.jsonfile import loads_value
from .request import strict_json_schema

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = True
    model: type[BaseModel] | None = None

    @classmethod
    def from_model(cls, model: type[BaseModel]) -> Tool:
        name = getattr(model, "tool_name", None) or snake_case(model.__name__)
        return cls(
            name=str(name),
            description=inspect.cleandoc(model.__doc__ or ""),
            parameters=strict_json_schema(model),
            strict=True,
            model=model,
        )

    def chat_shape(self) -> dict[str, Any]:
        function: dict[str, Any] = {"name": self.name, "parameters": self.parameters}
        if self.description:
            function["description"] = self.description
        if self.strict:
            function["strict"] = True
        return {"type": "function", "function": function}

    def responses_shape(self) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "type": "function",
            "name": self.name,
            "parameters": self.parameters,
        }
        if self.description:
            shape["description"] = self.description
        shape["strict"] = self.strict
        return shape

    def validate_arguments(self, arguments: str) -> str | None:
        """What is wrong with a call's arguments (parsed and checked against the schema);
        None when they are valid."""
        try:
            value = loads_value(arguments)
        except (ValueError, RecursionError) as exc:
            return f"arguments are not JSON ({exc})"
        if self.model is not None:
            try:
                self.model.model_validate(value)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "arguments"
                return f"{where}: {err['msg']}"
            return None
        import jsonschema  # imported when used: a heavy import at start-up

        errors = sorted(
            jsonschema.Draft202012Validator(self.parameters).iter_errors(value), key=str
        )
        if errors:
            at = "/".join(str(p) for p in errors[0].absolute_path) or "arguments"
            return f"{at}: {errors[0].message}"
        return None


def valid_tool_name(name: str) -> bool:
    return bool(_NAME.match(name))


@dataclass(frozen=True)
class ToolCall:
    """One call the model made: its id, the tool's name and the arguments as written."""

    id: str
    name: str
    arguments: str  # the model's JSON text (untrusted)
    turn: int = 0

    @property
    def parsed(self) -> Any:
        """The arguments as JSON, or the raw text when they are not JSON."""
        try:
            return loads_value(self.arguments)
        except (ValueError, RecursionError):
            return self.arguments

    def as_data(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.parsed, "id": self.id, "turn": self.turn}

    def describe(self) -> str:
        return f"{self.name}({self.arguments})"


def subset(expected: Any, got: Any) -> bool:
    """Whether ``expected`` is contained in ``got``: mappings by key (recursively), other
    values by equality."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            k in got and subset(v, got[k]) for k, v in expected.items()
        )
    return bool(expected == got)


@dataclass(frozen=True)
class ScriptedResult:
    """What a tool returns in a scripted loop: for any call of ``name``, or only for calls
    whose arguments contain ``args``."""

    name: str
    result: Any
    args: dict[str, Any] | None = None
    line: int | None = None

    def matches(self, call: ToolCall) -> bool:
        return call.name == self.name and (self.args is None or subset(self.args, call.parsed))

    def text(self) -> str:
        return (
            self.result
            if isinstance(self.result, str)
            else json.dumps(self.result, ensure_ascii=False, default=str)  # YAML dates
        )


@dataclass(frozen=True)
class Script:
    """A case's scripted tool results; a call with specific arguments wins over any call."""

    results: tuple[ScriptedResult, ...] = ()

    def answer(self, call: ToolCall) -> ScriptedResult | None:
        specific = [r for r in self.results if r.args is not None and r.matches(call)]
        if specific:
            return specific[0]
        return next((r for r in self.results if r.args is None and r.matches(call)), None)


def result_item(call: ToolCall, text: str, api: str) -> dict[str, Any]:
    """A tool's result as the next turn's input, in the API's own shape."""
    if api == "chat":
        return {"role": "tool", "tool_call_id": call.id, "content": text}
    return {"type": "function_call_output", "call_id": call.id, "output": text}
