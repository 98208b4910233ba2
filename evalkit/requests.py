"""Case × Target → the canonical API request, and the hash recordings are keyed by.

The hash covers exactly what the API sees (endpoint and JSON body) plus the sample index,
serialised with sorted keys, so it is stable across runs, processes and dict ordering,
and any change to the prompt, model, params or schema gives a new key.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .prompts import Message, PromptStore
from .suite import Case, Target

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


def _schema_instruction(schema: dict[str, Any]) -> str:
    return "Respond only with JSON that validates against this JSON Schema:\n" + json.dumps(
        schema, indent=2
    )


def build_messages(target: Target, case: Case, prompts: PromptStore) -> list[Message]:
    messages = prompts.render(target.prompt, {**target.vars, **case.vars})
    if target.schema_model is not None and target.structured == "prompt":
        instruction = _schema_instruction(strict_json_schema(target.schema_model))
        if messages and messages[0].role in ("system", "developer"):
            first = messages[0]
            messages[0] = Message(first.role, f"{first.content}\n\n{instruction}")
        else:
            messages.insert(0, Message("system", instruction))
    return messages


def build_request(target: Target, messages: list[Message], sample: int = 0) -> Request:
    body: dict[str, Any] = {"model": target.model}
    wire = [m.as_dict() for m in messages]
    schema = strict_json_schema(target.schema_model) if target.schema_model is not None else None
    name = target.schema_model.__name__ if target.schema_model is not None else ""
    if target.api == "chat":
        body["messages"] = wire
        body.update(target.params)
        if schema is not None and target.structured == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": True},
            }
        elif schema is not None and target.structured == "json_object":
            body["response_format"] = {"type": "json_object", "schema": schema}
        return Request(endpoint="chat.completions", body=body, sample=sample)
    body["input"] = wire
    body.update(target.params)
    if schema is not None and target.structured == "json_schema":
        body["text"] = {
            "format": {"type": "json_schema", "name": name, "schema": schema, "strict": True}
        }
    elif schema is not None and target.structured == "json_object":
        body["text"] = {"format": {"type": "json_object"}}
    return Request(endpoint="responses", body=body, sample=sample)


def embedding_request(model: str, texts: list[str]) -> Request:
    return Request(endpoint="embeddings", body={"model": model, "input": texts})
