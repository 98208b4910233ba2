"""Streamed answers assembled into the body a plain request would have got.

Checks, recordings and replay never care whether a case streamed: a stream is read to its
end, its deltas joined into the same body shape (text, tool calls, finish reason, usage),
and the time to the first token is kept beside it. A stream that breaks before its end
raises, and nothing half-assembled is kept. So does one that sends an event that is not
JSON (the SDK's ``json.loads`` of an SSE ``data:`` line) or not of the event's shape: a
:class:`StreamBroken`, which the live engine retries like a dropped connection, never a
JSONDecodeError or AttributeError out of the run.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from ..errors import StreamBroken


def _dump(value: Any) -> Any:
    return (
        value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value
    )


async def read_chat(
    chunks: AsyncIterator[Any], started: float
) -> tuple[dict[str, Any], float | None]:
    """Chat Completions chunks → a ``chat.completion`` body, and the ms to the first token."""
    try:
        return await _read_chat(chunks, started)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise StreamBroken(f"the stream sent a malformed event ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:120]}"


async def _read_chat(
    chunks: AsyncIterator[Any], started: float
) -> tuple[dict[str, Any], float | None]:
    """Reads the SDK's chunk objects by attribute (no per-chunk dump: a stream has many)."""
    head: dict[str, Any] = {}
    content: list[str] = []
    refusal: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish: str | None = None
    usage: dict[str, Any] | None = None
    ttft: float | None = None
    async for chunk in chunks:
        if not head:
            head = {
                k: getattr(chunk, k)
                for k in ("id", "created", "model", "system_fingerprint")
                if getattr(chunk, k, None) is not None
            }
        if getattr(chunk, "usage", None) is not None:
            usage = _dump(chunk.usage)
        for choice in chunk.choices or ():
            delta = choice.delta
            text = getattr(delta, "content", None)
            refused = getattr(delta, "refusal", None)
            tool_calls = getattr(delta, "tool_calls", None)
            if ttft is None and (text or tool_calls or refused):
                ttft = (time.perf_counter() - started) * 1000
            if text:
                content.append(text)
            if refused:
                refusal.append(refused)
            for call in tool_calls or ():
                index = call.index if call.index is not None else len(calls)
                slot = calls.setdefault(
                    int(index),
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                slot["id"] = call.id or slot["id"]
                if call.function is not None:
                    slot["function"]["name"] += call.function.name or ""
                    slot["function"]["arguments"] += call.function.arguments or ""
            if choice.finish_reason:
                finish = choice.finish_reason
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
    try:
        return await _read_responses(events, started)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise StreamBroken(f"the stream sent a malformed event ({_why(exc)})") from None


async def _read_responses(
    events: AsyncIterator[Any], started: float
) -> tuple[dict[str, Any], float | None]:
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
