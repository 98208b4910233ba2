"""``multi``: OpenAI's combined grader, a formula over named sub-graders' scores.

Fields as OpenAI names them (openai-python ``types/graders/multi_grader.py``, and the
graders guide, "Combined graders"): ``graders``, a mapping from a name to a grader, and
``calculate_output``, a formula over those names (:mod:`.formula`). OpenAI uses it for
reinforcement fine-tuning, where the value is a reward; evalkit adds ``pass_threshold``
(required) so the value becomes a verdict.

Rules, from OpenAI's guide where it has one:

- a sub-grader is any grader but ``multi`` ("you cannot nest one multigrader inside
  another"); OpenAI's ``python`` type is written ``python_grader`` here, as everywhere;
- each name's value is its sub-grader's score on its own scale (a string_check 0 or 1, a
  score_model's score in its range, a label_model 1 when its label passes); a
  sub-grader's own ``pass_threshold`` is optional and plays no part;
- a sub-grader that needs a model or embeddings asks through this check's ``needs``, so
  its calls are recorded and replayed with the case;
- a sub-grader that cannot grade (a missing field, a model's answer that is no score)
  fails the whole check naming it, rather than counting as 0.
"""

from __future__ import annotations

import functools
import keyword
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, field_validator, model_validator

from ...config import Settings
from ...wire.request import Request
from ...wire.response import Response
from .. import REGISTRY, ArgumentError, CheckFailed, LoadContext, register_check
from .base import Grade, GraderArgs, GraderCheck, finite, label, passed, passes, unit_score
from .formula import Formula, parse
from .models import LabelModelArgs, ScoreModelArgs
from .python_grader import PythonGraderArgs
from .similarity import TextSimilarityArgs
from .strings import StringCheckArgs
from .templates import Namespaces

MAX_GRADERS = 20

SubGrader = Annotated[
    StringCheckArgs | TextSimilarityArgs | ScoreModelArgs | LabelModelArgs | PythonGraderArgs,
    Discriminator("type"),
]
SUB_TYPES = ("string_check", "text_similarity", "score_model", "label_model", "python_grader")


class MultiArgs(GraderArgs):
    type: Literal["multi"] = "multi"
    graders: dict[str, SubGrader] = Field(min_length=1, max_length=MAX_GRADERS)
    calculate_output: str = Field(min_length=1)
    pass_threshold: float | None = None

    @field_validator("graders", mode="before")
    @classmethod
    def _kinds(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        for name, grader in value.items():
            if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(
                    f"grader name {name!r} is not a name a formula can use (letters, digits "
                    "and _, not starting with a digit)"
                )
            kind = grader.get("type") if isinstance(grader, dict) else None
            if kind == "multi":
                raise ValueError(f"{name}: a multi grader cannot hold another multi grader")
            if kind == "python":
                raise ValueError(
                    f"{name}: OpenAI's python grader is `type: python_grader` in evalkit "
                    "(`python` is evalkit's own check of a project function)"
                )
            if kind not in SUB_TYPES:
                raise ValueError(f"{name}: type {kind!r} is not one of {', '.join(SUB_TYPES)}")
        return value

    @field_validator("pass_threshold")
    @classmethod
    def _finite(cls, v: float | None) -> float | None:
        return finite(v, "pass_threshold")

    @model_validator(mode="after")
    def _formula(self) -> MultiArgs:
        formula(self.calculate_output, frozenset(self.graders))
        return self


@functools.lru_cache(maxsize=256)
def formula(text: str, names: frozenset[str]) -> Formula:
    return parse(text, names)


def _grader(args: BaseModel) -> GraderCheck:
    check = REGISTRY[str(getattr(args, "type", ""))]
    assert isinstance(check, GraderCheck)
    return check


@register_check
class Multi(GraderCheck):
    name = "multi"
    args = MultiArgs
    doc = "OpenAI's multi grader: calculate_output over named sub-graders, ≥ pass_threshold"

    def check_args(self, args: BaseModel, ctx: LoadContext) -> None:
        assert isinstance(args, MultiArgs)
        for name, sub in args.graders.items():
            try:
                _grader(sub).check_args(sub, ctx)
            except ArgumentError as exc:
                raise ArgumentError(f"graders.{name}: {exc}", "graders") from None

    def requests(self, args: BaseModel, ns: Namespaces, settings: Settings | None) -> list[Request]:
        assert isinstance(args, MultiArgs)
        out: list[Request] = []
        for name, sub in args.graders.items():
            out.extend(self._sub(name, lambda s=sub: _grader(s).requests(s, ns, settings)))
        return out

    @staticmethod
    def _sub(name: str, call: Any) -> Any:
        try:
            return call()
        except CheckFailed as exc:
            raise CheckFailed(f"multi: grader {name!r}: {exc}") from None

    def grade(self, args: BaseModel, ns: Namespaces, fetched: Sequence[Response]) -> Grade:
        assert isinstance(args, MultiArgs)
        scores: dict[str, float] = {}
        at = 0
        for name, sub in args.graders.items():
            check = _grader(sub)
            count = len(self._sub(name, lambda c=check, s=sub: c.requests(s, ns, None)))
            mine = fetched[at : at + count]
            at += count
            grade = self._sub(name, lambda c=check, s=sub, m=mine: c.grade(s, ns, m))
            scores[name] = grade.score
        try:
            value = formula(args.calculate_output, frozenset(args.graders))(scores)
        except ValueError as exc:
            raise CheckFailed(f"multi: calculate_output {args.calculate_output!r}: {exc}") from None
        parts = ", ".join(f"{name} {score:.3f}" for name, score in scores.items())
        return Grade(
            value,
            passed(value, args.pass_threshold),
            f"{label('multi', args)}: {args.calculate_output} = {value:.3f} ({parts}) "
            f"{passes(value, args.pass_threshold)}",
            unit_score(value),
        )
