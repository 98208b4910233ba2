"""One API answer, normalised across Chat Completions, Responses and Embeddings.

Recordings keep the response body as the API sent it; everything checks need (text,
finish reason, usage, the model that answered) is derived from that body here, so replay
needs neither the network nor the SDK's types.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel

from .tools import ToolCall

# The list each endpoint's body must hold: a body without it is not an answer.
BODY_LIST = {"chat.completions": "choices", "responses": "output", "embeddings": "data"}


class Response(BaseModel):
    """One answer. Its text, finish reason and token counts are read from the body once
    (checks, costs, budgets and the result each ask): nothing changes a body once answered."""

    endpoint: str
    body: dict[str, Any]
    request_id: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None  # time to the first token, when the answer was streamed
    source: str = ""  # who answered, e.g. "api.openai.com" or the testing server
    retries: int = 0
    replayed: bool = False  # answered from a recording, not the API
    reused: bool = False  # an answer given earlier in this run, handed out again
    batch_id: str | None = None  # answered by this Batch API batch (priced at the batch rate)

    @property
    def rate(self) -> Literal["standard", "batch"]:
        """The price that applied: a batch's answer costs the batch rate."""
        return "batch" if self.batch_id else "standard"

    @property
    def via(self) -> str:
        """How the answer came: ``recording``, ``batch`` or ``api``."""
        return "recording" if self.replayed else "batch" if self.batch_id else "api"

    @property
    def model(self) -> str | None:
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    def _message(self) -> dict[str, Any]:
        choices = _list(self.body.get("choices"))
        return _dict(_dict(choices[0] if choices else None).get("message"))

    @cached_property
    def text(self) -> str:
        """The answer's text (the refusal when the model refused); "" when there is none.
        Bodies are untrusted (recordings are hand-editable): odd shapes read as empty."""
        if self.endpoint == "chat.completions":
            message = self._message()
            return _str(message.get("content")) or _str(message.get("refusal"))
        if self.endpoint == "responses":
            if isinstance(self.body.get("output_text"), str):
                return str(self.body["output_text"])
            return "".join(
                _str(part.get("text"))
                for item in map(_dict, _list(self.body.get("output")))
                if item.get("type") == "message"
                for part in map(_dict, _list(item.get("content")))
                if part.get("type") == "output_text"
            )
        return ""

    @cached_property
    def finish_reason(self) -> str | None:
        if self.endpoint == "chat.completions":
            choices = _list(self.body.get("choices"))
            reason = _dict(choices[0] if choices else None).get("finish_reason")
            return reason if isinstance(reason, str) else None
        if self.endpoint == "responses":
            status = self.body.get("status")
            if status == "completed":
                return "stop"
            reason = _dict(self.body.get("incomplete_details")).get("reason")
            mapped = {"max_output_tokens": "length", "content_filter": "content_filter"}
            return mapped.get(str(reason), status if isinstance(status, str) else None)
        return None

    def tool_calls(self, turn: int = 0) -> list[ToolCall]:
        """The function calls the model made in this answer (either API)."""
        out: list[ToolCall] = []
        if self.endpoint == "chat.completions":
            for call in map(_dict, _list(self._message().get("tool_calls"))):
                function = _dict(call.get("function"))
                out.append(
                    ToolCall(
                        id=_str(call.get("id")),
                        name=_str(function.get("name")),
                        arguments=_str(function.get("arguments")),
                        turn=turn,
                    )
                )
        elif self.endpoint == "responses":
            for item in map(_dict, _list(self.body.get("output"))):
                if item.get("type") == "function_call":
                    out.append(
                        ToolCall(
                            id=_str(item.get("call_id")),
                            name=_str(item.get("name")),
                            arguments=_str(item.get("arguments")),
                            turn=turn,
                        )
                    )
        return out

    def continuation(self) -> list[dict[str, Any]]:
        """What this answer adds to the conversation before the tool results: the assistant
        message with its calls (Chat Completions), or the output items (Responses)."""
        if self.endpoint == "chat.completions":
            message = self._message()
            item: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
            if message.get("tool_calls"):
                item["tool_calls"] = message["tool_calls"]
            return [item]
        return [dict(_dict(i)) for i in _list(self.body.get("output"))]

    @property
    def _usage(self) -> dict[str, Any]:
        return _dict(self.body.get("usage"))

    @cached_property
    def input_tokens(self) -> int:
        usage = self._usage
        return _int(usage.get("prompt_tokens", usage.get("input_tokens")))

    @cached_property
    def output_tokens(self) -> int:
        usage = self._usage
        return _int(usage.get("completion_tokens", usage.get("output_tokens")))

    @cached_property
    def cached_tokens(self) -> int:
        usage = self._usage
        details = _dict(usage.get("prompt_tokens_details") or usage.get("input_tokens_details"))
        return _int(details.get("cached_tokens"))

    @property
    def embeddings(self) -> list[Any]:
        """The vectors, in input order (their shape is the caller's to check)."""
        items = [_dict(d) for d in _list(self.body.get("data"))]
        ordered = sorted(items, key=lambda d: _int(d.get("index")))
        return [item.get("embedding") for item in ordered]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return max(int(value), 0)


def split_embeddings(response: Response, count: int) -> list[Response]:
    """A batched embeddings answer as one answer per text (each recorded on its own), the
    usage shared out evenly. Raises ValueError when the count of vectors is wrong."""
    data = response.body.get("data")
    if not isinstance(data, list) or len(data) != count:
        got = len(data) if isinstance(data, list) else 0
        raise ValueError(f"the embeddings API returned {got} vectors for {count} texts")
    ordered = sorted(data, key=lambda d: d.get("index", 0) if isinstance(d, dict) else 0)
    share = max(response.input_tokens // max(count, 1), 0)
    out = []
    for item in ordered:
        vector = item.get("embedding") if isinstance(item, dict) else None
        body = {
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": vector}],
            "model": response.body.get("model"),
            "usage": {"prompt_tokens": share, "total_tokens": share},
        }
        out.append(
            Response(
                endpoint="embeddings",
                body=body,
                request_id=response.request_id,
                latency_ms=response.latency_ms,
                source=response.source,
                retries=response.retries,
            )
        )
    return out
