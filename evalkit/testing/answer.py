"""One function answers an (endpoint, body) pair: the live endpoints, streams and batch lines.

:meth:`Answerer.answer` returns the full, non-streamed response body or raises
:class:`~.errors.APIError`. The HTTP handler sends it (or turns it into stream events, see
:mod:`.streaming`) and a batch writes it into its output file, so an answer is byte-for-byte
the same whichever way it was asked for. Every id in a body is derived from the request, so
re-recording an unchanged case gives an identical body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
from collections import OrderedDict
from typing import Any

from ..wire import tokens
from .conversation import Conversation, read_chat, read_responses
from .errors import bad_request
from .model import ScriptedModel, Turn, embed

CREATED = 1_735_689_600  # fixed, so identical requests give identical bodies
ENDPOINTS = {
    "/v1/chat/completions": "chat.completions",
    "/v1/responses": "responses",
    "/v1/embeddings": "embeddings",
}
_TRANSPORT = ("stream", "stream_options")  # how an answer travels, not what it says


def request_hash(body: dict[str, Any]) -> str:
    """The request's identity: a streamed and a plain request for the same thing share it."""
    core = {k: v for k, v in body.items() if k not in _TRANSPORT}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()[:24]


def _derived(rid: str, *parts: object) -> str:
    return hashlib.sha256(":".join([rid, *map(str, parts)]).encode()).hexdigest()[:24]


def require_model(body: dict[str, Any]) -> None:
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise bad_request("you must provide a model parameter")


class Answerer:
    """Answers requests from a :class:`ScriptedModel`; keeps Responses for ``previous_response_id``."""

    def __init__(self, model: ScriptedModel, keep_responses: int = 4096):
        self.model = model
        self._stored: OrderedDict[str, list[Any]] = OrderedDict()
        self._keep = keep_responses
        self._lock = threading.Lock()

    def answer(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        require_model(body)
        if endpoint == "chat.completions":
            return self.chat(body)
        if endpoint == "responses":
            return self.responses(body)
        if endpoint == "embeddings":
            return self.embeddings(body)
        raise bad_request(f"Unsupported endpoint: {endpoint}")

    # -- shared ---------------------------------------------------------------

    def _turn(self, conversation: Conversation, limit: Any) -> tuple[Turn, int]:
        """The model's turn, cut to ``limit`` output tokens, and the output tokens it used."""
        model = conversation.model
        turn = self.model.turn(conversation)
        text = turn.text
        used = tokens.count(model, text) if text is not None else 0
        if isinstance(limit, int) and text is not None and used > limit:
            words = text.split(" ")
            while words and tokens.count(model, " ".join(words)) > limit:
                words.pop()
            text = " ".join(words)
            turn = Turn(text, (), "length")  # cut off before it could call anything
            used = tokens.count(model, text)
        used += sum(tokens.count(model, c.name + c.arguments) for c in turn.calls)
        return turn, used

    # -- chat -----------------------------------------------------------------

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        conversation = read_chat(body)
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        turn, n_out = self._turn(conversation, limit)
        n_in = tokens.input_tokens("chat.completions", body) + conversation.extra_input_tokens
        rid = request_hash(body)
        message: dict[str, Any] = {"role": "assistant", "content": turn.text, "refusal": None}
        if turn.calls:
            message["tool_calls"] = [
                {
                    "id": "call_" + _derived(rid, index, call.name),
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for index, call in enumerate(turn.calls)
            ]
        return {
            "id": "chatcmpl-" + rid,
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "system_fingerprint": "fp_evalkit_testing",
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": turn.finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": n_in,
                "completion_tokens": n_out,
                "total_tokens": n_in + n_out,
                "prompt_tokens_details": {"cached_tokens": 0},
            },
        }

    # -- responses ------------------------------------------------------------

    def _previous(self, response_id: str) -> list[Any] | None:
        with self._lock:
            return self._stored.get(response_id)

    def responses(self, body: dict[str, Any]) -> dict[str, Any]:
        conversation = read_responses(body, self._previous)
        turn, n_out = self._turn(conversation, body.get("max_output_tokens"))
        counted = (
            body
            if body.get("previous_response_id") is None
            else {
                **body,
                "input": conversation.items,
            }
        )
        n_in = tokens.input_tokens("responses", counted) + conversation.extra_input_tokens
        truncated = turn.finish_reason == "length"
        status = "incomplete" if truncated else "completed"
        rid = request_hash(body)
        output: list[dict[str, Any]] = []
        if turn.text is not None:
            output.append(
                {
                    "type": "message",
                    "id": "msg_" + rid,
                    "status": status,
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": turn.text, "annotations": []}],
                }
            )
        for index, call in enumerate(turn.calls):
            output.append(
                {
                    "type": "function_call",
                    "id": "fc_" + _derived(rid, "item", index),
                    "call_id": "call_" + _derived(rid, index, call.name),
                    "name": call.name,
                    "arguments": call.arguments,
                    "status": "completed",
                }
            )
        response_id = "resp_" + rid
        if body.get("store") is not False:
            with self._lock:
                self._stored[response_id] = [*conversation.items, *output]
                while len(self._stored) > self._keep:
                    self._stored.popitem(last=False)
        tools = [
            next(t for t in conversation.tools if t.name == spec.get("name")).responses_shape()
            if isinstance(spec, dict) and spec.get("type", "function") == "function"
            else spec
            for spec in body.get("tools") or []
        ]
        return {
            "id": response_id,
            "object": "response",
            "created_at": CREATED,
            "status": status,
            "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
            "model": body["model"],
            "output": output,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": tools,
            "usage": {
                "input_tokens": n_in,
                "output_tokens": n_out,
                "total_tokens": n_in + n_out,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }

    # -- embeddings -----------------------------------------------------------

    def embeddings(self, body: dict[str, Any]) -> dict[str, Any]:
        texts = body.get("input")
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            raise bad_request("'input' must be a string or an array of strings")
        data = []
        for index, text in enumerate(texts):
            vector: Any = embed(text)
            if body.get("encoding_format") == "base64":
                vector = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
            data.append({"object": "embedding", "index": index, "embedding": vector})
        used = sum(tokens.count(body["model"], t) for t in texts)
        return {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
