"""Gates on how the model answered: finish reason, tokens, cost and latency."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..wire import tokens
from ..wire.request import Request
from ..wire.response import Response
from . import (
    ArgumentError,
    AssertionSpec,
    Check,
    CheckContext,
    LoadContext,
    Observation,
    Outcome,
    register,
    register_check,
)


class FinishArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = "stop"


class MaxArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: float = Field(ge=0, allow_inf_nan=False)


@register("finish_reason", FinishArgs)
def finish_reason(args: FinishArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = obs.finish_reason
    hint = " (the output was truncated: raise max_tokens or shorten it)" if got == "length" else ""
    return Outcome(got == args.value, f"expected finish_reason {args.value!r}, got {got!r}{hint}")


@register_check
class NotTruncated(Check):
    """Added to every case that has no finish_reason check of its own: an answer cut off by
    the token limit is not an answer."""

    name = "not_truncated"
    replaced_by: ClassVar[tuple[str, ...]] = ("finish_reason", "not_truncated")

    def implicit(self) -> AssertionSpec:
        return AssertionSpec(type=self.name, args=self.args(), implicit=True)

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        if obs.finish_reason == "length":
            return Outcome(
                False,
                "the output was truncated (finish_reason 'length'): raise max_tokens or "
                "shorten the expected answer",
            )
        return Outcome(True, f"not truncated (finish_reason {obs.finish_reason!r})")


def _gate(name: str, got: float, limit: float, unit: str = "") -> Outcome:
    return Outcome(got <= limit, f"expected {name} <= {limit:g}{unit}, got {got:g}{unit}")


@register_check
class InputTokens(Check):
    """Input tokens the API counted; a request whose count before sending is already over
    the budget is not sent (only for models whose tokenizer evalkit knows exactly)."""

    name = "input_tokens"
    args = MaxArgs

    def refuse(self, spec: AssertionSpec, request: Request) -> str | None:
        if spec.negate or spec.weight == 0 or not tokens.exact_for(request.model):
            return None
        estimate = tokens.input_tokens(request.endpoint, request.body)
        limit: float = spec.args.max
        if estimate > limit:
            return (
                f"estimated {estimate} input tokens exceed the input_tokens budget "
                f"({limit:g}): the request was not sent"
            )
        return None

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        return _gate("input_tokens", obs.input_tokens, spec.args.max)


@register("output_tokens", MaxArgs)
def output_tokens(args: MaxArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    return _gate("output_tokens", obs.output_tokens, args.max)


@register("latency_ms", MaxArgs)
def latency_ms(args: MaxArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    return _gate("latency_ms", round(obs.latency_ms, 1), args.max, " ms")


@register("cost_usd", MaxArgs)
def cost_usd(args: MaxArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    if obs.cost_usd is None:
        return Outcome(
            False,
            f"no price known for model {obs.model!r}, so cost_usd cannot be checked; "
            "add it under [tool.evalkit.prices] in pyproject.toml",
        )
    return Outcome(
        obs.cost_usd <= args.max, f"expected cost_usd <= {args.max:g}, got {obs.cost_usd:.6g}"
    )


@register_check
class TimeToFirstToken(Check):
    """The slowest first token of a streamed case's turns (what a user waits for)."""

    name = "ttft_ms"
    args = MaxArgs

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        if not ctx.streams:
            raise ArgumentError(
                "ttft_ms measures streamed answers: add `stream: true` to the suite (or a variant)"
            )

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        if obs.ttft_ms is None:
            return Outcome(False, "no time to first token: this answer was not streamed")
        return _gate("ttft_ms", round(obs.ttft_ms, 1), spec.args.max, " ms")


class TurnsArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: int = Field(ge=1)


@register("turns", TurnsArgs)
def turns(args: TurnsArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    return _gate("turns", obs.turns, args.max)
