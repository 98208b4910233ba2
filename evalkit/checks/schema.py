"""The ``schema`` check: the output parses into the suite's pydantic model."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from . import AssertionSpec, Observation, Outcome, register


@register("schema")
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
