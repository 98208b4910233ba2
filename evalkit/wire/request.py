"""Canonical API requests, and the hash recordings are keyed by.

The hash covers exactly what the API sees (endpoint and JSON body) plus the sample index,
serialised with sorted keys, so it is stable across runs, processes and dict ordering,
and any change to the prompt, model, params or schema gives a new key. Building a request
is pure: the suite's planning and a check's own calls (a judge) use the same function.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from .messages import Message

Api = Literal["chat", "responses"]
Structured = Literal["json_schema", "json_object", "prompt"]
STRUCTURED: tuple[Structured, ...] = ("json_schema", "json_object", "prompt")
APIS: tuple[Api, ...] = ("chat", "responses")

Endpoint = Literal["chat.completions", "responses", "embeddings"]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Request(BaseModel):
    model_config = ConfigDict(frozen=True)

    endpoint: Endpoint
    body: dict[str, Any]
    sample: int = 0

    @cached_property
    def key(self) -> str:
        payload: dict[str, Any] = {"endpoint": self.endpoint, "body": self.body}
        if self.sample:
            payload["sample"] = self.sample
        return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:32]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))


@functools.cache
def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON Schema in the form OpenAI's strict structured outputs accept:
    every object closed (additionalProperties false) with every property required.
    Cached per model and shared by every request: treat it as read-only."""
    schema = copy.deepcopy(model.model_json_schema())

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" or "properties" in node:
                node.setdefault("properties", {})
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            node.pop("default", None)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(schema)
    return schema


def schema_instruction(schema: dict[str, Any]) -> str:
    return "Respond only with JSON that validates against this JSON Schema:\n" + json.dumps(
        schema, indent=2
    )


def with_schema_instruction(messages: Sequence[Message], schema: dict[str, Any]) -> list[Message]:
    """``structured: prompt``: the schema is appended to the first system message (or
    becomes one)."""
    out = list(messages)
    instruction = schema_instruction(schema)
    if out and out[0].role in ("system", "developer"):
        first = out[0]
        content = (
            f"{first.content}\n\n{instruction}"
            if isinstance(first.content, str)
            else (*first.content, instruction)
        )
        out[0] = Message(first.role, content)
    else:
        out.insert(0, Message("system", instruction))
    return out


Wire = dict[str, Any]  # a message or input item already in an API's own shape


class ToolShape(Protocol):
    """A function tool, as each API wants it (evalkit.wire.tools.Tool)."""

    def chat_shape(self) -> dict[str, Any]: ...

    def responses_shape(self) -> dict[str, Any]: ...


def tool_choice_shape(choice: str | dict[str, str] | None, api: str) -> Any:
    """``auto``/``required``/``none``, or ``{name: X}`` in each API's own shape."""
    if choice is None or isinstance(choice, str):
        return choice
    name = choice["name"]
    if api == "chat":
        return {"type": "function", "function": {"name": name}}
    return {"type": "function", "name": name}


def build_request(
    *,
    model: str,
    api: Api,
    messages: Sequence[Message | Wire],
    params: dict[str, Any],
    schema: type[BaseModel] | None = None,
    structured: Structured = "json_schema",
    sample: int = 0,
    tools: Sequence[ToolShape] = (),
    tool_choice: str | dict[str, str] | None = None,
    parallel_tool_calls: bool | None = None,
    stream: bool = False,
) -> Request:
    """The request the API sees for these messages, in the chosen API's own shape.
    ``messages`` may mix rendered :class:`Message` objects and items already in the API's
    shape (earlier turns of a tool loop)."""
    body: dict[str, Any] = {"model": model}
    json_schema = strict_json_schema(schema) if schema is not None else None
    rendered = [m for m in messages if isinstance(m, Message)]
    if json_schema is not None and structured == "prompt" and rendered:
        replaced = with_schema_instruction(rendered, json_schema)
        if len(replaced) > len(rendered):
            messages = [replaced[0], *messages]
        else:
            messages = [replaced[0] if m is rendered[0] else m for m in messages]
    wire = [m.wire(api) if isinstance(m, Message) else m for m in messages]
    name = schema.__name__ if schema is not None else ""
    if api == "chat":
        body["messages"] = wire
    else:
        body["input"] = wire
    body.update(params)
    if tools:
        body["tools"] = [t.chat_shape() if api == "chat" else t.responses_shape() for t in tools]
        if tool_choice is not None:
            body["tool_choice"] = tool_choice_shape(tool_choice, api)
        if parallel_tool_calls is not None:
            body["parallel_tool_calls"] = parallel_tool_calls
    if stream:
        body["stream"] = True
        if api == "chat":
            body["stream_options"] = {"include_usage": True}
    if api == "chat":
        if json_schema is not None and structured == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": json_schema, "strict": True},
            }
        elif json_schema is not None and structured == "json_object":
            body["response_format"] = {"type": "json_object", "schema": json_schema}
        return Request.model_construct(endpoint="chat.completions", body=body, sample=sample)
    if json_schema is not None and structured == "json_schema":
        body["text"] = {
            "format": {"type": "json_schema", "name": name, "schema": json_schema, "strict": True}
        }
    elif json_schema is not None and structured == "json_object":
        body["text"] = {"format": {"type": "json_object"}}
    return Request.model_construct(endpoint="responses", body=body, sample=sample)


def embedding_request(model: str, text: str) -> Request:
    """One text's embedding request: recordings are kept per text, whatever batch it was
    sent in."""
    return Request(endpoint="embeddings", body={"model": model, "input": [text]})


def merge_embeddings(requests: Sequence[Request]) -> Request:
    """One-text embedding requests of one model as one batched call."""
    texts = [t for r in requests for t in r.body["input"]]
    return Request(endpoint="embeddings", body={"model": requests[0].model, "input": texts})
