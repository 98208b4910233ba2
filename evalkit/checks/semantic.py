"""Checks on meaning: ``similar`` (embedding cosine) and ``judge`` (an LLM grades a rubric).

Both need API calls. The engine makes them (recorded and replayed like every other call)
before the checks run and puts what came back on the :class:`Observation`, so the check
functions here stay pure.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import AssertionSpec, CheckFailed, Observation, Outcome, preview, register, value_at

DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"


class SimilarArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str
    model: str = DEFAULT_EMBEDDING_MODEL


class JudgeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rubric: str
    model: str
    prompt: str | None = None  # name@version of a project prompt replacing the built-in one


class Verdict(BaseModel):
    """The judge's structured answer."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    passed: bool = Field(alias="pass")
    score: float = Field(ge=0, le=1)
    reason: str


def as_text(value: Any) -> str:
    return (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )


def judged_text(obs: Observation, spec: AssertionSpec) -> str:
    return as_text(value_at(obs, spec.path)) if spec.path else obs.text


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@register("similar", SimilarArgs, scored=True, default_threshold=0.8)
def similar(args: SimilarArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    text = judged_text(obs, spec)
    try:
        got, ref = obs.embeddings[(args.model, text)], obs.embeddings[(args.model, args.value)]
    except KeyError:
        raise CheckFailed("similar: no embeddings were fetched for this check") from None
    score = max(0.0, min(1.0, cosine(got, ref)))
    where = f" at {spec.path}" if spec.path else ""
    return Outcome(
        True,
        f"similarity{where} {score:.3f} between {preview(text, 80)!r} and {preview(args.value, 80)!r}",
        score,
    )


def judge_key(args: JudgeArgs, text: str) -> tuple[str, str, str | None, str]:
    return (args.model, args.rubric, args.prompt, text)


@register("judge", JudgeArgs)
def judge(args: JudgeArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    verdict = obs.verdicts.get(judge_key(args, judged_text(obs, spec)))
    if verdict is None:
        raise CheckFailed("judge: no verdict was fetched for this check")
    threshold = spec.threshold
    passed = verdict.passed and (threshold is None or verdict.score >= threshold)
    bar = f", threshold {threshold}" if threshold is not None else ""
    return Outcome(
        passed,
        f"judge {args.model} {'passed' if verdict.passed else 'failed'} the rubric {args.rubric!r} "
        f"(score {verdict.score:.2f}{bar}): {verdict.reason!r}",
        verdict.score,
    )
