"""What every OpenAI-style grader shares: its arguments' base, its grade, its check.

A grader is an evalkit check whose fields are OpenAI's (``type``, ``name``, ``input``,
``reference``, ``pass_threshold``, ...). Rules:

- Every grader yields a :class:`Grade`: a score on its own scale, a pass, and a message
  naming the metric, the score, the threshold and a preview of what was compared.
- A grader reads the output through its templates, so evalkit's ``path`` does not apply
  (a load-time error), and it applies its own ``pass_threshold``, so evalkit's ``threshold``
  does not either (the loader rejects it: graders are not ``scored`` checks).
- The checks' score (averaged into a sample's score) is the grade in [0, 1]: a model
  score is scaled from its ``range``; a Python or multi grade outside [0, 1] has none.
- ``requests`` are the model or embedding calls a grade needs; the engine answers them
  through the run's mode and recordings (:meth:`Check.needs`), and ``grade`` reads them
  back in the same order. :mod:`.multi` builds on exactly these two methods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ...config import Settings
from ...wire.pinning import is_pinned, pin_hint
from ...wire.request import Request
from ...wire.response import Response
from .. import (
    ArgumentError,
    AssertionSpec,
    Check,
    CheckContext,
    LoadContext,
    Observation,
    Outcome,
    preview,
)
from .templates import Namespaces


class GraderArgs(BaseModel):
    """OpenAI's ``name`` is required there and optional here (a suite names its checks by
    position); ``type`` is filled by the registration, so a multi grader's sub-graders can
    be told apart by it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str | None = Field(None, max_length=200)


@dataclass(frozen=True)
class Grade:
    score: float  # on the grader's own scale (a model's range, a formula's value)
    passed: bool
    message: str
    unit: float | None = None  # the score in [0, 1] for evalkit's averages, if it has one


def unit_score(score: float) -> float | None:
    return score if 0.0 <= score <= 1.0 else None


def label(kind: str, args: GraderArgs) -> str:
    return f"{kind} {args.name!r}" if args.name else kind


def passes(score: float, threshold: float | None) -> str:
    if threshold is None:
        return "(no pass_threshold)"
    return f"{'≥' if score >= threshold else '<'} pass_threshold {threshold:g}"


def passed(score: float, threshold: float | None) -> bool:
    return threshold is not None and score >= threshold


def compared(text: str, reference: str | None = None, limit: int = 60) -> str:
    """``input 'a…'`` (and ``reference 'b…'``) for a message."""
    said = f"input {preview(text, limit)!r}"
    return said if reference is None else f"{said}, reference {preview(reference, limit)!r}"


def require_pinned(model: str, ctx: LoadContext, key: str = "model") -> None:
    """A grader's model is pinned like a judge's, so a grade cannot change under a suite."""
    if not ctx.allow_unpinned and not is_pinned(model):
        raise ArgumentError(
            f"grader model {model!r} is not a pinned snapshot: {pin_hint(model)}, or set "
            "`allow_unpinned: true`",
            key,
        )


def finite(value: float | None, what: str) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return value


class GraderCheck(Check):
    """A grader as a check. Subclasses set ``name``, ``args`` and ``metric`` and implement
    :meth:`grade` (and :meth:`requests` when they call a model)."""

    kind: ClassVar[str] = "grader"

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        if spec.path is not None:
            raise ArgumentError(
                f"{self.name}: `path` does not apply to graders; point the template at the "
                "value instead (e.g. {{ sample.output_json.summary }})",
                "path",
            )
        if getattr(spec.args, "pass_threshold", 0) is None:
            raise ArgumentError(
                f"{self.name}: missing argument 'pass_threshold': say which score passes "
                "(only a sub-grader of a multi grader may leave it out)",
                "pass_threshold",
            )
        self.check_args(spec.args, ctx)

    def check_args(self, args: BaseModel, ctx: LoadContext) -> None:
        """What the arguments' model cannot see (pinning, installed libraries)."""

    def requests(self, args: BaseModel, ns: Namespaces, settings: Settings | None) -> list[Request]:
        """The calls a grade needs, in the order :meth:`grade` reads them."""
        return []

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        raise NotImplementedError

    def needs(self, spec: AssertionSpec, obs: Observation, ctx: CheckContext) -> list[Request]:
        return self.requests(spec.args, Namespaces.of(obs), ctx.settings)

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        grade = self.grade(spec.args, Namespaces.of(obs), fetched)
        return Outcome(grade.passed, grade.message, grade.unit)
