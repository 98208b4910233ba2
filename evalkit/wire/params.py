"""The request parameters OpenAI's API knows, per endpoint: a suite's ``params`` are sent as
given, so a misspelt one (``max_token``) is a 400 from OpenAI, found by ``evalkit check``
before any call instead.

The lists are the keyword parameters of the official SDK's ``chat.completions.create`` and
``responses.create`` (tests/wire/test_params.py compares them with the installed SDK, so a
new SDK parameter shows up there). Other OpenAI-compatible servers (vLLM, llama.cpp) take
extras of their own, so for them an unknown parameter is only a warning.
"""

from __future__ import annotations

import difflib

from .request import Api

CHAT = frozenset(
    {
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "messages",
        "metadata",
        "modalities",
        "model",
        "moderation",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
    }
)

RESPONSES = frozenset(
    {
        "access_programs",
        "background",
        "background_options",
        "context_management",
        "conversation",
        "image",
        "include",
        "input",
        "instructions",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "model",
        "moderation",
        "parallel_tool_calls",
        "previous_response_id",
        "prompt",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
        "reasoning",
        "safety_identifier",
        "service_tier",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "text",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
    }
)

KNOWN: dict[str, frozenset[str]] = {"chat": CHAT, "responses": RESPONSES}
ENDPOINT = {"chat": "Chat Completions", "responses": "Responses"}


def unknown_param(api: Api, name: str) -> str | None:
    """What is wrong with sending ``name`` to ``api``, or None when the API knows it:
    ``max_token is not a Chat Completions parameter (did you mean max_tokens?)``."""
    known = KNOWN[api]
    if name in known:
        return None
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    other = "responses" if api == "chat" else "chat"
    hint = ""
    if close:
        hint = f" (did you mean {close[0]}?)"
    elif name in KNOWN[other]:
        hint = f" (it is a {ENDPOINT[other]} parameter: this suite uses api: {api})"
    return f"{name} is not a {ENDPOINT[api]} parameter{hint}"
