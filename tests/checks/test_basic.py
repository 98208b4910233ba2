"""checks/basic.py's rule checks at their edges: arguments refused when a suite is loaded
(a pattern that does not compile, min over max, a schema that is not one), bounds that are
inclusive, values that are not numbers or sizes failing with a message rather than a crash,
and what a path walks (tool calls included)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from pydantic import ValidationError

from evalkit.checks import REGISTRY, AssertionSpec, Observation, evaluate, preview, value_at
from evalkit.wire.tools import ToolCall


def spec(kind: str, path: str | None = None, negate: bool = False, **args: Any) -> AssertionSpec:
    return AssertionSpec(
        type=kind, path=path, negate=negate, args=REGISTRY[kind].args.model_validate(args)
    )


def check(kind: str, text: str, path: str | None = None, **args: Any) -> tuple[bool, str]:
    outcome = evaluate(spec(kind, path, **args), Observation(text=text))
    return outcome.passed, outcome.message


# -- arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "args", "problem"),
    [
        ("regex", {"pattern": "(unclosed"}, "invalid regular expression"),
        ("regex", {"pattern": "a", "flags": "i"}, "Extra inputs are not permitted"),
        ("range", {}, "give min, max or both"),
        ("range", {"min": 5, "max": 1}, "min 5.0 is greater than max 1.0"),
        ("length", {"min": 2, "max": 1}, "is greater than max"),
        ("json_schema", {"schema": {"type": "no-such-type"}}, "invalid JSON Schema"),
        ("contains", {"value": 3}, "Input should be a valid string"),
        ("one_of", {"values": "abc"}, "Input should be a valid list"),
        ("equals", {}, "Field required"),
    ],
)
def test_bad_arguments_are_refused_when_the_suite_is_read(
    kind: str, args: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        REGISTRY[kind].args.model_validate(args)


def test_a_regex_takes_pattern_or_value() -> None:
    model = REGISTRY["regex"].args
    assert model.model_validate({"pattern": "a+"}) == model.model_validate({"value": "a+"})


def test_a_range_with_equal_bounds_is_one_value() -> None:
    assert check("range", "5", min=5, max=5)[0]
    assert not check("range", "5.0001", min=5, max=5)[0]


# -- equals, contains, starts_with, regex ---------------------------------------------------------


def test_equals_a_string_compares_the_whole_text() -> None:
    assert check("equals", "Billing", value="Billing")[0]
    assert not check("equals", "Billing ", value="Billing")[0]  # no trimming


def test_equals_a_structure_compares_the_parsed_output() -> None:
    assert check("equals", '{"a": [1, 2]}', value={"a": [1, 2]})[0]
    assert check("equals", "3", value=3)[0]
    passed, message = check("equals", "not json", value=3)
    assert not passed and "output is not JSON" in message


def test_contains_reads_a_structure_as_its_json_text() -> None:
    text = json.dumps({"items": [{"name": "Zürich"}]})
    assert check("contains", text, "items", value='"name": "Zürich"')[0]  # not ascii-escaped
    assert check("contains", '{"n": 42}', "n", value="42")[0]  # a number as its text


def test_ignore_case_applies_to_both_sides() -> None:
    assert check("starts_with", "HELLO there", value="hello", ignore_case=True)[0]
    assert not check("starts_with", "HELLO there", value="hello")[0]
    assert check("contains", "abc", value="B", ignore_case=True)[0]
    assert check("regex", "ABC", pattern="^abc$", ignore_case=True)[0]


def test_regex_searches_anywhere_unless_anchored() -> None:
    assert check("regex", "order A-123 shipped", pattern=r"A-\d+")[0]
    passed, message = check("regex", "order shipped", pattern=r"A-\d+")
    assert not passed and message == r"expected to match /A-\d+/, got order shipped"


def test_negation_says_what_was_not_wanted() -> None:
    outcome = evaluate(spec("contains", negate=True, value="sorry"), Observation(text="so sorry"))
    assert not outcome.passed and outcome.message.startswith("expected the opposite: expected")
    fine = evaluate(spec("contains", negate=True, value="sorry"), Observation(text="done"))
    assert fine.passed and fine.message == ""


# -- one_of, is_json, json_schema --------------------------------------------------------------


def test_one_of_compares_values_with_their_types() -> None:
    assert check("one_of", '{"n": 1}', "n", values=[1, 2])[0]
    assert not check("one_of", '{"n": "1"}', "n", values=[1, 2])[0]
    assert check("one_of", '{"n": null}', "n", values=[None])[0]


def test_is_json_at_a_path_reads_a_string_that_holds_json() -> None:
    assert check("is_json", json.dumps({"payload": '{"a": 1}'}), "payload")[0]
    passed, message = check("is_json", json.dumps({"payload": "{oops"}), "payload")
    assert not passed and message.startswith("expected JSON at payload, got {oops (")
    assert check("is_json", json.dumps({"payload": {"a": 1}}), "payload")[0]  # already JSON
    passed, message = check("is_json", '{"a": 1}', "b")
    assert not passed and "expected JSON, got path 'b'" in message


def test_json_schema_names_the_first_place_that_fails() -> None:
    schema = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "integer"}}},
    }
    passed, message = check("json_schema", '{"items": [1, "two", 3]}', schema=schema)
    assert not passed and "at items/1: 'two' is not of type 'integer'" in message
    passed, message = check("json_schema", "[]", schema=schema)
    assert not passed and "at the top:" in message
    assert check("json_schema", '{"items": []}', schema=schema) == (
        True,
        "output matches the JSON Schema",
    )


# -- length and range ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "size"),
    [('{"s": "héllo"}', "s", 5), ('{"l": [1, 2, 3]}', "l", 3), ('{"d": {"a": 1}}', "d", 1)],
)
def test_length_counts_characters_items_or_keys(text: str, path: str, size: int) -> None:
    assert check("length", text, path, min=size, max=size)[0]
    assert not check("length", text, path, max=size - 1)[0]


def test_length_of_the_whole_text_counts_its_characters() -> None:
    assert check("length", "abc", min=3, max=3)[0]


@pytest.mark.parametrize("value", ["5", "true", "null", "1.5"])
def test_length_of_something_without_a_size_fails_with_its_type(value: str) -> None:
    passed, message = check("length", '{"v": ' + value + "}", "v", max=10)
    assert not passed and "not a string or list" in message


@pytest.mark.parametrize(
    ("value", "passed"),
    [('"7"', True), ('" 7 "', True), ('"1e1"', False), ("7", True), ("7.5", True), ("9", False)],
)
def test_range_reads_numbers_and_numeric_strings(value: str, passed: bool) -> None:
    assert check("range", '{"v": ' + value + "}", "v", min=1, max=8)[0] is passed


@pytest.mark.parametrize("value", ["true", "false", "null", '"seven"', "[1]", '{"a": 1}'])
def test_range_of_something_that_is_not_a_number_fails_saying_so(value: str) -> None:
    passed, message = check("range", '{"v": ' + value + "}", "v", min=0)
    assert not passed and message.endswith("is not a number")


def test_range_bounds_are_inclusive_for_random_values() -> None:
    rng = random.Random(31)
    for _ in range(200):
        low = rng.uniform(-100, 100)
        high = low + rng.uniform(0, 50)
        x = rng.choice([low, high, rng.uniform(low - 10, high + 10)])
        expected = low <= x <= high
        assert check("range", json.dumps({"v": x}), "v", min=low, max=high)[0] is expected


def test_a_one_sided_range_shows_infinity_on_the_open_side() -> None:
    assert check("range", "3", min=5)[1] == "expected in [5, inf], got 3.0"
    assert check("range", "3", max=2)[1] == "expected in [-inf, 2], got 3.0"


# -- paths and previews --------------------------------------------------------------------------


def test_a_path_walks_fields_and_items() -> None:
    obs = Observation(text=json.dumps({"a": {"b": [{"c": 1}, {"c": 2}]}}))
    assert value_at(obs, "a.b[1].c") == 2
    assert value_at(obs, None) == obs.text


def test_tool_calls_are_a_path_of_their_own() -> None:
    calls = [ToolCall(id="c1", name="lookup", arguments='{"id": "A1"}', turn=0)]
    obs = Observation(text="not json at all", tool_calls=calls)
    assert value_at(obs, "tool_calls[0].arguments.id") == "A1"
    assert value_at(obs, "tool_calls")[0]["name"] == "lookup"
    assert check("length", "x", "tool_calls", max=0)[0]  # no calls: an empty list


def test_preview_cuts_long_values_to_the_limit() -> None:
    assert preview("x" * 120) == "x" * 120
    cut = preview("x" * 121)
    assert len(cut) == 120 and cut.endswith("…")
    assert preview({"a": "é"}) == '{"a": "é"}'
