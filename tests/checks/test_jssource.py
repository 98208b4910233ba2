"""promptfoo's wrapping rules for a javascript value, and what is refused before it runs."""

from __future__ import annotations

import pytest

from evalkit.checks import ArgumentError
from evalkit.checks.jssource import (
    MAX_SOURCE_CHARS,
    function_body,
    last_statement_semicolon,
    prepare,
    tokens,
)
from evalkit.errors import ConfigError

from .js_support import js, spec

# -- how the value becomes a function body ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "body"),
    [
        ("output.includes('a')", "return output.includes('a')"),
        ("  output === 'x'  ", "return output === 'x'"),
        ("output === 'true'\n", "return output === 'true'"),  # YAML `|` adds a newline
        ("output.length > 3;", "return output.length > 3"),
        ("const s = output; s === 'a'", "const s = output; return s === 'a'"),
        ("let n = output.length; n > 3;;", "let n = output.length; return n > 3"),
        ("var a = 1; var b = 2; a + b", "var a = 1; var b = 2; return a + b"),
        ("const s = output; s === 'a;b'", "const s = output; return s === 'a;b'"),
        (
            "const m = output.match(/a;b/g) || []; m.length",
            "const m = output.match(/a;b/g) || []; return m.length",
        ),
        ("const t = `${output};x`; t", "const t = `${output};x`; return t"),
        ("const x = output.length", "const x = output.length"),  # nothing to return
        ("const x = 1; // a; b", "const x = 1; // a; b"),  # a comment is no expression
        ("x = 1; x", "return x = 1; x"),  # only declarations get `return` moved
    ],
)
def test_function_body_follows_promptfoo(value: str, body: str) -> None:
    assert function_body(value) == body


def test_a_value_of_several_lines_is_a_body_as_written() -> None:
    value = "const a = 1;\nreturn a;\n\n"
    assert function_body(value) == "const a = 1;\nreturn a;"


def test_only_top_level_semicolons_count() -> None:
    code = "let c = 0; for (let i = 0; i < 3; i++) { c++; } c"
    # promptfoo's rule: the `;` after `{ c++; }` is inside braces, so the last top-level one
    # is after `let c = 0`; the result is a syntax error there too (return for ...).
    assert last_statement_semicolon(code) == code.index(";")
    assert last_statement_semicolon("const a = [1;2]") == -1
    assert last_statement_semicolon("const a = 1;") == -1  # nothing follows it


def test_tokens_keep_strings_regexes_and_templates_whole() -> None:
    kinds = [t.type for t in tokens("a('x;y', /;/g, `t${b;}`) // c;")]
    assert kinds.count(";") == 1  # the one inside ${...}
    assert "string" in kinds and "regex" in kinds and "comment" not in kinds


def test_token_offsets_are_characters_not_bytes() -> None:
    code = "const s = '😀é'; s"
    assert code[last_statement_semicolon(code)] == ";"


# -- refusals at load, each naming the problem --------------------------------------------


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("require('fs').existsSync('/')", "`require`"),
        ("process.env.OPENAI_API_KEY !== undefined", "`process`"),
        ("fetch('http://127.0.0.1/')", "`fetch`"),
        ("new XMLHttpRequest()", "`XMLHttpRequest`"),
        ("new WebSocket('ws://127.0.0.1')", "`WebSocket`"),
        ("setTimeout(() => 1, 10)", "`setTimeout`"),
        ("Buffer.from(output).length", "`Buffer`"),
        ("module.exports", "`module`"),
        ("__dirname.length", "`__dirname`"),
        ("import('std')", "`import`"),
        ("({process}).process", "`process`"),
    ],
)
def test_what_the_sandbox_has_not_is_refused_at_load(value: str, named: str) -> None:
    with pytest.raises(ArgumentError) as info:
        prepare(value)
    assert named in str(info.value) and "not available in the sandbox" in str(info.value)
    assert info.value.key == "value"


def test_an_import_statement_is_refused() -> None:
    with pytest.raises(ArgumentError, match="`import`"):
        prepare("import * as std from 'std'\nreturn true")


@pytest.mark.parametrize(
    "value",
    [
        "output.includes('process')",  # a word in a string
        "JSON.parse(output).process === 'done'",  # a property
        "({fetch: 1}).fetch === 1",  # a property name
        "const fetch = (x) => x.length;\nreturn fetch(output) > 0;",  # the user's own
        "function f(require) { return require; }\nreturn f(true);",
        "/require\\(/.test(output)",  # inside a regex
        "// process.exit()\nreturn true",  # inside a comment
    ],
)
def test_those_names_are_fine_where_they_are_not_the_globals(value: str) -> None:
    assert prepare(value).body


def test_await_outside_an_async_function_is_refused() -> None:
    with pytest.raises(ArgumentError, match="`await` outside an async function"):
        prepare("const x = await Promise.resolve(1);\nreturn x === 1;")
    with pytest.raises(ArgumentError, match="`await`"):
        prepare("return (async () => [1].map(x => await x))()")  # the inner arrow is not async
    assert prepare("return (async () => (await Promise.resolve(1)) === 1)();").body


@pytest.mark.parametrize(
    ("value", "use"),
    [
        ("output.includes('{{ expected }}')", "context.vars.expected"),
        ("output === '{{name}}'", "context.vars.name"),
        ("output.includes('{{ a | upper }}')", "context.vars.NAME"),
        ("'{% if x %}y{% endif %}' === output", "context.vars.NAME"),
    ],
)
def test_templates_are_refused_with_the_data_way(value: str, use: str) -> None:
    with pytest.raises(ArgumentError) as info:
        prepare(value)
    assert "is a template" in str(info.value) and use in str(info.value)


def test_code_that_closes_its_function_is_refused() -> None:
    with pytest.raises(ArgumentError, match="closes the function it runs in"):
        prepare("return 1\n}); globalThis.escaped = 1; (function () {")


def test_empty_and_oversized_values_are_refused() -> None:
    with pytest.raises(ArgumentError, match="empty"):
        prepare("   \n ")
    with pytest.raises(ArgumentError, match="at most"):
        prepare("1" * (MAX_SOURCE_CHARS + 1))


def test_refusals_are_load_errors_at_the_line_of_value() -> None:
    with pytest.raises(ConfigError) as info:
        spec("require('child_process')")
    assert "`require` is not available" in str(info.value)
    with pytest.raises(ConfigError, match="expecting"):
        spec("output.(")  # the engine's own syntax error
    with pytest.raises(ConfigError, match="unknown argument 'code'"):
        spec("true", code="x")  # arguments are pydantic's, extra='forbid'


def test_a_syntax_error_names_its_line_in_the_code() -> None:
    with pytest.raises(ConfigError) as info:
        spec("const a = 1;\nconst b = ;\nreturn a;")
    assert "SyntaxError" in str(info.value) and "line 2 of the code" in str(info.value)


def test_a_refused_value_never_runs_even_when_validation_was_skipped() -> None:
    from evalkit.checks import REGISTRY, AssertionSpec, Observation, evaluate

    args = REGISTRY["javascript"].args.model_validate({"value": "require('fs')"})
    outcome = evaluate(AssertionSpec(type="javascript", args=args), Observation(text="x"))
    assert not outcome.passed and "`require` is not available" in outcome.message


def test_javascript_takes_a_threshold_within_evalkits_range() -> None:
    assert js("output.length / 10", "abcdef", threshold=0.5).passed
    with pytest.raises(ConfigError, match="threshold"):
        spec("1", threshold=5)  # evalkit keeps thresholds in [0, 1]
