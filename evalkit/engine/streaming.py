"""Streamed answers assembled into the body a plain request would have got.

Checks, recordings and replay never care whether a case streamed: a stream is read to its
end, its deltas joined into the same body shape (text, tool calls, finish reason, usage),
and the time to the first token is kept beside it. A stream that breaks before its end
raises, and nothing half-assembled is kept.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any


class StreamBroken(Exception):
    """The stream ended before its last event."""


def _dump(value: Any) -> Any:
    return (
        value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value
    )


async def read_chat(
    chunks: AsyncIterator[Any], started: float
) -> tuple[dict[str, Any], float | None]:
    """Chat Completions chunks → a ``chat.completion`` body, and the ms to the first token."""
    head: dict[str, Any] = {}
    content: list[str] = []
    refusal: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    usage: dict[str, Any] | None = None
    ttft: float | None = None
    async for chunk in chunks:
        data = _dump(chunk)
        if not head:
            head = {
                k: data[k] for k in ("id", "created", "model", "system_fingerprint") if k in data
            }
        if data.get("usage"):
            usage = data["usage"]
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            if ttft is None and (
                delta.get("content") or delta.get("tool_calls") or delta.get("refusal")
            ):
                ttft = (time.perf_counter() - started) * 1000
            if delta.get("content"):
                content.append(delta["content"])
            if delta.get("refusal"):
                refusal.append(delta["refusal"])
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(
                    int(call.get("index", len(calls))),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                slot["id"] = call.get("id") or slot["id"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    if finish is None:
        raise StreamBroken("the stream ended without a finish reason")
    message: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(content) if content else None,
        "refusal": "".join(refusal) if refusal else None,
    }
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    body = {
        **head,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
    }
    if usage is not None:
        body["usage"] = usage
    return body, ttft


_FIRST = (
    "response.output_text.delta",
    "response.function_call_arguments.delta",
    "response.refusal.delta",
)
_LAST = ("response.completed", "response.incomplete", "response.failed")


async def read_responses(
    events: AsyncIterator[Any], started: float
) -> tuple[dict[str, Any], float | None]:
    """Responses API events → the final response body (from its last event)."""
    ttft: float | None = None
    async for event in events:
        kind = getattr(event, "type", "")
        if ttft is None and kind in _FIRST:
            ttft = (time.perf_counter() - started) * 1000
        if kind in _LAST:
            return _dump(event.response), ttft
        if kind == "error":
            raise StreamBroken(f"the stream reported an error: {getattr(event, 'message', '')}")
    raise StreamBroken("the stream ended before response.completed")
