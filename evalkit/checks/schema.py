"""The ``schema`` check: the output parses into the suite's pydantic model."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ValidationError

from ..wire.response import Response
from . import (
    ArgumentError,
    AssertionSpec,
    Check,
    CheckContext,
    LoadContext,
    Observation,
    Outcome,
    register_check,
)


@register_check
class SchemaCheck(Check):
    name = "schema"

    def validate(self, spec: AssertionSpec, ctx: LoadContext) -> None:
        if not ctx.has_schema:
            raise ArgumentError("the `schema` check needs `schema: module:Model` in the suite")

    def evaluate(
        self,
        spec: AssertionSpec,
        obs: Observation,
        fetched: Sequence[Response],
        ctx: CheckContext | None,
    ) -> Outcome:
        return schema(spec.args, obs, spec)


def schema(args: BaseModel, obs: Observation, spec: AssertionSpec) -> Outcome:
    if obs.schema is None:
        return Outcome(False, "the `schema` check needs `schema: module:Model` in the suite")
    name = obs.schema.__name__
    try:
        obs.schema.model_validate_json(obs.text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'output'}: {e['msg']}"
            for e in exc.errors()[:5]
        )
        return Outcome(
            False, f"expected output valid for {name}, got {exc.error_count()} error(s): {problems}"
        )
    return Outcome(True, f"output is valid {name}")
