"""Grader specs built as the suite loader builds them, and observations to grade."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from evalkit.checks import AssertionSpec, Observation, Outcome, evaluate
from evalkit.config import Settings
from evalkit.errors import ConfigError
from evalkit.project.loader import parse_assertions
from evalkit.wire.response import Response
from evalkit.wire.tools import ToolCall

HERE = Path(__file__)


def spec(raw: dict[str, Any], settings: Settings | None = None) -> AssertionSpec:
    """One assertion, validated exactly as a suite's (pydantic model, then ``validate``)."""
    return parse_assertions([raw], HERE, settings or Settings())[0]


def load_error(raw: dict[str, Any]) -> str:
    """The load-time error a bad assertion gets."""
    with pytest.raises(ConfigError) as caught:
        spec(raw)
    return str(caught.value)


def observe(
    text: str | Any = "",
    vars: dict[str, Any] | None = None,
    tool_calls: Sequence[ToolCall] = (),
) -> Observation:
    if not isinstance(text, str):
        text = json.dumps(text)
    return Observation(text=text, vars=dict(vars or {}), tool_calls=list(tool_calls))


def grade(
    raw: dict[str, Any],
    text: str | Any = "",
    vars: dict[str, Any] | None = None,
    fetched: Sequence[Response] = (),
    **kw: Any,
) -> Outcome:
    return evaluate(spec(raw), observe(text, vars, **kw), fetched)


def chat(content: Any, model: str = "gpt-4.1-2025-04-14") -> Response:
    """A grader model's answer as the engine hands it back."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Response(
        endpoint="chat.completions",
        body={"model": model, "choices": [{"message": {"role": "assistant", "content": text}}]},
    )


def embedding(*vector: float, model: str = "text-embedding-3-large") -> Response:
    return Response(
        endpoint="embeddings", body={"model": model, "data": [{"embedding": list(vector)}]}
    )
