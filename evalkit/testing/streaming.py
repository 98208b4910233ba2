"""Server-sent events for ``stream: true``, cut from the full body the non-streamed request gets.

Deriving the events from the finished body (rather than generating twice) is what makes the
assembled stream equal the plain answer. Chat Completions streams ``chat.completion.chunk``
objects as bare ``data:`` lines ending with ``data: [DONE]``; the Responses API streams typed
events (``event: response.output_text.delta`` ...) ending with ``response.completed``.

Each event says which pause comes before it, so the server can hold back the first token
(time to first token) and space the deltas (inter-chunk delay) without knowing the format.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

Pause = Literal["", "ttft", "chunk"]
_PIECE = re.compile(r"\s*[\w']+|\s*[^\w\s]+|\s+")


@dataclass(frozen=True)
class Event:
    data: str
    name: str | None = None  # the SSE ``event:`` field (Responses only)
    pause: Pause = ""

    def frame(self) -> bytes:
        head = f"event: {self.name}\n" if self.name else ""
        return f"{head}data: {self.data}\n\n".encode()


def pieces(text: str) -> list[str]:
    """Token-like pieces (a word with its leading space, a run of punctuation) that join to ``text``."""
    found = _PIECE.findall(text)
    assert "".join(found) == text
    return found


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def chat_events(body: dict[str, Any], include_usage: bool) -> list[Event]:
    """Chunks of a ``chat.completion`` body: role, content deltas, tool-call deltas, finish, usage."""
    base = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body["created"],
        "model": body["model"],
        "system_fingerprint": body.get("system_fingerprint"),
    }
    choice = body["choices"][0]
    message = choice["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None, pause: Pause = "chunk") -> Event:
        data: dict[str, Any] = {
            **base,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        return Event(_dump(data), pause=pause)

    text = message.get("content")
    events = [
        chunk(
            {"role": "assistant", "content": "" if text is not None else None, "refusal": None},
            pause="ttft",
        )
    ]
    events += [chunk({"content": piece}) for piece in pieces(text or "")]
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call["function"]
        events.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {"name": function["name"], "arguments": ""},
                        }
                    ]
                }
            )
        )
        events += [
            chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
            for piece in pieces(function["arguments"])
        ]
    events.append(chunk({}, choice["finish_reason"], pause=""))
    if include_usage:
        events.append(Event(_dump({**base, "choices": [], "usage": body["usage"]})))
    events.append(Event("[DONE]"))
    return events


def responses_events(body: dict[str, Any]) -> list[Event]:
    """The typed event sequence of a ``response`` body, numbered from 0."""
    events: list[Event] = []

    def emit(kind: str, pause: Pause = "", **fields: Any) -> None:
        data = {"type": kind, "sequence_number": len(events), **fields}
        events.append(Event(_dump(data), kind, pause))

    opening = {**body, "status": "in_progress", "output": [], "usage": None}
    opening["incomplete_details"] = None
    emit("response.created", response=opening)
    emit("response.in_progress", response=opening)
    for index, item in enumerate(body["output"]):
        first: Pause = "ttft" if index == 0 else "chunk"
        where = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            emit(
                "response.output_item.added",
                first,
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            for c_index, part in enumerate(item["content"]):
                text = part.get("text", "")
                emit(
                    "response.content_part.added",
                    **where,
                    content_index=c_index,
                    part={**part, "text": ""},
                )
                for piece in pieces(text):
                    emit(
                        "response.output_text.delta",
                        "chunk",
                        **where,
                        content_index=c_index,
                        delta=piece,
                        logprobs=[],
                    )
                emit(
                    "response.output_text.done",
                    **where,
                    content_index=c_index,
                    text=text,
                    logprobs=[],
                )
                emit("response.content_part.done", **where, content_index=c_index, part=part)
        elif item["type"] == "function_call":
            emit(
                "response.output_item.added",
                first,
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
            for piece in pieces(item["arguments"]):
                emit("response.function_call_arguments.delta", "chunk", **where, delta=piece)
            emit("response.function_call_arguments.done", **where, arguments=item["arguments"])
        else:
            emit("response.output_item.added", first, output_index=index, item=item)
        emit("response.output_item.done", output_index=index, item=item)
    final = "response.completed" if body["status"] == "completed" else "response.incomplete"
    emit(final, response=copy.deepcopy(body))
    return events


def drop_point(events: list[Event]) -> int:
    """Where a dropped stream breaks off: after about half its events, never after the last."""
    return max(1, min(len(events) // 2, len(events) - 1))
