"""Checks on the tools a model called: which, with what, in which order, and whether the
arguments it wrote are valid (a model's JSON is untrusted input)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..wire.response import Response
from ..wire.tools import subset
from . import (
    ArgumentError,
    AssertionSpec,
    Check,
    CheckContext,
    LoadContext,
    Observation,
    Outcome,
    preview,
    register_check,
)


class CalledArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    args: dict[str, Any] | None = None  # a subset the call's arguments must contain
    times: int | None = Field(None, ge=0)  # exactly this many matching calls


class SequenceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    names: list[str] = Field(min_length=1)
    order: Literal["in_order", "exact"] = "in_order"


def _needs_tools(ctx: LoadContext, names: Sequence[str], key: str) -> None:
    if not ctx.tools:
        raise ArgumentError("a tool check in a suite without tools: add `tools:` to the suite")
    unknown = [n for n in names if n not in ctx.tools]
    if unknown:
        known = ", ".join(sorted(ctx.tools))
        raise ArgumentError(f"{unknown[0]!r} is not a tool of the suite (tools: {known})", key)


def _calls(obs: Observation) -> str:
    return ", ".join(c.describe() for c in obs.tool_calls) or "no tool call"


@register_check
class ToolCalled(Check):
    name = "tool_called"
    args = CalledArgs

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        _needs_tools(ctx, [spec.args.name], "name")

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        args: CalledArgs = spec.args
        matching = [
            c
            for c in obs.tool_calls
            if c.name == args.name and (args.args is None or subset(args.args, c.parsed))
        ]
        wanted = f"{args.name}" + (f" with {json.dumps(args.args)}" if args.args else "")
        if args.times is not None:
            return Outcome(
                len(matching) == args.times,
                f"expected {args.times} call(s) of {wanted}, got {len(matching)}: {preview(_calls(obs))}",
            )
        return Outcome(bool(matching), f"expected a call of {wanted}, got {preview(_calls(obs))}")


@register_check
class ToolSequence(Check):
    name = "tool_sequence"
    args = SequenceArgs

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        _needs_tools(ctx, spec.args.names, "names")

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        args: SequenceArgs = spec.args
        got = [c.name for c in obs.tool_calls]
        if args.order == "exact":
            ok = got == args.names
        else:  # the names appear in this order, other calls may come between
            position = 0
            for name in got:
                if position < len(args.names) and name == args.names[position]:
                    position += 1
            ok = position == len(args.names)
        how = "exactly" if args.order == "exact" else "in this order"
        return Outcome(ok, f"expected the calls {args.names} {how}, got {got}")


@register_check
class ToolArgsValid(Check):
    """Every call's arguments parse and validate against its tool's schema."""

    name = "tool_args_valid"

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        _needs_tools(ctx, [], "")

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        for call in obs.tool_calls:
            tool = obs.tools.get(call.name)
            if tool is None:
                return Outcome(False, f"the model called {call.name!r}, which it was not offered")
            problem = tool.validate_arguments(call.arguments)
            if problem:
                return Outcome(
                    False,
                    f"{call.name} was called with invalid arguments ({problem}): {preview(call.arguments)}",
                )
        return Outcome(True, f"{len(obs.tool_calls)} call(s) with valid arguments")
