"""The ``javascript`` check: promptfoo's JavaScript assertions, run as JavaScript.

``{type: javascript, value: "output.includes('Paris')"}`` runs the code in a sandboxed
QuickJS engine (:mod:`.jsengine`), built into a function exactly as promptfoo builds it
(:mod:`.jssource`), and judges what it returns by promptfoo's rules
(``src/assertions/javascript.ts``):

- ``true``/``false`` passes or fails;
- a finite number is a score: it passes when it is **above 0** without a ``threshold``, and
  when it is **at least** ``threshold`` with one. A number outside [0, 1] is allowed, as in
  promptfoo (``Math.log(output.length) * 10``), but evalkit's ``threshold`` stays in
  [0, 1] and the score it records is clamped into [0, 1] (the message says the number);
- a ``{pass, score, reason}`` object (``pass`` a boolean, ``score`` a finite number,
  ``reason`` a string; ``namedScores``, ``componentResults``, ``comment`` ... allowed) passes
  when ``pass`` is true; its ``score`` is recorded (clamped), and ``threshold`` does not
  apply to it, as in promptfoo;
- anything else — a string, ``undefined`` (a code of several lines must ``return``), null,
  an array, a function, NaN, Infinity, an object without a boolean ``pass`` — fails the
  check and says what came back; so does a thrown error (its message), a Promise that never
  settles, and a limit (``javascript: timed out after 1 s``, ``out of memory``).

What the code sees:

- ``output``: the output text; with a suite ``schema`` (and no ``path``), the parsed JSON
  output, as promptfoo hands a ``json_schema`` response over (the text when it does not
  parse); with ``path``, the value at that path in the parsed output, as a JavaScript value
  (a string stays a string) — promptfoo has no ``path``;
- ``context.vars`` (the case's variables), ``context.test.vars`` (the same) and
  ``context.config`` (this assertion's ``config:``); ``context.prompt``, ``provider``,
  ``providerResponse``, ``logProbs``, ``metadata`` and ``trace`` throw "not available"
  (evalkit does not hand them to checks), so code that reads them fails, never passes by
  reading ``undefined``.

``not: true`` negates a pass or a fail (an error still fails, as in promptfoo); ``weight``
weighs the check like any other. Unlike promptfoo, ``{{ var }}`` templates in the code are
refused at load (use ``context.vars.var``), and so is what the sandbox cannot do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)

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
from .jsengine import Failure, Pending, Returned, Thrown, run, syntax_error
from .jssource import MAX_SOURCE_CHARS, Source, prepare

# Fields of promptfoo's assertion context that evalkit does not have: reading one throws.
UNAVAILABLE = ["prompt", "provider", "providerResponse", "logProbs", "metadata", "trace"]
_EXPECTED = "return true/false, a finite number or {pass: boolean, score: number, reason: string}"


class JavascriptArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(max_length=MAX_SOURCE_CHARS)
    config: dict[str, Any] | None = None  # promptfoo's `config:`, seen as context.config


class GradingResult(BaseModel):
    """promptfoo's GradingResult, as its ``isGradingResult`` accepts one."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    passed: StrictBool = Field(alias="pass")
    score: Annotated[float, Field(strict=True, allow_inf_nan=False)]
    reason: StrictStr
    namedScores: dict[str, Any] | list[Any] | None = None  # typeof 'object' (null too)
    tokensUsed: dict[str, Any] | list[Any] | None = None
    componentResults: list[Any] | None = None
    assertion: dict[str, Any] | list[Any] | None = None
    comment: StrictStr | None = None

    @field_validator("componentResults", "comment", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:  # promptfoo: an array / a string, or absent
            raise ValueError("must not be null")
        return v


@register_check
class Javascript(Check):
    name = "javascript"
    args = JavascriptArgs
    own_threshold: ClassVar[bool] = True
    doc = "JavaScript code (promptfoo's rules) returns true, a score or {pass, score, reason}"

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        """What the sandbox refuses and the engine's syntax errors are load errors."""
        args: JavascriptArgs = spec.args
        source = prepare(args.value)
        error = syntax_error(source.body)
        if error is not None:
            raise ArgumentError(f"javascript: {error}", "value")
        if args.config is not None:
            try:
                json.dumps(args.config, allow_nan=False)
            except (TypeError, ValueError) as exc:
                raise ArgumentError(f"javascript: config is not JSON ({exc})", "config") from None

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        args: JavascriptArgs = spec.args
        try:
            source = prepare(args.value)
        except ArgumentError as exc:
            raise CheckFailed(str(exc)) from None
        context: dict[str, Any] = {"vars": obs.vars, "test": {"vars": obs.vars}}
        if args.config is not None:
            context["config"] = args.config
        result = run(source.body, _output(obs, spec), context, UNAVAILABLE)
        return _judge(result, source, spec)


def _output(obs: Observation, spec: AssertionSpec) -> Any:
    if spec.path is not None:
        return value_at(obs, spec.path)
    if obs.schema is not None:
        try:
            return obs.parsed
        except CheckFailed:
            return obs.text  # promptfoo keeps the text when a json_schema answer does not parse
    return obs.text


def _quote(source: Source) -> str:
    return f"`{preview(' '.join(source.value.split()), 80)}`"


def _judge(
    result: Returned | Thrown | Pending | Failure, source: Source, spec: AssertionSpec
) -> Outcome:
    code = _quote(source)
    if isinstance(result, Failure):
        raise CheckFailed(f"javascript: {result.reason}: {code}")
    if isinstance(result, Thrown):
        raise CheckFailed(f"javascript {code} threw {result.name}: {result.message}")
    if isinstance(result, Pending):
        raise CheckFailed(
            f"javascript {code} returned a Promise that never settled "
            "(the sandbox has no timers, network or files to wait for)"
        )
    said = f"javascript {code} returned {result.shown}"
    if result.type == "boolean" and result.boolean is not None:
        return Outcome(result.boolean, said)
    if result.type == "number":
        if result.number is None:
            raise CheckFailed(f"{said}: a score must be a finite number")
        return _number(result.number, said, spec)
    if result.type == "object":
        return _grading(result, said, spec)
    hint = ""
    if result.type == "undefined" and source.multiline and "return" not in source.value:
        hint = " (code of several lines is a function body: end it with `return ...`)"
    raise CheckFailed(f"{said}{hint}: {_EXPECTED}")


def _number(score: float, said: str, spec: AssertionSpec) -> Outcome:
    threshold = spec.threshold
    if threshold is None:
        passed = score > 0
        rule = (
            f"{'above' if passed else 'not above'} 0 (without a threshold a number passes above 0)"
        )
    else:
        passed = score >= threshold
        rule = f"{'at or above' if passed else 'below'} the threshold {threshold:g}"
    return Outcome(passed, f"{said}: {rule}{_clamp_note(score)}", _clamp(score))


def _grading(result: Returned, said: str, spec: AssertionSpec) -> Outcome:
    if result.json_ is None:
        raise CheckFailed(f"{said}: {_EXPECTED}")
    try:
        graded = GradingResult.model_validate_json(result.json_)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "the object"
        raise CheckFailed(
            f"{said}: not a grading result ({field}: {err['msg']}); {_EXPECTED}"
        ) from None
    note = _clamp_note(graded.score)
    if spec.threshold is not None:
        note += " (threshold applies to a returned number, not to {pass, score})"
    reason = f": {graded.reason}" if graded.reason else ""
    return Outcome(graded.passed, f"{said}{note}{reason}", _clamp(graded.score))


def _clamp(score: float) -> float:
    return min(max(score, 0.0), 1.0)


def _clamp_note(score: float) -> str:
    clamped = _clamp(score)
    return f" (recorded as score {clamped:g})" if clamped != score else ""
