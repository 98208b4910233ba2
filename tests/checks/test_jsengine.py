"""The JavaScript sandbox: limits, isolation between evaluations, and what is not there."""

from __future__ import annotations

import json

import pytest

from evalkit.checks.jsengine import (
    MEMORY_LIMIT,
    Failure,
    Pending,
    Returned,
    Thrown,
    run,
    syntax_error,
)

from .js_support import js


def call(body: str, output: object = "", context: dict[str, object] | None = None) -> object:
    """The engine itself, below the source checks (so what they refuse can be tried)."""
    return run(body, output, context or {"vars": {}}, ["prompt"])


def returned(body: str, output: object = "") -> Returned:
    result = call(body, output)
    assert isinstance(result, Returned), result
    return result


# -- limits: a runaway check fails, the process goes on -----------------------------------


def test_an_endless_loop_times_out() -> None:
    outcome = js("while (true) {}\nreturn true;")
    assert not outcome.passed
    assert outcome.message.startswith("javascript: timed out after 1 s")


def test_catching_the_timeout_does_not_help() -> None:
    outcome = js("try { while (true) {} } catch (e) {}\nreturn true;")
    assert not outcome.passed and "timed out after 1 s" in outcome.message


def test_an_endless_chain_of_promise_jobs_times_out() -> None:
    outcome = js("function again() { Promise.resolve().then(again); }\nagain();\nreturn true;")
    assert not outcome.passed and "timed out after 1 s" in outcome.message


@pytest.mark.parametrize(
    "value",
    [
        "const a = [];\nwhile (true) a.push({ n: a.length });",
        "const a = [];\nwhile (true) a.push('x'.repeat(1000) + a.length);",
        "new Array(1e9).fill(0).length > 0",
    ],
)
def test_a_huge_allocation_runs_out_of_memory(value: str) -> None:
    outcome = js(value)
    assert not outcome.passed
    assert "out of memory (limit 64 MB)" in outcome.message


def test_the_memory_limit_is_the_documented_one() -> None:
    assert MEMORY_LIMIT == 64 * 1024 * 1024
    outcome = js("'x'.repeat(8 * 1024 * 1024).length === 8 * 1024 * 1024")
    assert outcome.passed  # 16 MB of UTF-16 fits


def test_deep_recursion_fails_the_check_and_nothing_else() -> None:
    outcome = js("function f(n) { return f(n + 1); }\nreturn f(0);")
    assert not outcome.passed and "Maximum call stack size exceeded" in outcome.message
    assert js("function f(n) { return n ? f(n - 1) : true; }\nreturn f(2000);").passed


def test_a_limit_leaves_the_next_evaluation_unharmed() -> None:
    assert not js("while (true) {}\nreturn 1;").passed
    assert js("output === 'fine'", "fine").passed


# -- isolation: a fresh context every time ------------------------------------------------


def test_globals_do_not_survive_an_evaluation() -> None:
    assert js("globalThis.leak = 1;\nreturn true;").passed
    assert js("typeof leak === 'undefined'").passed


def test_patched_built_ins_do_not_survive_an_evaluation() -> None:
    assert js("String.prototype.includes = () => true;\nreturn 'a'.includes('b');").passed
    assert not js("'a'.includes('b')").passed


def test_the_code_cannot_forge_the_result_by_patching_json() -> None:
    # The bootstrap captured JSON.stringify before the code ran.
    value = 'JSON.stringify = () => \'{"kind":"value","type":"boolean","shown":"true","boolean":true}\';\nreturn false;'
    assert not js(value).passed


# -- nothing but the language -------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "require",
        "process",
        "fetch",
        "XMLHttpRequest",
        "WebSocket",
        "std",
        "os",
        "scriptArgs",
        "print",
        "setTimeout",
        "setInterval",
        "Buffer",
        "module",
        "Deno",
        "Bun",
    ],
)
def test_no_host_object_is_reachable(name: str) -> None:
    # Looked up by a computed name, past the load-time check, and from a Function too.
    result = returned(
        f"return [typeof globalThis[{json.dumps(name)}], "
        f"Function('return typeof ' + {json.dumps(name)})()].join(',')"
    )
    assert result.shown == '"undefined,undefined"'


@pytest.mark.parametrize("module", ["std", "os", "/etc/passwd", "./x.js", "node:fs", "fs"])
def test_no_module_can_be_imported(module: str) -> None:
    body = f"return import({json.dumps(module)}).then(() => 'loaded', e => 'refused: ' + e.message)"
    result = returned(body)
    assert result.shown.startswith('"refused:'), result.shown


def test_an_import_statement_cannot_be_evaluated() -> None:
    result = call("return (0, eval)(\"import('std')\").then(() => 1, () => 2)")
    assert isinstance(result, Returned) and result.number == 2


def test_console_exists_and_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    assert js("console.log('debugging', output);\nconsole.error('x');\nreturn true;").passed
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


# -- output is data, never code -----------------------------------------------------------

HOSTILE = [
    'it\'s "quoted"',
    "`backticks` and ${globalThis.pwned = 1}",
    "</script><script>alert(1)</script>",
    "'); globalThis.pwned = 1; ('",
    '"}); globalThis.pwned = 1; ({"',
    "line\u2028separator\u2029paragraph",
    "nul\x00byte and \\ backslash \\u0041",
    "emoji 😀 and a lone surrogate \ud800 end",
    "{{ 7 * 7 }} and {% raw %}",
    "\n}) ; throw 1; (function(){\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_output_arrives_exactly_as_written(text: str) -> None:
    outcome = js(
        "output === context.vars.expected && typeof pwned === 'undefined' "
        "&& output.length === context.vars.units",
        text,
        vars={"expected": text, "units": len(text.encode("utf-16-le", "surrogatepass")) // 2},
    )
    assert outcome.passed, outcome.message


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_output_comes_back_as_data(text: str) -> None:
    result = returned("return output", text)
    assert result.type == "string"
    assert result.shown.startswith('"')  # shown as a JSON string, whatever it holds


def test_a_returned_object_with_hostile_text_is_read_as_data() -> None:
    text = '{"kind":"value","type":"boolean","boolean":true,"shown":"true"}'
    outcome = js("({ pass: false, score: 0, reason: output })", text)
    assert not outcome.passed and outcome.score == 0.0


# -- the engine's contract ----------------------------------------------------------------


def test_what_comes_back_is_validated() -> None:
    assert isinstance(call("return new Promise(() => {})"), Pending)
    thrown = call("throw new TypeError('bad')")
    assert isinstance(thrown, Thrown) and (thrown.name, thrown.message) == ("TypeError", "bad")
    nan = returned("return NaN")
    assert nan.type == "number" and nan.number is None and nan.finite is False
    assert returned("return 10n").type == "bigint"
    assert returned("return Symbol('s')").type == "symbol"
    cyclic = returned("const o = {}; o.o = o; return o;")
    assert cyclic.type == "object" and cyclic.json_ is None
    assert "not JSON" in cyclic.shown


def test_a_result_too_large_to_read_fails() -> None:
    result = call("return { pass: true, score: 1, reason: 'x'.repeat(2000000) }")
    assert isinstance(result, Failure) and "too large" in result.reason


def test_values_that_are_not_json_are_refused_before_the_sandbox() -> None:
    result = run("return true", float("nan"), {"vars": {}}, [])
    assert isinstance(result, Failure) and "JSON" in result.reason


def test_syntax_errors_are_found_without_running_anything() -> None:
    assert syntax_error("return 1") is None
    assert syntax_error("while (true) {}") is None  # compiled, never run: no timeout
    error = syntax_error("return (")
    assert error is not None and error.startswith("SyntaxError")
