"""Grader templates: the item and sample namespaces, strictness, load-time checks."""

from __future__ import annotations

import pytest

from evalkit.checks import Observation
from evalkit.checks.graders.templates import Namespaces, check_template, render
from evalkit.wire.tools import ToolCall

from .helpers import grade, load_error


def ns(text: str = "", vars: dict | None = None, calls: list[ToolCall] | None = None) -> Namespaces:
    return Namespaces.of(Observation(text=text, vars=vars or {}, tool_calls=calls or []))


def test_item_is_the_cases_vars_and_nested_fields_are_reached() -> None:
    got = render(
        "{{ item.city }} / {{ item.nested.field }}",
        ns(vars={"city": "Paris", "nested": {"field": 3}}),
        "input",
    )
    assert got == "Paris / 3"


def test_sample_output_text_and_output_json() -> None:
    namespaces = ns('{"answer": {"city": "Rome"}, "n": [1, 2]}')
    assert render("{{ sample.output_json.answer.city }}", namespaces, "input") == "Rome"
    assert render("{{ sample.output_json.n[1] }}", namespaces, "input") == "2"
    assert render("{{ sample.output_text }}", ns("plain words"), "input") == "plain words"


def test_values_that_are_not_strings_render_as_json() -> None:
    namespaces = ns(vars={"obj": {"a": 1, "b": [True, None]}, "flag": False, "x": 1.5})
    assert render("{{ item.obj }}|{{ item.flag }}|{{ item.x }}", namespaces, "f") == (
        '{"a": 1, "b": [true, null]}|false|1.5'
    )


def test_output_tools_and_choices_have_the_chat_shape() -> None:
    namespaces = ns("", calls=[ToolCall(id="c1", name="lookup", arguments='{"q": "x"}')])
    assert render("{{ sample.output_tools[0].function.name }}", namespaces, "f") == "lookup"
    assert (
        render("{{ sample.output_tools[0].function.arguments }}", namespaces, "f") == '{"q": "x"}'
    )
    assert render("{{ sample.choices[0].message.tool_calls[0].id }}", namespaces, "f") == "c1"


def test_a_missing_item_field_fails_naming_the_whole_path() -> None:
    outcome = grade(
        {
            "type": "string_check",
            "input": "{{ item.nested.field }}",
            "reference": "x",
            "operation": "eq",
        },
        "x",
        {"nested": {"other": 1}},
    )
    assert not outcome.passed
    assert "input: item.nested.field is missing (item.nested has: other)" in outcome.message


def test_output_json_of_an_output_that_is_not_json_fails_saying_so() -> None:
    outcome = grade(
        {
            "type": "string_check",
            "input": "{{ sample.output_json.city }}",
            "reference": "x",
            "operation": "eq",
        },
        "Rome, I think",
    )
    assert not outcome.passed
    assert "sample.output_json: output is not JSON" in outcome.message


def test_a_missing_list_item_is_named() -> None:
    outcome = grade(
        {
            "type": "string_check",
            "input": "{{ sample.output_tools[0].function.name }}",
            "reference": "x",
            "operation": "eq",
        },
        "no calls",
    )
    assert "no item [0] (the list has 0)" in outcome.message


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ items.x }}", "uses items: the only namespaces are item"),
        ("{{ sample.output }}", "sample.output does not exist"),
        ("{{ sample['outputs'] }}", "sample.outputs does not exist"),
        ("{{ sample.output_audio.transcript }}", "evalkit records no audio"),
        ("{{ item.x ", "unexpected end of template"),
    ],
)
def test_template_mistakes_are_load_time_errors(template: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_template(template)
    assert problem in str(caught.value)
    message = load_error(
        {"type": "string_check", "input": template, "reference": "x", "operation": "eq"}
    )
    assert "bad arguments for assertion 'string_check': input:" in message
    assert problem in message


def test_python_attributes_are_not_reachable() -> None:
    outcome = grade(
        {
            "type": "string_check",
            "input": "{{ item.x.__class__.__mro__ }}",
            "reference": "x",
            "operation": "eq",
        },
        "x",
        {"x": "s"},
    )
    assert not outcome.passed
    assert "'str object' has no attribute '__class__'" in outcome.message
    keys = grade(
        {"type": "string_check", "input": "{{ item.keys }}", "reference": "x", "operation": "eq"},
        "x",
        {"keys": "x"},
    )
    assert keys.passed  # a field named like a dict method is the field


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        '{{ "x" * 10000000000 }}',
        "{{ 9 ** 9 ** 9 }}",
        "{{ item.x | lower }}",
        "{{ item.x() }}",
        "{{ item[item.k] }}",
    ],
)
def test_only_substitutions_are_allowed(template: str) -> None:
    message = load_error(
        {"type": "string_check", "input": template, "reference": "x", "operation": "eq"}
    )
    assert "is not allowed" in message or "only substitutions such as" in message


def test_a_template_without_braces_is_used_as_written() -> None:
    assert render("plain {text}", ns(), "f") == "plain {text}"


def test_the_sample_a_python_grader_gets() -> None:
    calls = [ToolCall(id="c1", name="lookup", arguments="{}")]
    namespaces = Namespaces.of(
        Observation(text='{"a": 1}', vars={"k": "v"}, tool_calls=calls, finish_reason="tool_calls")
    )
    assert namespaces.sample() == {
        "output_text": '{"a": 1}',
        "output_json": {"a": 1},
        "output_tools": [
            {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
        ],
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": '{"a": 1}',
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": "{}"},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    assert namespaces.item == {"k": "v"}
    assert ns("not json").sample()["output_json"] is None


def test_a_rendering_past_the_size_bound_fails() -> None:
    outcome = grade(
        {"type": "string_check", "input": "{{ item.big }}", "reference": "x", "operation": "eq"},
        "x",
        {"big": "y" * 1_000_001},
    )
    assert not outcome.passed
    assert "renders to more than 1000000 characters" in outcome.message


def test_negative_indexes_and_quoted_keys_read_like_json_paths() -> None:
    namespaces = ns('{"list": [1, 2, 3], "odd key": "v"}')
    assert render("{{ sample.output_json.list[-1] }}", namespaces, "f") == "3"
    assert render("{{ sample.output_json['odd key'] }}", namespaces, "f") == "v"


def test_a_template_over_the_size_bound_is_refused() -> None:
    with pytest.raises(ValueError) as caught:
        check_template("x" * 100_001)
    assert "at most 100000 characters" in str(caught.value)
