"""Checks on meaning: ``similar`` (embedding cosine) and ``judge`` (an LLM grades a rubric).

Both need API calls. They say which (:meth:`Check.needs`); the engine answers them through
the run's mode and recordings like every other request, on the server their model lives
on, and hands the answers back, so CI replays them offline with the same verdicts.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ..config import Settings
from ..errors import ConfigError, display_path
from ..io.files import inside
from ..prompts import PromptRef, PromptStore
from ..wire.pinning import is_pinned, pin_hint
from ..wire.request import Request, Structured, build_request, embedding_request
from ..wire.response import Response
from . import (
    ArgumentError,
    AssertionSpec,
    Check,
    CheckContext,
    CheckFailed,
    LoadContext,
    Observation,
    Outcome,
    preview,
    register_check,
    value_at,
)
from .calibration import CalibrationStatus, JudgeIdentity, LabelSet, note, read_labels, status

DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
BUILTIN_JUDGE = PromptRef("judge", "v1")
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@functools.cache
def builtin_prompts() -> PromptStore:
    """evalkit's own templates (the judge's), compiled once per process."""
    return PromptStore(_TEMPLATES)


class SimilarArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str
    model: str = DEFAULT_EMBEDDING_MODEL


JUDGE_PARAMS: dict[str, Any] = {"temperature": 0, "max_tokens": 500}


class JudgeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rubric: str
    model: str
    prompt: str | None = None  # name@version of a project prompt replacing the built-in one
    # sent as given; the default bounds the verdict's length (and so its cost under a cap,
    # and a local server that would otherwise write until its context is full)
    params: dict[str, Any] = Field(default_factory=lambda: dict(JUDGE_PARAMS))
    # human verdicts on real outputs (JSONL, relative to the suite), and the agreement with
    # them the judge must have shown (`evalkit calibrate`) before its verdicts gate anything
    labels: str | None = None
    min_agreement: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    _labels: LabelSet | None = PrivateAttr(None)  # read when the suite loads
    _suite_path: Path | None = PrivateAttr(None)

    @property
    def label_set(self) -> LabelSet | None:
        return self._labels


class Verdict(BaseModel):
    """The judge's structured answer."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    passed: bool = Field(alias="pass")
    score: float = Field(ge=0, le=1, allow_inf_nan=False)
    reason: str


def as_text(value: Any) -> str:
    return (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )


def judged_text(obs: Observation, spec: AssertionSpec) -> str:
    return as_text(value_at(obs, spec.path)) if spec.path else obs.text


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _vector(response: Response, text: str) -> list[float]:
    """The one embedding of ``text``, or CheckFailed naming what the server sent instead."""
    vectors = response.embeddings
    said = f"the embeddings server ({response.model or 'unknown model'})"
    if len(vectors) != 1:
        raise CheckFailed(f"similar: {said} answered {len(vectors)} vectors for one text")
    vector = vectors[0]
    if not isinstance(vector, list) or not vector:
        raise CheckFailed(f"similar: {said} answered no vector for {preview(text, 40)!r}")
    if all(isinstance(x, list) for x in vector):
        raise CheckFailed(
            f"similar: {said} answered {len(vector)} vectors (one per token?) for "
            f"{preview(text, 40)!r}: serve the model with pooling (llama.cpp: mean pooling) "
            "so each text gets one vector"
        )
    if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in vector):
        raise CheckFailed(f"similar: {said} answered a vector that is not all numbers")
    return [float(x) for x in vector]


@register_check
class Similar(Check):
    name = "similar"
    args = SimilarArgs
    scored = True
    default_threshold = 0.8

    def needs(self, spec: AssertionSpec, obs: Observation, ctx: CheckContext) -> list[Request]:
        args: SimilarArgs = spec.args
        return [
            embedding_request(args.model, judged_text(obs, spec)),
            embedding_request(args.model, args.value),
        ]

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        args: SimilarArgs = spec.args
        text = judged_text(obs, spec)
        if len(fetched) != 2:
            raise CheckFailed("similar: the embeddings were not fetched (run it through a suite)")
        got, ref = _vector(fetched[0], text), _vector(fetched[1], args.value)
        if len(got) != len(ref):
            raise CheckFailed(
                f"similar: the embeddings server answered vectors of different lengths "
                f"({len(got)} and {len(ref)})"
            )
        score = max(0.0, min(1.0, cosine(got, ref)))
        where = f" at {spec.path}" if spec.path else ""
        return Outcome(
            True,
            f"similarity{where} {score:.3f} between {preview(text, 80)!r} and {preview(args.value, 80)!r}",
            score,
        )


def judge_structured(model: str, obs: Observation, ctx: CheckContext) -> Structured:
    """How the verdict's schema is sent: the judge's server entry says, else what the
    suite declared (``structured: json_object`` with ``OPENAI_BASE_URL`` at llama.cpp, whose
    server answers a strict ``json_schema`` with HTTP 500), else strict ``json_schema``."""
    return ctx.settings.server_for(model)[1].structured or obs.structured or "json_schema"


def _judge_store(args: JudgeArgs, prompts: PromptStore) -> tuple[PromptStore, PromptRef]:
    if args.prompt:
        return prompts, PromptRef.parse(args.prompt)
    return builtin_prompts(), BUILTIN_JUDGE


@register_check
class Judge(Check):
    name = "judge"
    args = JudgeArgs
    own_threshold: ClassVar[bool] = True

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        """A judge model is pinned like any other, and its prompt renders."""
        args: JudgeArgs = spec.args
        if not ctx.allow_unpinned and not is_pinned(args.model):
            raise ArgumentError(
                f"judge model {args.model!r} is not a pinned snapshot: {pin_hint(args.model)}, "
                "or set `allow_unpinned: true`",
                "model",
            )
        try:
            store, ref = _judge_store(args, ctx.prompts)
            store.require(ref)
            store.render(ref, self._variables(args, "(the output)", defaultdict(str), "", ""))
        except ValueError as exc:
            raise ArgumentError(f"judge prompt: {exc}", "prompt") from None
        except ConfigError as exc:
            raise ArgumentError(f"judge prompt: {exc}", "prompt") from None
        if args.min_agreement is not None and not args.labels:
            raise ArgumentError(
                "min_agreement needs `labels:` (a JSONL file of human verdicts to calibrate "
                "the judge against)",
                "min_agreement",
            )
        if args.min_agreement is not None and spec.negate:
            raise ArgumentError(
                "a judge with min_agreement cannot take `not: true` (an uncalibrated judge "
                "must fail, and `not` would turn that into a pass): word the rubric the other "
                "way round",
                "min_agreement",
            )
        if args.labels:
            base = ctx.path.parent if ctx.path is not None else ctx.settings.root
            try:
                where = inside(ctx.settings.root, base / args.labels, "labels file")
            except ConfigError as exc:
                raise ArgumentError(exc.message, "labels") from None
            if not where.name.lower().endswith(".jsonl"):
                raise ArgumentError(
                    f"labels {args.labels!r}: a labels file is JSONL (name it *.jsonl)", "labels"
                )
            if not where.is_file():
                raise ArgumentError(
                    f"labels file {display_path(where)} does not exist: label outputs in "
                    "`evalkit view` (download labels) and save the file there",
                    "labels",
                )
            args._labels = read_labels(where)  # a bad line stops the load at its line
            args._suite_path = ctx.path

    def identity(self, spec: AssertionSpec, prompts: PromptStore) -> JudgeIdentity:
        """What the judge's calibration measured (checks/calibration.py)."""
        args: JudgeArgs = spec.args
        store, ref = _judge_store(args, prompts)
        return JudgeIdentity(
            model=args.model,
            rubric=args.rubric,
            prompt=str(ref),
            prompt_digest=store.digest(ref),
            params=args.params,
            threshold=spec.threshold,
            path=spec.path,
        )

    def calibration(
        self, spec: AssertionSpec, suite: str, settings: Settings, prompts: PromptStore
    ) -> CalibrationStatus | None:
        """Where the judge's calibration stands; None for a judge without labels."""
        args: JudgeArgs = spec.args
        if args.label_set is None:
            return None
        return status(
            snapshots_dir=settings.snapshots_dir,
            suite=suite,
            suite_path=args._suite_path,
            identity=self.identity(spec, prompts),
            labels=args.label_set,
            min_agreement=args.min_agreement,
        )

    @staticmethod
    def _variables(
        args: JudgeArgs, output: str, variables: dict[str, Any], suite: str, case: str
    ) -> dict[str, Any]:
        return {
            "rubric": args.rubric,
            "output": output,
            "vars": variables,
            "suite": suite,
            "case": case,
        }

    def needs(self, spec: AssertionSpec, obs: Observation, ctx: CheckContext) -> list[Request]:
        args: JudgeArgs = spec.args
        store, ref = _judge_store(args, ctx.prompts)
        variables = self._variables(args, judged_text(obs, spec), obs.vars, obs.suite, obs.case_id)
        messages = store.render(ref, variables)
        return [
            build_request(
                model=args.model,
                api="chat",
                messages=messages,
                params=args.params,
                schema=Verdict,
                structured=judge_structured(args.model, obs, ctx),
            )
        ]

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        args: JudgeArgs = spec.args
        try:
            outcome = self.decide(spec, fetched)
        except CheckFailed as exc:
            outcome = Outcome(False, str(exc))
        if args.label_set is None:
            return outcome
        if ctx is None:
            if args.min_agreement is None:
                return outcome
            return Outcome(False, f"{outcome.message}; its calibration cannot be read here")
        found = self.calibration(spec, obs.suite, ctx.settings, ctx.prompts)
        assert found is not None
        judge = args.label_set.judge_id
        line = found.record.line() if found.record is not None else "no calibration"
        said = line if found.ok else f"{found.state}: {line}"
        if args.min_agreement is not None and not found.ok:
            # an uncalibrated gate never passes, whatever it said
            return Outcome(
                False,
                f"{found.message} (its verdict: {outcome.message}) {note(judge, said)}",
                outcome.score,
            )
        return Outcome(outcome.passed, f"{outcome.message} {note(judge, said)}", outcome.score)

    def decide(self, spec: AssertionSpec, fetched: Sequence[Response]) -> Outcome:
        """The judge's own verdict on what it was asked (no calibration read), or
        CheckFailed when it gave none; ``evalkit calibrate`` compares this with the labels."""
        args: JudgeArgs = spec.args
        if len(fetched) != 1:
            raise CheckFailed("judge: no verdict was fetched (run it through a suite)")
        text = fetched[0].text
        try:
            verdict = Verdict.model_validate_json(text)
        except (ValidationError, ValueError) as exc:
            problem = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
            raise CheckFailed(
                f"judge: {args.model} gave no valid verdict ({problem}): {preview(text, 120)!r}"
            ) from None
        threshold = spec.threshold
        passed = verdict.passed and (threshold is None or verdict.score >= threshold)
        bar = f", threshold {threshold}" if threshold is not None else ""
        return Outcome(
            passed,
            f"judge {args.model} {'passed' if verdict.passed else 'failed'} the rubric {args.rubric!r} "
            f"(score {verdict.score:.2f}{bar}): {verdict.reason!r}",
            verdict.score,
        )
