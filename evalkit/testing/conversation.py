"""Reads a Chat Completions or Responses request into one typed :class:`Conversation`.

Both APIs carry the same things in different shapes (messages or input items, tools nested
or flat, tool results as ``role: tool`` messages or ``function_call_output`` items). The
scripted model, the token counts and the ids all work on this one view, and the request is
validated here the way the API validates it, so a malformed conversation gets OpenAI's 400.

The transcript the rules match is one line per message: its text as before (image parts
become markers, see :mod:`.images`), an assistant's tool calls as
``[tool call NAME {"arg":...}]`` and a tool result as ``[tool result NAME] TEXT``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..wire import tokens
from .errors import bad_request
from .images import read_image

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


@dataclass(frozen=True)
class Tool:
    name: str
    description: str | None
    parameters: dict[str, Any]
    strict: bool | None

    def responses_shape(self) -> dict[str, Any]:
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }


@dataclass(frozen=True)
class ToolChoice:
    mode: Literal["auto", "required", "none", "function"] = "auto"
    name: str | None = None


@dataclass
class Conversation:
    """What the scripted model sees of one request, whichever API it came through."""

    api: Literal["chat", "responses"]
    model: str
    lines: list[str]
    last_user: str
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice = field(default_factory=ToolChoice)
    parallel_tool_calls: bool = True
    schema: dict[str, Any] | None = None
    extra_input_tokens: int = 0  # tools, images and tool traffic, which tokens.input_tokens skips
    items: list[Any] = field(default_factory=list)  # responses: the conversation so far

    @property
    def transcript(self) -> str:
        return "\n".join(self.lines)

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)


def compact(value: Any) -> str:
    """JSON as the API writes tool-call arguments: no spaces, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(
            str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in value if p
        )
    return "" if value is None else str(value)


# -- tools --------------------------------------------------------------------


def _strict_problem(schema: Any, path: tuple[str, ...] = ()) -> str | None:
    """The first reason a strict schema would be refused (structured outputs' rules), or None."""
    if not isinstance(schema, dict):
        return None
    context = f"In context={path!r}, "
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return context + "'additionalProperties' is required to be supplied and to be false."
        props = schema.get("properties") or {}
        missing = [k for k in props if k not in (schema.get("required") or [])]
        if missing:
            return (
                context + "'required' is required to be supplied and to be an array including "
                f"every key in properties. Missing '{missing[0]}'."
            )
        for key, sub in props.items():
            if problem := _strict_problem(sub, (*path, "properties", key)):
                return problem
    for key in ("items",):
        if problem := _strict_problem(schema.get(key), (*path, key)):
            return problem
    for key in ("anyOf", "allOf", "oneOf"):
        for index, sub in enumerate(schema.get(key) or []):
            if problem := _strict_problem(sub, (*path, key, str(index))):
                return problem
    for key in ("$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            if problem := _strict_problem(sub, (*path, key, name)):
                return problem
    return None


def _tool(spec: dict[str, Any], param: str) -> Tool:
    name = spec.get("name")
    if not isinstance(name, str):
        raise bad_request(
            f"Missing required parameter: '{param}.name'.",
            f"{param}.name",
            "missing_required_parameter",
        )
    if not _NAME.fullmatch(name):
        raise bad_request(
            f"Invalid '{param}.name': string does not match pattern. Expected a string that "
            "matches the pattern '^[a-zA-Z0-9_-]+$'.",
            f"{param}.name",
            "invalid_value",
        )
    parameters = spec.get("parameters")
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise bad_request(
            f"Invalid type for '{param}.parameters': expected an object.",
            f"{param}.parameters",
            "invalid_type",
        )
    strict = spec.get("strict")
    if strict is True and (problem := _strict_problem(parameters)):
        raise bad_request(
            f"Invalid schema for function '{name}': {problem}",
            f"{param}.parameters",
            "invalid_function_parameters",
        )
    description = spec.get("description")
    return Tool(name, description if isinstance(description, str) else None, parameters, strict)


def _tools(body: dict[str, Any], api: Literal["chat", "responses"]) -> list[Tool]:
    raw = body.get("tools")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("Invalid type for 'tools': expected an array.", "tools", "invalid_type")
    tools: list[Tool] = []
    for index, spec in enumerate(raw):
        if not isinstance(spec, dict) or spec.get("type", "function") != "function":
            continue  # built-in tools (web search, ...) are never called by this model
        if api == "chat":
            function = spec.get("function")
            if not isinstance(function, dict):
                raise bad_request(
                    f"Missing required parameter: 'tools[{index}].function'.",
                    f"tools[{index}].function",
                    "missing_required_parameter",
                )
            tools.append(_tool(function, f"tools[{index}].function"))
        else:
            tools.append(_tool(spec, f"tools[{index}]"))
    seen: set[str] = set()
    for tool in tools:
        if tool.name in seen:
            raise bad_request(
                f"Invalid 'tools': duplicate function name '{tool.name}'.", "tools", "invalid_value"
            )
        seen.add(tool.name)
    return tools


def _tool_choice(body: dict[str, Any], tools: list[Tool], api: str) -> ToolChoice:
    raw = body.get("tool_choice")
    if raw is not None and not body.get("tools") and api == "chat":
        raise bad_request(
            "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are "
            "specified.",
            "tool_choice",
        )
    if body.get("parallel_tool_calls") is not None and not body.get("tools") and api == "chat":
        raise bad_request(
            "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed "
            "when 'tools' are specified.",
            "parallel_tool_calls",
        )
    if raw is None or raw == "auto":
        return ToolChoice("auto")
    if raw in ("required", "none"):
        return ToolChoice(raw)
    if isinstance(raw, dict) and raw.get("type") == "function":
        function = raw.get("function") if api == "chat" else raw
        name = function.get("name") if isinstance(function, dict) else None
        if not any(t.name == name for t in tools):
            raise bad_request(
                f"Invalid value for 'tool_choice': no function named '{name}' was specified in "
                "the 'tools' parameter.",
                "tool_choice",
                "invalid_value",
            )
        return ToolChoice("function", name)
    if isinstance(raw, dict):
        return ToolChoice("auto")  # allowed_tools, built-in tool choices: not modelled
    raise bad_request(
        f"Invalid value: '{raw}'. Supported values are: 'none', 'auto', and 'required'.",
        "tool_choice",
        "invalid_value",
    )


# -- chat ---------------------------------------------------------------------


def _chat_content(content: Any, index: int) -> tuple[str, int]:
    """(text with image markers, image tokens) of a chat message's content."""
    if not isinstance(content, list):
        return _text_of(content), 0
    parts: list[str] = []
    image_tokens = 0
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            continue
        if part.get("type") == "image_url":
            spec = part.get("image_url")
            param = f"messages[{index}].content[{j}].image_url.url"
            url = spec.get("url") if isinstance(spec, dict) else spec
            detail = spec.get("detail") if isinstance(spec, dict) else None
            image = read_image(url, detail, f"image URL: '{param}'", param)
            parts.append(image.marker())
            image_tokens += image.tokens
        else:
            parts.append(str(part.get("text", part.get("refusal", ""))))
    return " ".join(parts), image_tokens


def read_chat(body: dict[str, Any]) -> Conversation:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request("'messages' must be a non-empty array")
    if body.get("stream_options") is not None and not body.get("stream"):
        raise bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    model = str(body["model"])
    tools = _tools(body, "chat")
    choice = _tool_choice(body, tools, "chat")
    lines: list[str] = []
    last_user = ""
    extra = 0
    pending: dict[str, str] = {}  # calls of the latest assistant turn not yet answered
    pending_at = -1
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise bad_request(
                f"Invalid type for 'messages[{i}]': expected an object.",
                f"messages[{i}]",
                "invalid_type",
            )
        role = message.get("role")
        if role not in _CHAT_ROLES:
            raise bad_request(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                f"messages[{i}].role",
                "invalid_value",
            )
        if role != "tool" and pending:
            raise _unanswered(pending, pending_at)
        text, image_tokens = _chat_content(message.get("content"), i)
        extra += image_tokens
        if role == "tool":
            call_id = message.get("tool_call_id")
            if pending_at < 0:
                raise bad_request(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages.[{i}].role",
                )
            if call_id not in pending:
                raise bad_request(
                    f"Invalid parameter: 'tool_call_id' of '{call_id}' not found in 'tool_calls' "
                    "of previous message.",
                    f"messages.[{i}].tool_call_id",
                )
            lines.append(f"[tool result {pending.pop(call_id)}] {text}")
            continue
        pending_at = -1
        lines.append(text)
        if role == "user":
            last_user = text
        if role == "assistant" and message.get("tool_calls"):
            pending, pending_at = _assistant_calls(message["tool_calls"], i, lines), i
            extra += sum(
                tokens.count(model, str((c.get("function") or {}).get("arguments", "")))
                for c in message["tool_calls"]
                if isinstance(c, dict)
            )
    if pending:
        raise _unanswered(pending, pending_at)
    fmt = body.get("response_format") or {}
    schema = (
        (fmt.get("json_schema") or {}).get("schema")
        if fmt.get("type") == "json_schema"
        else fmt.get("schema")
    )
    if tools:
        extra += tokens.count(model, compact(body.get("tools")))
    return Conversation(
        api="chat",
        model=model,
        lines=lines,
        last_user=last_user,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        schema=schema,
        extra_input_tokens=extra,
    )


def _assistant_calls(raw: Any, index: int, lines: list[str]) -> dict[str, str]:
    if not isinstance(raw, list):
        raise bad_request(
            f"Invalid type for 'messages[{index}].tool_calls': expected an array.",
            f"messages[{index}].tool_calls",
            "invalid_type",
        )
    made: dict[str, str] = {}
    for j, call in enumerate(raw):
        param = f"messages[{index}].tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(call, dict) or not isinstance(call.get("id"), str):
            raise bad_request(
                f"Missing required parameter: '{param}.id'.",
                f"{param}.id",
                "missing_required_parameter",
            )
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_request(
                f"Missing required parameter: '{param}.function'.",
                f"{param}.function",
                "missing_required_parameter",
            )
        made[call["id"]] = function["name"]
        lines.append(f"[tool call {function['name']} {function.get('arguments', '')}]")
    return made


def _unanswered(pending: dict[str, str], at: int) -> Exception:
    return bad_request(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to "
        "each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        + ", ".join(pending),
        f"messages.[{at}].role",
    )


# -- responses ----------------------------------------------------------------


def _responses_content(content: Any, index: int) -> tuple[str, int]:
    if not isinstance(content, list):
        return _text_of(content), 0
    parts: list[str] = []
    image_tokens = 0
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            continue
        if part.get("type") == "input_image":
            param = f"input[{index}].content[{j}].image_url"
            if part.get("image_url") is None and isinstance(part.get("file_id"), str):
                parts.append(f"[image file {part['file_id']}]")
                image_tokens += 85
                continue
            image = read_image(part.get("image_url"), part.get("detail"), f"'{param}'", param)
            parts.append(image.marker())
            image_tokens += image.tokens
        else:
            parts.append(str(part.get("text", part.get("refusal", ""))))
    return " ".join(parts), image_tokens


def read_responses(
    body: dict[str, Any], previous: Callable[[str], list[Any] | None]
) -> Conversation:
    """``previous`` looks up a stored response's conversation for ``previous_response_id``."""
    raw = body.get("input")
    items = [{"role": "user", "content": raw}] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items:
        raise bad_request("'input' must be a string or a non-empty array")
    model = str(body["model"])
    prior: list[Any] = []
    if (previous_id := body.get("previous_response_id")) is not None:
        found = previous(str(previous_id))
        if found is None:
            raise bad_request(
                f"Previous response with id '{previous_id}' not found.",
                "previous_response_id",
                "previous_response_not_found",
            )
        prior = found
    tools = _tools(body, "responses")
    choice = _tool_choice(body, tools, "responses")
    lines: list[str] = []
    if body.get("instructions"):
        lines.append(_text_of(body["instructions"]))
    last_user = ""
    extra = 0
    calls: dict[str, str] = {}
    answered: set[str] = set()
    for position, item in enumerate([*prior, *items]):
        i = position - len(prior)  # the index in this request's `input`
        if not isinstance(item, dict):
            raise bad_request(
                f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]", "invalid_type"
            )
        kind = item.get("type", "message")
        if kind == "function_call":
            call_id, name = item.get("call_id"), item.get("name")
            if not isinstance(call_id, str) or not isinstance(name, str):
                raise bad_request(
                    f"Missing required parameter: 'input[{i}].call_id'.",
                    f"input[{i}].call_id",
                    "missing_required_parameter",
                )
            calls[call_id] = name
            arguments = str(item.get("arguments", ""))
            lines.append(f"[tool call {name} {arguments}]")
            extra += tokens.count(model, arguments)
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if call_id not in calls:
                raise bad_request(
                    f"No tool call found for function call output with call_id {call_id}.", "input"
                )
            answered.add(str(call_id))
            output = _text_of(item.get("output"))
            lines.append(f"[tool result {calls[str(call_id)]}] {output}")
            extra += tokens.count(model, output)
        elif kind == "message":
            text, image_tokens = _responses_content(item.get("content"), i)
            extra += image_tokens
            lines.append(text)
            if item.get("role") == "user":
                last_user = text
        # reasoning items, item references and built-in tool calls carry nothing to match on
    for call_id in calls:
        if call_id not in answered:
            raise bad_request(f"No tool output found for function call {call_id}.", "input")
    fmt = (body.get("text") or {}).get("format") or {}
    if tools:
        extra += tokens.count(model, compact(body.get("tools")))
    return Conversation(
        api="responses",
        model=model,
        lines=lines,
        last_user=last_user,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        schema=fmt.get("schema") if fmt.get("type") == "json_schema" else None,
        extra_input_tokens=extra,
        items=[*prior, *items],
    )
