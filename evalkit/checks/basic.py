"""Rule checks on a value: equality, text matching, JSON shape, sizes and ranges."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..io.jsonfile import loads_value
from . import AssertionSpec, CheckFailed, Observation, Outcome, preview, register, value_at


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ValueArgs(_Args):
    value: Any


class TextArgs(_Args):
    value: str
    ignore_case: bool = False


class RegexArgs(_Args):
    """``pattern`` as Python's ``re`` names it; ``value`` is accepted too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    value: str = Field(validation_alias=AliasChoices("pattern", "value"))
    ignore_case: bool = False

    @field_validator("value")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        return v


class OneOfArgs(_Args):
    values: list[Any]


class SchemaArgs(_Args):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    value: dict[str, Any] = Field(validation_alias=AliasChoices("value", "schema"))

    @field_validator("value")
    @classmethod
    def _valid(cls, v: dict[str, Any]) -> dict[str, Any]:
        import jsonschema  # imported when used: a heavy import at start-up

        try:
            jsonschema.Draft202012Validator.check_schema(v)
        except jsonschema.SchemaError as exc:
            raise ValueError(f"invalid JSON Schema: {exc.message}") from None
        return v


class RangeArgs(_Args):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> RangeArgs:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


def _text(value: Any, spec: AssertionSpec) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _where(spec: AssertionSpec) -> str:
    return f" at {spec.path}" if spec.path else ""


@register("equals", ValueArgs)
def equals(args: ValueArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = value_at(obs, spec.path)
    expected = args.value
    if spec.path is None and not isinstance(expected, str):
        got = obs.parsed  # comparing a whole JSON output to a structure
    ok = got == expected
    return Outcome(ok, f"expected {preview(expected)}{_where(spec)}, got {preview(got)}")


@register("contains", TextArgs)
def contains(args: TextArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = _text(value_at(obs, spec.path), spec)
    needle, hay = (args.value.lower(), got.lower()) if args.ignore_case else (args.value, got)
    return Outcome(
        needle in hay, f"expected{_where(spec)} to contain {args.value!r}, got {preview(got)}"
    )


@register("starts_with", TextArgs)
def starts_with(args: TextArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = _text(value_at(obs, spec.path), spec)
    needle, hay = (args.value.lower(), got.lower()) if args.ignore_case else (args.value, got)
    return Outcome(
        hay.startswith(needle),
        f"expected{_where(spec)} to start with {args.value!r}, got {preview(got)}",
    )


@register("regex", RegexArgs)
def regex(args: RegexArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = _text(value_at(obs, spec.path), spec)
    flags = re.IGNORECASE if args.ignore_case else 0
    ok = re.search(args.value, got, flags) is not None
    return Outcome(ok, f"expected{_where(spec)} to match /{args.value}/, got {preview(got)}")


@register("one_of", OneOfArgs)
def one_of(args: OneOfArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = value_at(obs, spec.path)
    return Outcome(
        got in args.values,
        f"expected{_where(spec)} one of {preview(args.values)}, got {preview(got)}",
    )


@register("is_json")
def is_json(args: BaseModel, obs: Observation, spec: AssertionSpec) -> Outcome:
    try:
        value = value_at(obs, spec.path) if spec.path else obs.parsed
    except CheckFailed as exc:
        return Outcome(False, f"expected JSON, got {exc}")
    if spec.path and isinstance(value, str):
        try:
            loads_value(value)
        except ValueError as exc:
            return Outcome(False, f"expected JSON{_where(spec)}, got {preview(value)} ({exc})")
    return Outcome(True, f"expected JSON{_where(spec)}, got JSON")


@register("json_schema", SchemaArgs)
def json_schema(args: SchemaArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    value = value_at(obs, spec.path) if spec.path else obs.parsed
    import jsonschema  # imported when used: a heavy import at start-up

    errors = sorted(jsonschema.Draft202012Validator(args.value).iter_errors(value), key=str)
    if not errors:
        return Outcome(True, f"output{_where(spec)} matches the JSON Schema")
    first = errors[0]
    at = "/".join(str(p) for p in first.absolute_path) or "the top"
    return Outcome(
        False, f"expected{_where(spec)} to match the JSON Schema; at {at}: {first.message}"
    )


@register("length", RangeArgs)
def length(args: RangeArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = value_at(obs, spec.path)
    if not isinstance(got, (str, list, dict)):
        raise CheckFailed(
            f"length{_where(spec)}: {preview(got)} is a {type(got).__name__}, not a string or list"
        )
    size = len(got)
    return Outcome(
        _within(size, args), f"expected length{_where(spec)} in {_bounds(args)}, got {size}"
    )


@register("range", RangeArgs)
def range_(args: RangeArgs, obs: Observation, spec: AssertionSpec) -> Outcome:
    got = value_at(obs, spec.path)
    if isinstance(got, str):
        try:
            got = float(got)
        except ValueError:
            raise CheckFailed(f"range{_where(spec)}: {preview(got)} is not a number") from None
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise CheckFailed(f"range{_where(spec)}: {preview(got)} is not a number")
    return Outcome(_within(got, args), f"expected{_where(spec)} in {_bounds(args)}, got {got}")


def _within(x: float, args: RangeArgs) -> bool:
    return (args.min is None or x >= args.min) and (args.max is None or x <= args.max)


def _bounds(args: RangeArgs) -> str:
    lo = "-inf" if args.min is None else f"{args.min:g}"
    hi = "inf" if args.max is None else f"{args.max:g}"
    return f"[{lo}, {hi}]"
