"""Gates on how the model answered: finish reason, tokens, cost and latency."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from . import AssertionSpec, Observation, Outcome, register


class FinishArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = "stop"


class MaxArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max: float = Field(ge=0)


@register("finish_reason", FinishArgs)
def finish_reason(args: FinishArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = obs.finish_reason
    hint = " (the output was truncated: raise max_tokens or shorten it)" if got == "length" else ""
    return Outcome(got == args.value, f"expected finish_reason {args.value!r}, got {got!r}{hint}")


def _gate(name: str, got: float, limit: float, unit: str = "") -> Outcome:
    return Outcome(got <= limit, f"expected {name} <= {limit:g}{unit}, got {got:g}{unit}")


@register("input_tokens", MaxArgs)
def input_tokens(args: MaxArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    return _gate("input_tokens", obs.input_tokens, args.max)


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
