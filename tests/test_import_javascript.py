"""promptfoo `javascript` assertions: the parser, the one-check patterns, and the generated
Python, run on outputs and compared with what JavaScript computes for them."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from evalkit.checks import Observation
from evalkit.importers import runtime as js
from evalkit.importers.javascript import JsContext, transform_path, translate
from evalkit.importers.jsparse import JsUnsupported, parse_expression, parse_program


def run_js(code: str, text: str, ctx: JsContext | None = None, **variables: Any) -> Any:
    """Translate ``code`` to a Python check and call it on an output, as evalkit would."""
    translation = translate(code, ctx or JsContext())
    assert translation.body, f"expected generated Python, got checks {translation.checks}"
    source = "def check(value, obs):\n" + "\n".join(f"    {line}" for line in translation.body)
    namespace: dict[str, Any] = {"js": js, "json": json, "math": math, "re": re}
    exec(compile(source, "<generated>", "exec"), namespace)
    obs = Observation(text=text, vars=variables)
    value = json.loads(text) if (ctx and ctx.path) else text
    if ctx and ctx.path:
        for part in ctx.path.split("."):
            value = value[part]
    return namespace["check"](value, obs)


# -- one expression, one evalkit check ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("output.includes('Paris')", {"type": "contains", "value": "Paris"}),
        (
            'output.toLowerCase().includes("ahoy")',
            {"type": "contains", "value": "ahoy", "ignore_case": True},
        ),
        (
            "output.toUpperCase().includes('OK')",
            {"type": "contains", "value": "OK", "ignore_case": True},
        ),
        ("!output.includes('sorry')", {"type": "contains", "value": "sorry", "not": True}),
        ("!!output.includes('x')", {"type": "contains", "value": "x"}),
        ("output.startsWith('Yes')", {"type": "starts_with", "value": "Yes"}),
        ("output.endsWith('.')", {"type": "regex", "value": r"\.\Z"}),
        (
            "/hello\\s+world/i.test(output)",
            {"type": "regex", "value": r"hello\s+world", "ignore_case": True},
        ),
        ("output.match(/^\\d{3}$/m)", {"type": "regex", "value": r"(?m)^\d{3}$"}),
        ("output.length < 80", {"type": "length", "max": 79}),
        ("output.length <= 80", {"type": "length", "max": 80}),
        ("output.length > 10", {"type": "length", "min": 11}),
        ("10 <= output.length", {"type": "length", "min": 10}),
        ("output.length === 5", {"type": "length", "min": 5, "max": 5}),
        ("output === 'Paris'", {"type": "equals", "value": "Paris"}),
        ("output !== 'Paris'", {"type": "equals", "value": "Paris", "not": True}),
        (
            "JSON.parse(output).color === 'yellow'",
            {"type": "equals", "path": "color", "value": "yellow"},
        ),
        ("JSON.parse(output).a.b[0] === 3", {"type": "equals", "path": "a.b[0]", "value": 3}),
        ("JSON.parse(output)['ok'] === true", {"type": "equals", "path": "ok", "value": True}),
        ("JSON.parse(output).items.length >= 2", {"type": "length", "path": "items", "min": 2}),
        ("JSON.parse(output).score >= 0.5", {"type": "range", "path": "score", "min": 0.5}),
        ("JSON.parse(output).score <= 1", {"type": "range", "path": "score", "max": 1}),
    ],
)
def test_single_patterns_become_one_evalkit_check(code: str, check: dict[str, Any]) -> None:
    translation = translate(code, JsContext())
    assert translation.checks == [check]
    assert translation.body == []


def test_a_parsed_output_reads_fields_directly() -> None:
    ctx = JsContext(output_parsed=True)
    assert translate("output.color === 'purple'", ctx).checks == [
        {"type": "equals", "path": "color", "value": "purple"}
    ]


def test_tool_call_patterns_on_a_suite_with_tools() -> None:
    ctx = JsContext(tools=("get_weather",))
    named = translate("output[0].function.name === 'get_weather'", ctx)
    assert named.checks == [{"type": "tool_called", "name": "get_weather"}]
    assert named.notes and "approximated" in named.notes[0]
    args = translate("JSON.parse(output[0].function.arguments).city === 'Oslo'", ctx)
    assert args.checks == [{"type": "tool_called", "name": "get_weather", "args": {"city": "Oslo"}}]
    assert translate("output[0].function.name === 'x'", JsContext()).body  # no tools: Python


@pytest.mark.parametrize(
    "code",
    [
        "output.toLowerCase().includes('ABC')",  # can never match: leave the meaning to Python
        "JSON.parse(output).score > 0.5",  # strict on a float: range is inclusive
        "JSON.parse(output).x === null",  # missing is undefined, not null
        "JSON.parse(output).tags.includes('a')",  # list membership, not substring
    ],
)
def test_near_misses_are_not_forced_into_a_check(code: str) -> None:
    assert translate(code, JsContext()).checks == []


# -- generated Python keeps JavaScript's meaning -----------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("output.includes('x') && output.length < 10", "xyz", True),
        ("output.includes('x') && output.length < 10", "x" * 20, False),
        ("output.includes('a') || output.includes('b')", "only b", True),
        (
            "JSON.parse(output).color === 'yellow' && JSON.parse(output).countries.includes('Ecuador')",
            '{"color": "yellow", "countries": ["Ecuador"]}',
            True,
        ),
        (
            "JSON.parse(output).color === 'yellow' && JSON.parse(output).countries.includes('Ecuador')",
            '{"color": "yellow", "countries": ["Ecuadorian"]}',
            False,  # array membership, not substring
        ),
        ("JSON.parse(output).missing === undefined", "{}", True),
        ("JSON.parse(output).items ? true : false", '{"items": []}', True),  # [] is truthy
        ("!JSON.parse(output).name", '{"name": ""}', True),  # "" is falsy
        ("('n' + JSON.parse(output).n) === 'n1'", '{"n": 1}', True),
        ("String(JSON.parse(output).n) === '2'", '{"n": 2.0}', True),
        ("output.split(' ').every(w => w.length < 6)", "short words only", True),
        ("output.split(' ').some(w => w === 'needle')", "hay needle hay", True),
        ("output.split(' ').filter(w => w.startsWith('a')).length === 2", "an apple b", True),
        ("output.trim() === 'Yes'", "  Yes \n", True),
        ("output.indexOf('b') === 1", "abc", True),
        ("output.replace(/o/g, '0') === 'f00'", "foo", True),
        ("output.replace('o', '0') === 'f0o'", "foo", True),
        ("Math.round(2.5) === 3", "", True),  # JS rounds half up
        ("typeof JSON.parse(output).x === 'string'", '{"x": "s"}', True),
        ("`${output.length} chars` === '3 chars'", "abc", True),
        ("JSON.parse(output).a?.b === undefined", '{"a": null}', True),
        ("(JSON.parse(output).n ?? 5) === 5", "{}", True),
        ("parseInt(output) === 42", "42 apples", True),
        ("Number(output) > 3", "3.5", True),
        ("isNaN(Number(output))", "abc", True),
        ("Object.keys(JSON.parse(output)).length === 2", '{"a": 1, "b": 2}', True),
    ],
)
def test_generated_python_matches_javascript(code: str, text: str, expected: bool) -> None:
    assert run_js(code, text) is expected


def test_function_bodies_with_declarations_and_if() -> None:
    code = """
        const words = output.split(' ');
        if (words.length > 5) {
          return false;
        } else if (words.length === 0) {
          return false;
        }
        return output.toLowerCase().includes('ahoy');
    """
    assert run_js(code, "Ahoy there") is True
    assert run_js(code, "one two three four five six ahoy") is False


def test_context_vars_are_the_case_vars() -> None:
    assert run_js("output.includes(context.vars.city)", "I love Oslo", city="Oslo") is True
    assert run_js("output.length >= context.vars.min", "abcd", min=5) is False


def test_numeric_results_are_scores() -> None:
    code = "Math.max(0, Math.min(1, 1 - (output.length - 100) / 900));"
    passed, reason = run_js(code, "x" * 550)  # no threshold: promptfoo passes any score > 0
    assert passed is True and "score 0.500" in reason
    assert run_js(code, "x" * 1000)[0] is False
    assert run_js(code, "x" * 550, JsContext(scored=True)) == pytest.approx(0.5)


def test_grading_results_carry_pass_and_reason() -> None:
    code = "return { pass: output.length > 3, score: 0.5, reason: 'long enough' };"
    assert run_js(code, "long text") == (True, "score 0.500: long enough")
    assert run_js(code, "no")[0] is False


def test_a_field_picked_by_a_transform_is_the_output() -> None:
    ctx = JsContext(output_parsed=True, path="countries")
    assert run_js("output.includes('Peru')", '{"countries": ["Peru"]}', ctx) is True


def test_returning_something_else_fails_like_promptfoo() -> None:
    with pytest.raises(TypeError, match="must return a boolean, a number"):
        run_js("output.split(' ')", "x x")


def test_names_are_kept_clear_of_python_keywords_and_builtins() -> None:
    translation = translate(
        "const list = output.split(','); return list.length === 2;", JsContext()
    )
    assert 'list_ = js.split(output, ",")' in translation.body
    assert run_js("const list = output.split(','); return list.length === 2;", "a,b") is True


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("for (const w of output.split(' ')) { return true }", "a `for` loop"),
        ("fetch('https://x')", "the function fetch()"),
        ("let n = 0; n += 1; return n > 0", "assignments"),
        ("require('fs')", "`require`"),
        ("await check(output)", "`await`"),
        ("output.split(' ').reduce((a, b) => a + b)", "the method .reduce()"),
        ("context.prompt.includes('x')", "context.prompt"),
        ("process.env.KEY === 'x'", "the name 'process'"),
        ("const x = 1", "no `return` statement"),
        ("output.includes('x'", "expected ')'"),
        ("'unterminated", "unterminated string literal"),
    ],
)
def test_unsupported_code_says_why(code: str, reason: str) -> None:
    with pytest.raises(JsUnsupported, match=re.escape(reason)):
        translate(code, JsContext())


def test_parser_precedence_and_regex_versus_division() -> None:
    program = parse_program("a / b / 2 > 1 && /x/.test(s)")
    assert program.expression is not None
    assert repr(parse_expression("2 ** 3 ** 2")).count("Binary") == 2
    assert parse_expression("output.length / 2").__class__.__name__ == "Binary"  # not a regex


@pytest.mark.parametrize(
    ("code", "parsed", "result"),
    [
        ("JSON.parse(output)", False, (True, None)),
        ("JSON.parse(output).countries", False, (True, "countries")),
        ("output.countries", True, (True, "countries")),
        ("output[0].function.name", True, (True, "[0].function.name")),
    ],
)
def test_transforms_that_carry_as_paths(
    code: str, parsed: bool, result: tuple[bool, str | None]
) -> None:
    assert transform_path(code, parsed) == result


def test_other_transforms_are_refused() -> None:
    with pytest.raises(JsUnsupported):
        transform_path("output.trim()", False)


def test_runtime_helpers_follow_javascript() -> None:
    assert js.truthy([]) and js.truthy({}) and not js.truthy("") and not js.truthy(math.nan)
    assert js.string(1.0) == "1" and js.string(None) == "undefined" and js.string([1, None]) == "1,"
    assert js.add("a", 1) == "a1" and js.add(1, 2) == 3
    assert js.prop({"a": 1}, "b") is None and js.prop([1, 2], 5) is None
    with pytest.raises(TypeError, match="Cannot read properties of null"):
        js.prop(None, "x")
    assert js.split("abc", "") == ["a", "b", "c"]
    assert js.parse_float("3.5kg") == 3.5 and math.isnan(js.parse_int("kg"))
    assert js.contains_json('text {"a": 1} more [1, 2]') == [{"a": 1}, [1, 2]]
    assert js.levenshtein("kitten", "sitting") == 3
