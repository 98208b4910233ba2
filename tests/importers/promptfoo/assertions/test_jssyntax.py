"""Reading promptfoo's JavaScript: the one expression a value returns, and the literals whose
value is certain."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.importers.promptfoo.assertions.jssyntax import literal, parse, returned, text


@pytest.mark.parametrize(
    ("value", "expression"),
    [
        ("output.includes('a')", "output.includes('a')"),
        ("  output.includes('a');;; ", "output.includes('a')"),
        ("output === 'a;b'", "output === 'a;b'"),
        ("output.includes('a')\n", "output.includes('a')"),  # a YAML block's final newline
        ("return output.includes('a');\n// done\n", "output.includes('a')"),
        ("/* c */\nreturn (output === 'x')", "(output === 'x')"),
        ("{ pass: true }", "{ pass: true }"),  # `return { pass: true }`: an object
    ],
)
def test_the_returned_expression(value: str, expression: str) -> None:
    node = returned(value)
    assert node is not None and text(node) == expression


@pytest.mark.parametrize(
    "value",
    [
        "const a = 1; a === 1",  # promptfoo puts `return` after the last `;`
        "let x = output",
        "a; b",
        "output.includes('a'",
        "output.includes('a') &&\n  output.includes('b')",  # no return: undefined
        "if (output) {\n  return true;\n}\nreturn false;",
        "return;\n",
    ],
)
def test_no_single_expression(value: str) -> None:
    assert returned(value) is None


def _literal(code: str) -> tuple[bool, Any]:
    root, _ = parse(code)
    return literal(root.named_children[0].named_children[0])


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("'plain'", "plain"),
        ('"dq \\"x\\""', 'dq "x"'),
        ("'\\n\\t\\r\\b\\f\\v\\0'", "\n\t\r\b\f\v\0"),
        ("'\\x41\\u00e9\\/'", "Aé/"),
        ("''", ""),
        ("null", None),
        ("42", 42),
        ("-0.5", -0.5),
        ("(3)", 3),
        ("1e3", 1000),
        (".5", 0.5),
    ],
)
def test_literals(code: str, value: Any) -> None:
    assert _literal(code) == (True, value)


@pytest.mark.parametrize(
    "code",
    ["'\\u{1F600}'", "'\\ud83d'", "'\\1'", "`t`", "0x10", "010", "1_0", "5n", "true", "NaN", "x"],
)
def test_not_certain_literals(code: str) -> None:
    assert _literal(code) == (False, None)
