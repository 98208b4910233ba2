"""wire/params.py: the parameters OpenAI's API knows are the official SDK's own."""

from __future__ import annotations

import inspect

import pytest
from openai.resources.chat.completions import Completions
from openai.resources.responses import Responses

from evalkit.wire.params import CHAT, RESPONSES, unknown_param

# what the SDK's methods take that is not a request body field
SDK_ONLY = {"self", "extra_headers", "extra_query", "extra_body", "timeout"}


@pytest.mark.parametrize(
    ("method", "known"), [(Completions.create, CHAT), (Responses.create, RESPONSES)]
)
def test_the_lists_are_the_installed_sdk_s_parameters(
    method: object, known: frozenset[str]
) -> None:
    params = set(inspect.signature(method).parameters) - SDK_ONLY  # type: ignore[arg-type]
    assert set(known) == params, (
        f"new in the SDK: {sorted(params - known)}; gone: {sorted(known - params)}"
    )


@pytest.mark.parametrize(
    ("api", "name", "said"),
    [
        ("chat", "temperature", None),
        ("responses", "max_output_tokens", None),
        (
            "chat",
            "max_token",
            "max_token is not a Chat Completions parameter (did you mean max_tokens?)",
        ),
        (
            "chat",
            "reasoning",
            "reasoning is not a Chat Completions parameter (did you mean reasoning_effort?)",
        ),
        (
            "responses",
            "seed",
            "seed is not a Responses parameter (it is a Chat Completions parameter: this suite uses api: responses)",
        ),
        ("chat", "zzz", "zzz is not a Chat Completions parameter"),
    ],
)
def test_unknown_param_names_the_nearest(api: str, name: str, said: str | None) -> None:
    assert unknown_param(api, name) == said  # type: ignore[arg-type]
