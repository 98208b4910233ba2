"""The shapes read as native checks from tree-sitter's syntax tree, the near misses that stay
JavaScript, tool-call shapes, and transforms read as paths."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.importers.promptfoo.assertions.jsmatch import (
    NotAPath,
    Output,
    native,
    reads_tool_calls,
    tool_call,
    transform_path,
)

TEXT = Output()
PARSED = Output(parsed=True)
AT_PATH = Output(at_path=True)


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("output.includes('a')", {"type": "contains", "value": "a"}),
        ("(output).includes(('a'))", {"type": "contains", "value": "a"}),
        ('output.includes("it\'s")', {"type": "contains", "value": "it's"}),
        ("output.includes('\\u00e9\\t')", {"type": "contains", "value": "é\t"}),
        ("!!output.includes('a')", {"type": "contains", "value": "a"}),
        ("!(output.includes('a'))", {"type": "contains", "value": "a", "not": True}),
        ("output.includes('a');;  ", {"type": "contains", "value": "a"}),
        ("output.includes('a') // why", {"type": "contains", "value": "a"}),
        (
            "output.toLowerCase().includes('a b')",
            {"type": "contains", "value": "a b", "ignore_case": True},
        ),
        (
            "output.toLowerCase().startsWith('ok')",
            {"type": "starts_with", "value": "ok", "ignore_case": True},
        ),
        ("output.endsWith('a.b')", {"type": "regex", "value": "a\\.b\\Z"}),
        ("output == 'a'", {"type": "equals", "value": "a"}),
        ("'a' !== output", {"type": "equals", "value": "a", "not": True}),
        ("!(output != 'a')", {"type": "equals", "value": "a"}),
        ("/^ok$/g.test(output)", {"type": "regex", "value": "^ok\\Z"}),
        ("JSON.parse(output).a === 'x'", {"type": "equals", "path": "a", "value": "x"}),
        ("JSON.parse(output)['a b'].c === 3", {"type": "equals", "path": "a b.c", "value": 3}),
        ("JSON.parse(output)?.a === null", {"type": "equals", "path": "a", "value": None}),
        ("JSON.parse(output).a === -7", {"type": "equals", "path": "a", "value": -7}),
        ("JSON.parse(output).a === 2.5e3", {"type": "equals", "path": "a", "value": 2500}),
        ("'x' === JSON.parse(output).a", {"type": "equals", "path": "a", "value": "x"}),
    ],
)
def test_native_shapes_on_text(code: str, check: dict[str, Any]) -> None:
    found = native(code, TEXT)
    assert found is not None and found.check == check


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("output.length < 200", "UTF-16 code units, not characters"),
        ("output.length === 4", "UTF-16 code units"),
        ("output.toLowerCase().includes('Paris')", "capitals are never found"),
        ("output.toLowerCase().endsWith('x')", "ignore_case has no ends-with"),
        ("output.toUpperCase().includes('X')", "upper-casing is not evalkit's lower-casing"),
        ("output.toLocaleLowerCase().includes('x')", "a locale's case mapping"),
        ("output.trim().includes('x')", "trim is JavaScript's"),
        ("output.includes('a', 2)", "a start position"),
        ("output.includes(x)", "not a literal"),
        ("output.includes(`a`)", "a template literal"),
        ("output.includes('\\x')", "an identity escape beyond the plain ones"),
        ("output.includes('\\ud83d')", "half an emoji"),
        ("output?.includes('a')", "optional call"),
        ("output === 1", "a string never === a number"),
        ("output == 1", "`==` converts"),
        ("JSON.parse(output).a == 'x'", "`==` converts"),
        ("JSON.parse(output).a !== 'x'", "a missing field passes"),
        ("JSON.parse(output).a === true", "1 == True in Python"),
        ("JSON.parse(output).a === 0", "0 == False in Python"),
        ("JSON.parse(output).a === 9007199254740992", "beyond 2**53"),
        ("JSON.parse(output).a === 0x10", "not a decimal literal"),
        ("JSON.parse(output).a === 1_000", "not a decimal literal"),
        ("JSON.parse(output).a === 10n", "a BigInt"),
        ("JSON.parse(output).a === undefined", "undefined is no JSON value"),
        ("JSON.parse(output).items[0] === 'x'", "an index is a letter of a string"),
        ("JSON.parse(output)['0'] === 'x'", "an object's '0' is an array's [0]"),
        ("JSON.parse(output).length === 2", "an array's length"),
        ("JSON.parse(output).__proto__ === null", "the prototype"),
        ("JSON.parse(output) === 'x'", "the whole output"),
        ("JSON.parse(output, f).a === 'x'", "a reviver"),
        ("/a/i.test(output)", "case-insensitive matching differs"),
        ("/^.$/.test(output)", "a lone dot counts code units"),
        ("/a/.test(output.trim())", "not the output"),
        ("output.includes('a') && output.includes('b')", "two checks, one verdict"),
        ("const x = output; x.includes('a')", "a declaration"),
        ("output.includes('a'); output.includes('b')", "two statements"),
        ("output.includes('a'", "a syntax error"),
        ("output.includes('a') &&\n  output.includes('b')", "a body without return"),
        ("'a' === 'a'", "no output at all"),
    ],
)
def test_near_misses_stay_javascript(code: str, why: str) -> None:
    assert native(code, TEXT) is None, why


def test_not_javascript_negates_text_shapes_but_not_fields() -> None:
    found = native("output.includes('a')", TEXT, negated=True)
    assert found is not None and found.check == {"type": "contains", "value": "a"}
    assert native("JSON.parse(output).a === 'x'", TEXT, negated=True) is None
    # two negations cancel: exact again
    found = native("JSON.parse(output).a !== 'x'", TEXT, negated=True)
    assert found is not None and found.check == {
        "type": "equals",
        "path": "a",
        "value": "x",
        "not": True,
    }
    found = native("!(JSON.parse(output).a !== 'x')", TEXT)
    assert found is not None and found.check == {"type": "equals", "path": "a", "value": "x"}


def test_a_parsed_output_and_a_picked_value() -> None:
    found = native("output.a.b === 'x'", PARSED)
    assert found is not None and found.check == {"type": "equals", "path": "a.b", "value": "x"}
    assert native("output.includes('x')", PARSED) is None  # not text: maybe an array
    assert native("JSON.parse(output).a === 'x'", PARSED) is None
    assert native("output === 'x'", PARSED) is None  # a JSON string output, not the text
    found = native("output === 'x'", AT_PATH)
    assert found is not None and found.check == {"type": "equals", "value": "x"}
    found = native("output.name === 5", AT_PATH)
    assert found is not None and found.check == {"type": "equals", "path": "name", "value": 5}
    assert native("output.includes('x')", AT_PATH) is None


@pytest.mark.parametrize(
    ("code", "output", "check"),
    [
        (
            "output[0].function.name === 'lookup'",
            Output(tools=("lookup", "refund")),
            {"type": "tool_called", "name": "lookup"},
        ),
        (
            "JSON.parse(output[0].function.arguments).id === 'A1'",
            Output(tools=("lookup",)),
            {"type": "tool_called", "name": "lookup", "args": {"id": "A1"}},
        ),
        (
            "output.name == 'lookup'",
            Output(tools=("lookup",), function_call=True),
            {"type": "tool_called", "name": "lookup"},
        ),
        (
            "JSON.parse(output.arguments).id === 7",
            Output(tools=("lookup",), function_call=True),
            {"type": "tool_called", "name": "lookup", "args": {"id": 7}},
        ),
    ],
)
def test_tool_call_shapes(code: str, output: Output, check: dict[str, Any]) -> None:
    found = tool_call(code, output)
    assert found is not None and found.check == check and "approximated" in (found.note or "")


def test_tool_call_near_misses() -> None:
    two = Output(tools=("a", "b"))
    assert tool_call("JSON.parse(output[0].function.arguments).id === 'x'", two) is None
    assert tool_call("output[1].function.name === 'a'", two) is None
    assert tool_call("output[0].function.name !== 'a'", two) is None
    assert tool_call("output[0].function.name === 5", two) is None


@pytest.mark.parametrize(
    ("code", "reads"),
    [
        ("output[0].function.name === 'x'", True),
        ("output.length > 0 && output[0].id", True),
        ("output.function === undefined", True),
        ("JSON.parse(output.arguments).a", True),
        ("output.includes('x')", False),
        ("const o = {output: 1}; o.output", False),
    ],
)
def test_reading_tool_calls(code: str, reads: bool) -> None:
    assert reads_tool_calls(code) is reads


@pytest.mark.parametrize(
    ("code", "parsed", "path"),
    [
        ("JSON.parse(output)", False, None),
        ("JSON.parse(output).a.b", False, "a.b"),
        ("JSON.parse(output)['key']", False, "key"),
        ("output.countries", True, "countries"),
        ("output[0].function.name", True, "[0].function.name"),
        ("output.items[2]", True, "items[2]"),
    ],
)
def test_transforms_that_are_paths(code: str, parsed: bool, path: str | None) -> None:
    assert transform_path(code, parsed) == path


@pytest.mark.parametrize(
    ("code", "parsed"),
    [
        ("output.trim()", False),
        ("output.countries", False),  # the text has no fields
        ("JSON.parse(output)", True),
        ("output.a.length", True),
        ("output['a b']", True),
        ("output.toUpperCase()", True),
        ("return output.a\n", True),
    ],
)
def test_other_transforms_are_refused(code: str, parsed: bool) -> None:
    with pytest.raises(NotAPath):
        transform_path(code, parsed)
