"""promptfoo ``javascript`` assertions through the mapper: a native check when the code is
exactly one, else evalkit's javascript check with the code as written; templates,
transforms, thresholds, config and tool calls; what is left out and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evalkit.importers.promptfoo.assertions import NeedsCase
from evalkit.importers.yamlout import Comment

from .conftest import Mapper, load_checks, verdict

LOOP = (
    "let total = 0;\nfor (const w of output.split(' ')) { total += w.length; }\nreturn total > 3;"
)


@pytest.mark.parametrize(
    "code",
    [
        LOOP,
        "output.length < 80",
        "Math.max(0, Math.min(1, 1 - (output.length - 100) / 900));",
        "output.split('\\n').filter(l => l.trim()).length === 3",
        "/ottawa/i.test(output) || output.includes('Canada')",
        "output.includes('a') ? 1 : 0",
        "({ pass: output.includes('ok'), score: 0.9, reason: 'checked ok' })",
    ],
)
def test_code_that_is_not_one_check_is_written_unchanged(code: str, m: Mapper) -> None:
    assert m.checks({"type": "javascript", "value": code}) == [
        {"type": "javascript", "value": code}
    ]
    assert m.report.left_out == [] and m.report.notes == []


def test_the_javascript_check_runs_what_was_written(tmp_path: Path, project: Path) -> None:
    m = Mapper(tmp_path)
    items = m.checks({"type": "javascript", "value": LOOP})
    assert verdict(items, "lots of words here", project) == [True]
    assert verdict(items, "no", project) == [False]
    scored = m.checks({"type": "javascript", "value": "output.length / 10", "threshold": 0.5})
    assert verdict(scored, "x" * 6, project) == [True]
    assert verdict(scored, "x" * 4, project) == [False]
    negated = m.checks(
        {"type": "not-javascript", "value": "output.includes('a') || output.includes('b')"}
    )
    assert negated == [
        {
            "type": "javascript",
            "value": "output.includes('a') || output.includes('b')",
            "not": True,
        }
    ]
    assert verdict(negated, "xyz", project) == [True]
    assert verdict(negated, "ab", project) == [False]


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("output.includes('Paris')", {"type": "contains", "value": "Paris"}),
        ("!output.includes('sorry');", {"type": "contains", "value": "sorry", "not": True}),
        (
            "output.toLowerCase().includes('guten morgen')",
            {"type": "contains", "value": "guten morgen", "ignore_case": True},
        ),
        ("output.startsWith('Dear')", {"type": "starts_with", "value": "Dear"}),
        ("output.endsWith('?')", {"type": "regex", "value": "\\?\\Z"}),
        ("output === 'yes'", {"type": "equals", "value": "yes"}),
        ("output !== 'no'", {"type": "equals", "value": "no", "not": True}),
        ("/\\d{3}/.test(output)", {"type": "regex", "value": "(?a)\\d{3}"}),
        (
            "JSON.parse(output).color === 'red'",
            {"type": "equals", "path": "color", "value": "red"},
        ),
        ("JSON.parse(output).a.n === 42", {"type": "equals", "path": "a.n", "value": 42}),
        ("// a body\nreturn output.includes('x');\n", {"type": "contains", "value": "x"}),
    ],
)
def test_exact_shapes_become_native_checks(
    code: str, check: dict[str, Any], m: Mapper, tmp_path: Path
) -> None:
    items = m.checks({"type": "javascript", "value": code})
    assert items == [check]
    load_checks(items, tmp_path)


def test_a_threshold_on_true_or_false_code_is_noted_not_carried(m: Mapper) -> None:
    items = m.checks({"type": "javascript", "value": "output.includes('a')", "threshold": 0.8})
    assert items == [{"type": "contains", "value": "a"}]
    assert any("threshold 0.8 not carried" in n.text for n in m.report.notes)


def test_not_javascript_on_a_field_stays_javascript(m: Mapper) -> None:
    """A missing field is undefined: `!==` passes in JavaScript, evalkit's equals fails."""
    code = "JSON.parse(output).a === 'x'"
    assert m.checks({"type": "not-javascript", "value": code}) == [
        {"type": "javascript", "value": code, "not": True}
    ]
    assert m.checks({"type": "javascript", "value": "JSON.parse(output).a !== 'x'"})[0]["type"] == (
        "javascript"
    )


def test_a_parsed_output_reads_fields_directly(m: Mapper) -> None:
    code = "output.category === 'billing'"
    assert m.checks({"type": "javascript", "value": code}, output_parsed=True, schema=True) == [
        {"type": "equals", "path": "category", "value": "billing"}
    ]
    # other code on a suite with a schema: the check parses the output itself
    other = "output.actions.length > 0"
    assert m.checks({"type": "javascript", "value": other}, output_parsed=True, schema=True) == [
        {"type": "javascript", "value": other}
    ]


def test_a_case_transform_json_parse_is_applied_first_in_the_code(
    m: Mapper, tmp_path: Path, project: Path
) -> None:
    items = m.checks(
        {"type": "javascript", "value": "output.countries.length >= 2"}, output_parsed=True
    )
    assert items == [
        {
            "type": "javascript",
            "value": "output = JSON.parse(output);\nreturn output.countries.length >= 2",
        }
    ]
    assert verdict(items, '{"countries": ["a", "b"]}', project) == [True]
    assert verdict(items, '{"countries": ["a"]}', project) == [False]


def test_a_transform_to_a_field_is_the_checks_path(m: Mapper, tmp_path: Path) -> None:
    assert m.checks(
        {"type": "javascript", "value": "output.length > 1", "transform": "output.tags"},
        output_parsed=True,
    ) == [{"type": "javascript", "path": "tags", "value": "output.length > 1"}]
    assert m.checks(
        {"type": "javascript", "value": "output.city === 'Oslo'"},
        output_parsed=True,
        path="address",
    ) == [{"type": "equals", "path": "address.city", "value": "Oslo"}]
    assert m.checks(
        {"type": "javascript", "value": "output === 'Oslo'"}, output_parsed=True, path="city"
    ) == [{"type": "equals", "path": "city", "value": "Oslo"}]


def test_an_assertion_transform_json_parse_parses_the_output(m: Mapper) -> None:
    raw = {"type": "javascript", "value": "output.ok === 'yes'", "transform": "JSON.parse(output)"}
    assert m.checks(raw) == [{"type": "equals", "path": "ok", "value": "yes"}]


def test_config_is_the_checks_config(m: Mapper, tmp_path: Path, project: Path) -> None:
    raw = {
        "type": "javascript",
        "value": "output.length <= context.config.max",
        "config": {"max": 5},
    }
    items = m.checks(raw)
    assert verdict(items, "short", project) == [True]
    assert verdict(items, "much too long", project) == [False]


def test_templates_become_context_vars_per_case(m: Mapper, tmp_path: Path, project: Path) -> None:
    raw = {"type": "javascript", "value": "output.split(' ').length <= {{ words }}"}
    with pytest.raises(NeedsCase):
        m(raw)
    items = m.checks(raw, vars={"words": 3})
    assert items == [
        {"type": "javascript", "value": "output.split(' ').length <= context.vars.words"}
    ]
    assert verdict(items, "one two three", project, words=3) == [True]
    assert verdict(items, "one two three four", project, words=3) == [False]
    assert any("context.vars" in n.text for n in m.report.notes)


def test_a_template_in_a_plain_literal_is_seen_as_the_literal(m: Mapper) -> None:
    raw = {"type": "javascript", "value": "output.includes('{{ city }}')"}
    assert m.checks(raw, vars={"city": "Paris"}) == [{"type": "contains", "value": "Paris"}]


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (
            {"type": "javascript", "value": "file://checks.js:fn"},
            "a javascript assertion from a file",
        ),
        ({"type": "javascript", "value": ""}, "a `javascript` assertion without code"),
        (
            {"type": "javascript", "value": "require('fs').existsSync('x')"},
            "`require` is not available",
        ),
        ({"type": "javascript", "value": "process.env.X === 'y'"}, "`process` is not available"),
        ({"type": "javascript", "value": "fetch('https://x')"}, "`fetch` is not available"),
        ({"type": "javascript", "value": "import('fs')"}, "`import` is not available"),
        (
            {"type": "javascript", "value": "setTimeout(() => 1, 5)"},
            "`setTimeout` is not available",
        ),
        ({"type": "javascript", "value": "const r = await fetch2(); r"}, "`await` outside"),
        ({"type": "javascript", "value": "output.includes(("}, "does not parse"),
        ({"type": "javascript", "value": "output.length", "threshold": 10}, "threshold 10"),
        ({"type": "javascript", "value": "output.length", "threshold": -1}, "threshold -1"),
        (
            {"type": "javascript", "value": "output.includes('{{ x | upper }}')"},
            "a filter or an expression",
        ),
        ({"type": "javascript", "value": "{% if a %}true{% endif %}"}, "the Nunjucks tag"),
    ],
)
def test_what_the_check_cannot_run_is_left_out_with_the_reason(
    raw: dict[str, Any], what: str, m: Mapper
) -> None:
    items = m(raw, vars={"x": "a"})
    assert len(items) == 1 and isinstance(items[0], Comment)
    assert what in items[0], items[0]
    item = m.report.left_out[0]
    assert what in item.what and item.fix
    assert str(item.origin).endswith("promptfooconfig.yaml:7")


def test_a_threshold_above_one_says_how_to_rescale(m: Mapper) -> None:
    m({"type": "javascript", "value": "Math.log(output.length) * 10", "threshold": 5})
    (item,) = m.report.left_out
    assert "evalkit's thresholds are in [0, 1]" in item.what
    assert "divide it by 5" in item.fix


def test_tool_call_shapes_on_a_suite_with_tools(m: Mapper) -> None:
    tools = ("get_weather",)
    assert m.checks(
        {"type": "javascript", "value": "output[0].function.name === 'get_weather'"}, tools=tools
    ) == [{"type": "tool_called", "name": "get_weather"}]
    assert m.checks(
        {
            "type": "javascript",
            "value": "JSON.parse(output[0].function.arguments).location === 'Oslo'",
        },
        tools=tools,
    ) == [{"type": "tool_called", "name": "get_weather", "args": {"location": "Oslo"}}]
    assert all("approximated" in n.text for n in m.report.notes)
    legacy = m.checks(
        {"type": "javascript", "value": "output.name === 'get_weather'"},
        tools=tools,
        function_call=True,
    )
    assert legacy == [{"type": "tool_called", "name": "get_weather"}]


def test_other_code_reading_tool_calls_is_left_out(m: Mapper) -> None:
    items = m(
        {"type": "javascript", "value": "output.length === 2 && output[1].function.name === 'x'"},
        tools=("x",),
    )
    assert isinstance(items[0], Comment)
    assert "reads promptfoo's tool-call output" in m.report.left_out[0].what
    # text checks on a tools suite still run on the answer's text
    assert m.checks({"type": "javascript", "value": "output.includes('a')"}, tools=("x",)) == [
        {"type": "contains", "value": "a"}
    ]
