"""The ``python`` check: a user function decides, for what rules cannot express."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..errors import display_path
from . import AssertionSpec, CheckFailed, Observation, Outcome, register, value_at


def import_object(ref: str) -> Any:
    """``package.module:attr`` → the object; ValueError with a readable reason otherwise."""
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{ref!r} is not of the form module:name")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        where = f"{display_path(exc.filename)}:{exc.lineno}: " if exc.filename else ""
        raise ValueError(
            f"cannot import module {module_name!r}: {where}SyntaxError: {exc.msg}"
        ) from None
    except (Exception, SystemExit) as exc:  # a module that calls sys.exit() is broken too
        raise ValueError(
            f"cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


class PythonArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    fn: str

    @field_validator("fn")
    @classmethod
    def _importable(cls, v: str) -> str:
        if not callable(import_object(v)):
            raise ValueError(f"{v!r} is not callable")
        return v


@register("python", PythonArgs, scored=True)
def python(args: PythonArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    fn: Callable[..., Any] = import_object(args.fn)
    value = value_at(obs, spec.path) if spec.path else _best(obs)
    try:
        result = fn(value, obs)
    except (Exception, SystemExit) as exc:  # sys.exit() in a check must not end the run green
        raise CheckFailed(f"{args.fn} raised {type(exc).__name__}: {exc}") from None
    reason = ""
    if isinstance(result, tuple) and len(result) == 2:
        result, reason = result
    if isinstance(result, bool):
        return Outcome(result, f"{args.fn} returned {result}" + (f": {reason}" if reason else ""))
    if isinstance(result, (int, float)):
        if not 0.0 <= float(result) <= 1.0:
            raise CheckFailed(f"{args.fn} returned the score {result!r}: scores are in [0, 1]")
        return Outcome(
            True,
            f"{args.fn} scored {float(result):.3f}" + (f": {reason}" if reason else ""),
            float(result),
        )
    raise CheckFailed(
        f"{args.fn} returned {type(result).__name__}; return a bool, a score in [0, 1] or (bool, reason)"
    )


def _best(obs: Observation) -> Any:
    try:
        return obs.parsed
    except CheckFailed:
        return obs.text
