"""Checks: one registration per assertion ``type``.

A check type owns everything about itself, so nothing else in evalkit names it:

- ``args``: the pydantic model of its arguments, validated when a suite loads, so a typo is
  a ``file:line`` error rather than a failed case; ``validate`` adds what a model cannot
  see (a judge model's pin, a prompt that must exist);
- ``refuse``: a reason not to send a request at all (an input budget it would break);
- ``needs``: the requests it must have answered before it can judge (embeddings, a
  verdict), made by the engine through the same modes and recordings as the case's own;
- ``evaluate``: from an :class:`Observation` (and what it needed) to an :class:`Outcome`;
- ``after``: an effect once it has judged (accepting a snapshot with ``--snapshot-update``).

Pure checks are plain functions registered with :func:`register`; checks with more to do
subclass :class:`Check` and register with :func:`register_check`. The family modules
(basic, schema, budget, python, semantic, snapshot, tools, and the graders package of
OpenAI's grader types) register on import.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..errors import ArgumentError, CheckFailed
from ..io.jsonfile import loads_value
from ..prompts import PromptStore
from ..wire.request import Request, Structured
from ..wire.response import Response
from ..wire.tools import Tool, ToolCall

if TYPE_CHECKING:
    from .snapshot_store import SnapshotStore

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
    variant: str | None = None
    sample: int = 0
    schema: type[BaseModel] | None = None
    finish_reason: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    latency_ms: float = 0.0
    model: str = ""
    ttft_ms: float | None = None
    turns: int = 1
    tool_calls: list[ToolCall] = field(default_factory=list)
    tools: dict[str, Tool] = field(default_factory=dict, repr=False)  # the target's
    structured: Structured | None = None  # the output mode its suite or variant declared
    _parsed: Any = field(default=_MISSING, repr=False)

    @property
    def parsed(self) -> Any:
        """The output as JSON, or raises :class:`CheckFailed` when it is not JSON."""
        if self._parsed is _MISSING:
            try:
                self._parsed = loads_value(self.text)
            except (TypeError, ValueError, RecursionError) as exc:
                raise CheckFailed(f"output is not JSON ({exc}): {preview(self.text)}") from None
        return self._parsed


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str = ""
    score: float | None = None
    # nothing reviewed to compare with (no snapshot yet): the check fails, and a comparison
    # of two runs cannot pair this verdict with the other side's (compare/diff.py)
    unreviewed: bool = False


@dataclass(frozen=True)
class LoadContext:
    """What a check may consult while a suite loads."""

    settings: Settings
    prompts: PromptStore
    allow_unpinned: bool = False
    has_schema: bool = True  # the suite (or one of its variants) names an output schema
    tools: frozenset[str] = frozenset()  # the names of the tools its targets offer
    streams: bool = False  # some target streams its answers
    path: Path | None = None  # the suite file (files an assertion names are relative to it)


@dataclass
class CheckContext:
    """What a check may use while a run goes on (shared by the run's samples)."""

    settings: Settings
    prompts: PromptStore
    snapshots: SnapshotStore | None = None


class AssertionSpec(BaseModel):
    """One assertion as written in a suite, its arguments already validated."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    type: str
    path: str | None = None
    negate: bool = False
    weight: float = Field(1.0, ge=0, allow_inf_nan=False)
    threshold: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    args: Any = None
    line: int | None = None
    implicit: bool = False  # added by evalkit (not truncated), not written by the user

    def describe(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"{'not ' if self.negate else ''}{self.type}{where}"

    @property
    def check(self) -> Check:
        return REGISTRY[self.type]


class Check:
    """A check type. Subclasses set ``name`` and ``args`` and override what they need."""

    name: ClassVar[str]
    args: ClassVar[type[BaseModel]] = NoArgs
    scored: ClassVar[bool] = False  # the score is compared with `threshold` by evalkit
    own_threshold: ClassVar[bool] = False  # the check applies `threshold` itself
    default_threshold: ClassVar[float] = 1.0
    doc: ClassVar[str] = ""

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        """Raise :class:`ArgumentError` for arguments the model cannot judge alone."""

    def implicit(self) -> AssertionSpec | None:
        """An assertion added to every case unless the case has one of ``replaced_by``."""
        return None

    replaced_by: ClassVar[tuple[str, ...]] = ()

    def refuse(self, spec: AssertionSpec, request: Request) -> str | None:
        """Why ``request`` should not be sent at all (it could only fail this check). Asked
        only of a request that would be sent: one answered from a recording is judged on
        what it recorded (so a refusal must be one that judging could not overturn)."""
        return None

    def needs(self, spec: AssertionSpec, obs: Observation, ctx: CheckContext) -> list[Request]:
        """Requests to answer before :meth:`evaluate` (in the order it expects them)."""
        return []

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        raise NotImplementedError

    def after(
        self, spec: AssertionSpec, obs: Observation, outcome: Outcome, ctx: CheckContext
    ) -> Outcome:
        """An effect once judged (the outcome may change, e.g. a snapshot was accepted)."""
        return outcome

    def models(self, spec: AssertionSpec) -> list[str]:
        """The models this assertion calls itself (a judge's, an embeddings model), so
        ``evalkit models`` and ``evalkit check`` know every pin that can retire. A check
        makes calls only through :meth:`needs`: one that keeps the default calls none, and
        its arguments are not walked for a model (collection and ``evalkit check`` ask this
        of every case's assertions)."""
        return models_in(spec.args) if self.calls else []

    @property
    def calls(self) -> bool:
        """Whether this check can make calls of its own (it has :meth:`needs`)."""
        return type(self).needs is not Check.needs


def models_in(args: Any, depth: int = 0) -> list[str]:
    """Models named by check arguments: a ``model`` field, or the arguments' own
    ``called_models()`` (a model used only in some configurations), through nested ones
    (a multi grader's sub-graders)."""
    own = getattr(args, "called_models", None)
    if callable(own):
        return [m for m in own() if isinstance(m, str) and m]
    found: list[str] = []
    if isinstance(args, BaseModel):
        model = getattr(args, "model", None)
        if isinstance(model, str) and model:
            found.append(model)
        values = [getattr(args, name) for name in type(args).model_fields if name != "model"]
    elif isinstance(args, dict):
        values = list(args.values())
    elif isinstance(args, list | tuple):
        values = list(args)
    else:
        return []
    if depth < 8:
        for value in values:
            if isinstance(value, BaseModel | dict | list | tuple):
                found += models_in(value, depth + 1)
    return list(dict.fromkeys(found))


CheckFn = Callable[[Any, Observation, AssertionSpec], Outcome]


class _FunctionCheck(Check):
    """A pure check: a function of its arguments and the observation."""

    def __init__(self, fn: CheckFn):
        self.fn = fn

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        return self.fn(spec.args, obs, spec)


class Registry(MutableMapping[str, Check]):
    """Check types by name. The families most suites never use (model graders, JavaScript,
    similarity and judges: ~0.1 s of imports, pydantic models and a JavaScript engine) are
    imported the first time one of their names is looked up; every name is known without
    importing them (:data:`LAZY`), so validation and "known types" messages are the same.
    A lazily imported family adds no implicit check (tests/checks hold both to that)."""

    def __init__(self, lazy: dict[str, tuple[str, ...]]):
        self._checks: dict[str, Check] = {}
        self._lazy = {name: module for module, names in lazy.items() for name in names}

    def __getitem__(self, name: str) -> Check:
        if name not in self._checks and name in self._lazy:
            import_module(f"{__name__}.{self._lazy[name]}")  # registers the family's checks
        return self._checks[name]

    def __setitem__(self, name: str, check: Check) -> None:
        self._checks[name] = check

    def __delitem__(self, name: str) -> None:
        del self._checks[name]

    def __contains__(self, name: object) -> bool:
        return name in self._checks or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter([*self._checks, *(n for n in self._lazy if n not in self._checks)])

    def __len__(self) -> int:
        return len(self._checks.keys() | self._lazy.keys())

    def loaded(self) -> list[Check]:
        """The checks imported so far (every implicit one among them)."""
        return list(self._checks.values())


# family module -> the check types it registers, imported on first use
LAZY: dict[str, tuple[str, ...]] = {
    "graders": (
        "score_model",
        "label_model",
        "python_grader",
        "text_similarity",
        "string_check",
        "multi",
    ),
    "javascript": ("javascript",),
    "semantic": ("similar", "judge"),
}
REGISTRY = Registry(LAZY)


def register(
    name: str,
    args: type[BaseModel] = NoArgs,
    *,
    scored: bool = False,
    default_threshold: float = 1.0,
) -> Callable[[CheckFn], CheckFn]:
    """Register a pure check function ``fn(args, observation, spec) -> Outcome``."""

    def deco(fn: CheckFn) -> CheckFn:
        check = type(
            f"{name}_check",
            (_FunctionCheck,),
            {
                "name": name,
                "args": args,
                "scored": scored,
                "default_threshold": default_threshold,
                "doc": (fn.__doc__ or "").strip(),
            },
        )(fn)
        REGISTRY[name] = check
        return fn

    return deco


_C = TypeVar("_C", bound=type[Check])


def register_check(cls: _C) -> _C:
    """Register a :class:`Check` subclass under its ``name``."""
    REGISTRY[cls.name] = cls()
    return cls


def preview(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def value_at(obs: Observation, path: str | None) -> Any:
    """The output text, or the value at ``path`` (``items[0].name``) in the parsed output."""
    if path is None:
        return obs.text
    walked = ""
    if path == "tool_calls" or path.startswith(("tool_calls.", "tool_calls[")):
        node: Any = {"tool_calls": [c.as_data() for c in obs.tool_calls]}
    else:
        node = obs.parsed
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


def evaluate(
    spec: AssertionSpec,
    obs: Observation,
    fetched: Sequence[Response] = (),
    ctx: CheckContext | None = None,
) -> Outcome:
    """Run one assertion, applying ``threshold`` and ``not``."""
    check = REGISTRY[spec.type]
    try:
        outcome = check.evaluate(spec, obs, fetched, ctx)
    except CheckFailed as exc:
        return Outcome(False, str(exc))
    if check.scored and outcome.score is not None:
        if not math.isfinite(outcome.score):
            return Outcome(False, f"{outcome.message}: the score is not a number", None)
        threshold = spec.threshold if spec.threshold is not None else check.default_threshold
        passed = outcome.passed and outcome.score >= threshold
        message = outcome.message or f"score {outcome.score:.3f}"
        outcome = Outcome(passed, f"{message} (threshold {threshold})", outcome.score)
    if spec.negate:
        message = f"expected the opposite: {outcome.message}" if outcome.passed else ""
        return Outcome(not outcome.passed, message, outcome.score, outcome.unreviewed)
    return outcome


def threshold_types() -> list[str]:
    """Check types that take a ``threshold`` (for messages)."""
    return sorted(n for n, c in REGISTRY.items() if c.scored or c.own_threshold)


# Registration happens on import of the family modules (the LAZY ones on first use).
from . import basic, budget, python, schema, snapshot, tools  # noqa: E402


def __getattr__(name: str) -> Any:
    """``checks.semantic`` and the other lazily imported families, as attributes."""
    if name in LAZY:
        return import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "REGISTRY",
    "ArgumentError",
    "AssertionSpec",
    "Check",
    "CheckContext",
    "CheckFailed",
    "LoadContext",
    "Observation",
    "Outcome",
    "basic",
    "budget",
    "evaluate",
    "graders",
    "javascript",
    "python",
    "register",
    "register_check",
    "schema",
    "semantic",
    "snapshot",
    "tools",
]
