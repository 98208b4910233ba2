"""wire/tools.py: a tool's definition in each API's shape, a model's call checked against its
schema (a pydantic model's or an inline JSON Schema's) with the place that is wrong, and a
scripted loop's answer: a call with specific arguments wins over any call of the tool."""

from __future__ import annotations

import datetime
import random
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from evalkit.wire.tools import (
    Script,
    ScriptedResult,
    Tool,
    ToolCall,
    result_item,
    snake_case,
    subset,
    valid_tool_name,
)


class LookupOrder(BaseModel):
    """Look up an order.

    By its id."""

    order_id: str
    express: bool = False


class Renamed(BaseModel):
    tool_name: ClassVar[str] = "find"
    q: str


INLINE = Tool(
    name="add",
    description="",
    parameters={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    },
    strict=False,
)


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("LookupOrder", "lookup_order"),
        ("getHTTP2Status", "get_http2_status"),
        ("already_snake", "already_snake"),
        ("A", "a"),
    ],
)
def test_class_names_become_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def test_a_model_tool_is_named_and_described_from_the_class() -> None:
    tool = Tool.from_model(LookupOrder)
    assert tool.name == "lookup_order" and tool.model is LookupOrder and tool.strict
    assert tool.description == "Look up an order.\n\nBy its id."
    assert tool.parameters["additionalProperties"] is False
    assert sorted(tool.parameters["required"]) == ["express", "order_id"]  # strict: all of them
    assert Tool.from_model(Renamed).name == "find"
    assert Tool.from_model(Renamed).description == ""


def test_the_chat_shape_nests_the_function() -> None:
    tool = Tool.from_model(LookupOrder)
    shape = tool.chat_shape()
    assert shape["type"] == "function"
    assert shape["function"]["name"] == "lookup_order" and shape["function"]["strict"] is True
    assert shape["function"]["description"].startswith("Look up")
    plain = INLINE.chat_shape()["function"]
    assert "description" not in plain and "strict" not in plain


def test_the_responses_shape_is_flat_and_always_says_strict() -> None:
    shape = Tool.from_model(LookupOrder).responses_shape()
    assert shape["name"] == "lookup_order" and shape["strict"] is True and "function" not in shape
    plain = INLINE.responses_shape()
    assert plain["strict"] is False and "description" not in plain


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"order_id": "A1"}', None),
        ('{"order_id": "A1", "express": true}', None),
        ("{}", "order_id: Field required"),
        ('{"order_id": 5}', "order_id: Input should be a valid string"),
        ("[1]", "arguments: Input should be a valid dictionary"),
        ("{not json", "arguments are not JSON"),
        ("", "arguments are not JSON"),
    ],
)
def test_a_models_arguments_are_checked_against_the_pydantic_model(
    arguments: str, problem: str | None
) -> None:
    found = Tool.from_model(LookupOrder).validate_arguments(arguments)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ('{"a": 1, "b": 2}', None),
        ('{"a": 1}', "arguments: 'b' is a required property"),
        ('{"a": 1, "b": "two"}', "b: 'two' is not of type 'integer'"),
        ('{"a": 1, "b": 2, "c": 3}', "arguments: Additional properties are not allowed"),
        ("nope", "arguments are not JSON"),
    ],
)
def test_inline_schema_arguments_are_checked_with_json_schema(
    arguments: str, problem: str | None
) -> None:
    found = INLINE.validate_arguments(arguments)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


def test_deeply_nested_arguments_are_refused_not_a_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    found = INLINE.validate_arguments(deep)
    assert found is not None and found.startswith("arguments are not JSON")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("lookup_order", True),
        ("a-b_C9", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("has space", False),
        ("dot.ted", False),
        ("ünï", False),
    ],
)
def test_tool_names_follow_the_apis_rule(name: str, valid: bool) -> None:
    assert valid_tool_name(name) is valid


def test_a_calls_arguments_parse_or_stay_text() -> None:
    call = ToolCall(id="c1", name="f", arguments='{"a": [1, 2]}', turn=2)
    assert call.parsed == {"a": [1, 2]}
    assert call.as_data() == {"name": "f", "arguments": {"a": [1, 2]}, "id": "c1", "turn": 2}
    broken = ToolCall(id="c2", name="f", arguments="{oops")
    assert broken.parsed == "{oops" and broken.describe() == "f({oops)"


# -- subset ------------------------------------------------------------------------------------


def test_subset_matches_mappings_by_key_and_the_rest_by_equality() -> None:
    got = {"a": 1, "b": {"c": 2, "d": [1, 2]}, "e": None}
    assert subset({}, got)
    assert subset({"a": 1}, got)
    assert subset({"b": {"c": 2}}, got)
    assert subset({"e": None}, got)
    assert not subset({"e": None, "z": None}, got)  # a key that is missing is not None
    assert not subset({"b": {"d": [1]}}, got)  # lists are compared whole
    assert not subset({"a": 1}, [("a", 1)])
    assert subset([1, 2], [1, 2]) and not subset([1, 2], [2, 1])


def test_a_dict_is_always_a_subset_of_itself_and_of_any_superset() -> None:
    rng = random.Random(42)

    def value(depth: int) -> Any:
        if depth > 2 or rng.random() < 0.4:
            return rng.choice([0, 1, "x", None, True, [1]])
        return {f"k{i}": value(depth + 1) for i in range(rng.randrange(0, 4))}

    for _ in range(200):
        small = value(0)
        if not isinstance(small, dict):
            continue
        bigger = {**small, "extra": rng.random()}
        assert subset(small, small) and subset(small, bigger)
        if small:
            assert not subset(bigger, small)


# -- scripted results ---------------------------------------------------------------------------


def call(name: str, arguments: str = "{}") -> ToolCall:
    return ToolCall(id="c", name=name, arguments=arguments)


def test_a_specific_result_wins_over_any_call_wherever_it_is_written() -> None:
    anything = ScriptedResult("lookup", {"status": "unknown"})
    specific = ScriptedResult("lookup", {"status": "shipped"}, args={"id": "A1"})
    for order in ([anything, specific], [specific, anything]):
        script = Script(tuple(order))
        assert script.answer(call("lookup", '{"id": "A1", "x": 1}')) is specific
        assert script.answer(call("lookup", '{"id": "B2"}')) is anything
        assert script.answer(call("other")) is None


def test_the_first_matching_result_of_a_kind_answers() -> None:
    first = ScriptedResult("f", 1, args={"a": 1})
    second = ScriptedResult("f", 2, args={"a": 1})
    assert Script((first, second)).answer(call("f", '{"a": 1}')) is first


def test_arguments_that_are_not_json_match_only_any_call() -> None:
    specific = ScriptedResult("f", 1, args={"a": 1})
    assert Script((specific,)).answer(call("f", "{broken")) is None
    anything = ScriptedResult("f", 2)
    assert Script((specific, anything)).answer(call("f", "{broken")) is anything


def test_an_empty_script_answers_nothing() -> None:
    assert Script().answer(call("f")) is None


def test_a_result_is_sent_as_text_and_keeps_unicode() -> None:
    assert ScriptedResult("f", "as is").text() == "as is"
    assert (
        ScriptedResult("f", {"city": "Zürich", "n": [1]}).text() == '{"city": "Zürich", "n": [1]}'
    )
    dated = ScriptedResult("f", {"eta": datetime.date(2026, 11, 30)})
    assert dated.text() == '{"eta": "2026-11-30"}'  # a YAML date is not a crash


def test_result_items_are_in_each_apis_shape() -> None:
    made = ToolCall(id="call_9", name="f", arguments="{}")
    assert result_item(made, "42", "chat") == {
        "role": "tool",
        "tool_call_id": "call_9",
        "content": "42",
    }
    assert result_item(made, "42", "responses") == {
        "type": "function_call_output",
        "call_id": "call_9",
        "output": "42",
    }
