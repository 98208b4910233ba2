"""Helpers for the javascript check's tests: assertions built by the suite loader itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evalkit.checks import AssertionSpec, Observation, Outcome, evaluate
from evalkit.config import load_settings
from evalkit.project.loader import parse_assertions

WHERE = Path(__file__)


class AnySchema(BaseModel):
    """Stands for a suite's output schema (its fields do not matter to the check)."""


def spec(value: str, **common: Any) -> AssertionSpec:
    """One ``{type: javascript, value: ...}`` assertion, validated as a suite's are."""
    raw = {"type": "javascript", "value": value, **common}
    (built,) = parse_assertions([raw], WHERE, load_settings(WHERE.parent))
    return built


def js(
    value: str,
    text: str = "",
    *,
    vars: dict[str, Any] | None = None,
    schema: type[BaseModel] | None = None,
    **common: Any,
) -> Outcome:
    """Evaluate one javascript assertion on one output through the public machinery."""
    obs = Observation(text=text, vars=vars or {}, schema=schema)
    return evaluate(spec(value, **common), obs)
