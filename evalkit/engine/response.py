"""One API answer, normalised across Chat Completions, Responses and Embeddings.

Recordings keep the response body as the API sent it; everything checks need (text,
finish reason, usage, the model that answered) is derived from that body here, so replay
needs neither the network nor the SDK's types.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Response(BaseModel):
    endpoint: str
    body: dict[str, Any]
    request_id: str | None = None
    latency_ms: float = 0.0
    source: str = ""  # who answered, e.g. "api.openai.com" or the testing server
    retries: int = 0
    replayed: bool = False  # answered from a recording, not the API

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def text(self) -> str:
        if self.endpoint == "chat.completions":
            choices = self.body.get("choices") or [{}]
            message = choices[0].get("message") or {}
            return message.get("content") or message.get("refusal") or ""
        if self.endpoint == "responses":
            if isinstance(self.body.get("output_text"), str):
                return self.body["output_text"]
            parts = [
                part.get("text", "")
                for item in self.body.get("output", [])
                if item.get("type") == "message"
                for part in item.get("content", [])
                if part.get("type") == "output_text"
            ]
            return "".join(parts)
        return ""

    @property
    def finish_reason(self) -> str | None:
        if self.endpoint == "chat.completions":
            choices = self.body.get("choices") or [{}]
            return choices[0].get("finish_reason")
        if self.endpoint == "responses":
            status = self.body.get("status")
            if status == "completed":
                return "stop"
            reason = (self.body.get("incomplete_details") or {}).get("reason")
            return {"max_output_tokens": "length", "content_filter": "content_filter"}.get(
                str(reason), status
            )
        return None

    @property
    def _usage(self) -> dict[str, Any]:
        return self.body.get("usage") or {}

    @property
    def input_tokens(self) -> int:
        usage = self._usage
        return int(usage.get("prompt_tokens", usage.get("input_tokens", 0)) or 0)

    @property
    def output_tokens(self) -> int:
        usage = self._usage
        return int(usage.get("completion_tokens", usage.get("output_tokens", 0)) or 0)

    @property
    def cached_tokens(self) -> int:
        usage = self._usage
        details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
        return int(details.get("cached_tokens", 0) or 0)

    @property
    def embeddings(self) -> list[list[float]]:
        return [
            item["embedding"]
            for item in sorted(self.body.get("data", []), key=lambda d: d.get("index", 0))
        ]
