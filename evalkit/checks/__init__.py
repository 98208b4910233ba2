"""Checks: one registry keyed by assertion ``type``.

Each check declares a pydantic model of its arguments, so a suite's assertions are
validated when the suite loads (a typo is a ``file:line`` error, not a failed case), and a
pure function from an :class:`Observation` to an :class:`Outcome`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

_MISSING: Any = object()


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Observation:
    """Everything a check may look at for one sample of one case."""

    text: str
    vars: dict[str, Any] = field(default_factory=dict)
    case_id: str = ""
    suite: str = ""
    schema: type[BaseModel] | None = None
    finish_reason: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    model: str = ""
    embeddings: dict[tuple[str, str], list[float]] = field(default_factory=dict, repr=False)
    verdicts: dict[Any, Any] = field(default_factory=dict, repr=False)
    snapshot: str | None = None  # the reviewed snapshot's text, read by the engine
    snapshot_path: str = ""
    _parsed: Any = field(default=_MISSING, repr=False)

    @property
    def parsed(self) -> Any:
        """The output as JSON, or raises :class:`CheckFailed` when it is not JSON."""
        if self._parsed is _MISSING:
            try:
                self._parsed = json.loads(self.text)
            except (TypeError, ValueError) as exc:
                raise CheckFailed(f"output is not JSON ({exc}): {preview(self.text)}") from None
        return self._parsed


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str = ""
    score: float | None = None


class CheckFailed(Exception):
    """Raised inside a check when it cannot even look (no JSON, no such path)."""


CheckFn = Callable[[Any, Observation, "AssertionSpec"], Outcome]


@dataclass(frozen=True)
class CheckDef:
    name: str
    args: type[BaseModel]
    fn: CheckFn
    scored: bool = False
    default_threshold: float = 1.0


REGISTRY: dict[str, CheckDef] = {}


def register(
    name: str,
    args: type[BaseModel] = NoArgs,
    *,
    scored: bool = False,
    default_threshold: float = 1.0,
) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        REGISTRY[name] = CheckDef(name, args, fn, scored, default_threshold)
        return fn

    return deco


class AssertionSpec(BaseModel):
    """One assertion as written in a suite, its arguments already validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    path: str | None = None
    negate: bool = False
    weight: float = 1.0
    threshold: float | None = None
    args: Any = None
    line: int | None = None
    implicit: bool = False

    def describe(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{'not ' if self.negate else ''}{self.type}{where}"


def preview(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(obs: Observation, path: str | None) -> Any:
    """The output text, or the value at ``path`` (``items[0].name``) in the parsed output."""
    if path is None:
        return obs.text
    node = obs.parsed
    walked = ""
    for name, index in _SEGMENT.findall(path):
        if index:
            if not isinstance(node, list) or int(index) >= len(node):
                raise CheckFailed(f"path {path!r}: no item [{index}] at {walked or 'the top'}")
            node = node[int(index)]
            walked += f"[{index}]"
        else:
            if not isinstance(node, dict) or name not in node:
                keys = ", ".join(node) if isinstance(node, dict) else type(node).__name__
                raise CheckFailed(
                    f"path {path!r}: no field {name!r} at {walked or 'the top'} (has: {keys})"
                )
            node = node[name]
            walked += f".{name}" if walked else name
    return node


def evaluate(spec: AssertionSpec, obs: Observation) -> Outcome:
    """Run one assertion, applying ``not`` and ``threshold``."""
    definition = REGISTRY[spec.type]
    try:
        outcome = definition.fn(spec.args, obs, spec)
    except CheckFailed as exc:
        return Outcome(False, str(exc))
    if definition.scored and outcome.score is not None:
        threshold = spec.threshold if spec.threshold is not None else definition.default_threshold
        passed = outcome.score >= threshold
        message = outcome.message or f"score {outcome.score:.3f}"
        outcome = Outcome(passed, f"{message} (threshold {threshold})", outcome.score)
    if spec.negate:
        message = f"expected the opposite: {outcome.message}" if outcome.passed else ""
        return Outcome(not outcome.passed, message, outcome.score)
    return outcome


# Registration happens on import of the family modules.
from . import basic, budget, python, schema, semantic, snapshot  # noqa: E402

__all__ = [
    "REGISTRY",
    "AssertionSpec",
    "CheckFailed",
    "Observation",
    "Outcome",
    "basic",
    "budget",
    "evaluate",
    "python",
    "register",
    "schema",
    "semantic",
    "snapshot",
]
