"""Which promptfoo ``javascript`` assertions are exactly one evalkit check, read from the
syntax tree tree-sitter's JavaScript grammar gives (the grammar the ``javascript`` check
reads its source with). Nothing here runs or translates code: a value either has one of
the shapes below, literally, or it stays JavaScript.

The shapes, and why each is exact (``S`` a string literal, ``L`` a literal):

- ``output.includes(S)`` → ``contains``; ``output.startsWith(S)`` → ``starts_with``;
  ``output.endsWith(S)`` → ``regex`` (``S`` escaped, then ``\\Z``); ``output === S`` (or
  ``==``: both sides are strings) → ``equals``; ``!`` before any of them → ``not: true``.
  Substrings and equality of strings are the same in both languages.
- ``output.toLowerCase().includes(S)`` and ``.startsWith(S)`` → the same check with
  ``ignore_case`` when ``S`` is already lower case: evalkit lower-cases both sides with
  Unicode's case mapping, as ``toLowerCase`` does (``S`` in capitals is never found after
  ``toLowerCase()``, so that stays JavaScript).
- ``JSON.parse(output).a.b === L`` (``?.``, ``['k']`` too; ``output.a.b`` when promptfoo
  hands over the parsed output) → ``equals`` at ``a.b``, for ``L`` a string, ``null`` or a
  number other than 0 and 1 below 2**53 in size (Python's ``True == 1``; integers beyond
  2**53 compare exactly in Python only). Only un-negated: a missing field is ``undefined``
  in JavaScript (``!==`` passes) but a failed check in evalkit. Index steps (``[0]``) and
  the names ``length`` and ``__proto__`` stay JavaScript (a string's ``[0]`` is a letter, an
  array's ``length`` a number, an object's ``'0'`` key is an array's ``[0]``). One
  difference remains, said in the README: Python's JSON reader takes ``NaN`` and
  ``Infinity``, which ``JSON.parse`` refuses.
- ``/re/.test(output)`` → ``regex`` when the pattern is in the subset :mod:`.regex` reads
  exactly and the flags are none or ``g``.

``output.length`` comparisons stay JavaScript: JavaScript counts UTF-16 code units (an
emoji is 2), evalkit's ``length`` counts characters. So does every other shape.

On a suite with tools, promptfoo's output is the list of tool calls: the first call's name
(``output[0].function.name === 'x'``) and one argument of the only tool
(``JSON.parse(output[0].function.arguments).k === v``) become ``tool_called``, with a note
(evalkit looks at every call, not only the first); other code that reads the calls is
reported by :func:`reads_tool_calls`, since the ``javascript`` check sees the text only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ....errors import NotAPath
from .jssyntax import (
    Node,
    args_of,
    field,
    is_,
    literal,
    method,
    parse,
    returned,
    string_value,
    text,
    unwrap,
)
from .regex import to_python

_SAFE_KEY = re.compile(r"^[^.\[\]]+$")
_UNSAFE_KEYS = {"length", "__proto__"}
_MAX_EXACT_NUMBER = 2**53
APPROXIMATED = "approximated: evalkit's tool_called looks at every call, not only the first"


@dataclass(frozen=True)
class Output:
    """What ``output`` is in the code, as promptfoo hands it over."""

    parsed: bool = False  # the parsed JSON (a json_schema answer, a JSON.parse transform)
    at_path: bool = False  # a value a transform picked out (the check's `path`)
    tools: tuple[str, ...] = ()  # the suite's tools: a tool-call answer is a list of calls
    function_call: bool = False  # legacy `functions`: the output is one {name, arguments}


@dataclass(frozen=True)
class Native:
    """The evalkit check a value is; ``path`` is relative to the output's own path."""

    check: dict[str, Any]
    note: str | None = None


def _json_path(node: Node, output: Output) -> str | None:
    """The path (``""`` the whole value) of a place in the parsed output, or None."""
    node = unwrap(node)
    if node.type == "identifier" and text(node) == "output":
        return "" if (output.parsed or output.at_path) else None
    if node.type == "call_expression" and not (output.parsed or output.at_path):
        callee = field(node, "function")
        args = args_of(node)
        if (
            callee is not None
            and callee.type == "member_expression"
            and is_(field(callee, "object"), "identifier", "JSON")
            and is_(field(callee, "property"), "property_identifier", "parse")
            and len(args) == 1
            and is_(unwrap(args[0]), "identifier", "output")
        ):
            return ""
        return None
    key: str | None = None
    base: Node | None = None
    if node.type == "member_expression":
        prop = field(node, "property")
        base = field(node, "object")
        key = text(prop) if is_(prop, "property_identifier") else None
    elif node.type == "subscript_expression":
        base = field(node, "object")
        index = field(node, "index")
        key = string_value(index) if index is not None else None
    if base is None or key is None or key in _UNSAFE_KEYS or key.isdigit():
        return None
    if not _SAFE_KEY.match(key):
        return None
    above = _json_path(base, output)
    if above is None:
        return None
    return f"{above}.{key}" if above else key


def _is_text(node: Node, output: Output) -> bool:
    node = unwrap(node)
    plain = not (output.parsed or output.at_path)
    return plain and node.type == "identifier" and text(node) == "output"


def _text_method(node: Node, output: Output, negated: bool, outer: bool) -> Native | None:
    for name in ("includes", "startsWith", "endsWith"):
        found = method(node, name)
        if found is None:
            continue
        receiver, args = found
        needle = string_value(args[0]) if len(args) == 1 else None
        if needle is None:
            return None
        lowered = method(receiver, "toLowerCase")
        if lowered is not None and not lowered[1] and _is_text(lowered[0], output):
            if needle != needle.lower() or name == "endsWith":
                return None  # evalkit's ignore_case has no ends-with; capitals never match
            kind = "contains" if name == "includes" else "starts_with"
            return _negate({"type": kind, "value": needle, "ignore_case": True}, negated)
        if not _is_text(receiver, output):
            return None
        if name == "includes":
            return _negate({"type": "contains", "value": needle}, negated)
        if name == "startsWith":
            return _negate({"type": "starts_with", "value": needle}, negated)
        return _negate({"type": "regex", "value": re.escape(needle) + r"\Z"}, negated)
    return None


def _negate(check: dict[str, Any], negated: bool) -> Native:
    return Native({**check, "not": True} if negated else check)


def _comparison(node: Node) -> tuple[str, Node, Any] | None:
    """``side OP literal`` or ``literal OP side`` for an (in)equality: (op, side, value)."""
    node = unwrap(node)
    if node.type != "binary_expression":
        return None
    op = text(field(node, "operator"))
    if op not in ("===", "!==", "==", "!="):
        return None
    left, right = field(node, "left"), field(node, "right")
    if left is None or right is None:
        return None
    for side, other in ((left, right), (right, left)):
        ok, value = literal(other)
        if ok and not literal(side)[0]:
            return op, side, value
    return None


def _equality(node: Node, output: Output, inner: bool, outer: bool) -> Native | None:
    found = _comparison(node)
    if found is None:
        return None
    op, side, value = found
    negated = inner != (op in ("!==", "!="))  # what the check's `not` says
    if _is_text(side, output):
        if not isinstance(value, str):
            return None  # a string never === a number; `==` would convert
        return _negate({"type": "equals", "value": value}, negated)
    path = _json_path(side, output)
    if path is None or op not in ("===", "!==") or negated != outer:
        return None  # negated in the end: a missing field passes in JavaScript only
    if isinstance(value, (int, float)) and (value in (0, 1) or abs(value) >= _MAX_EXACT_NUMBER):
        return None
    if not path and not output.at_path:
        return None  # the whole parsed output: evalkit's equals would read the text
    check: dict[str, Any] = {"type": "equals", "value": value}
    if path:
        check["path"] = path
    return _negate(check, negated)


def _regex_test(node: Node, output: Output, negated: bool, outer: bool) -> Native | None:
    found = method(node, "test")
    if found is None:
        return None
    regex, args = found
    regex = unwrap(regex)
    if regex.type != "regex" or len(args) != 1 or not _is_text(args[0], output):
        return None
    flags = field(regex, "flags")
    pattern = field(regex, "pattern")
    if pattern is None or (flags is not None and set(text(flags)) - {"g"}):
        return None
    python = to_python(text(pattern))
    return None if python is None else _negate({"type": "regex", "value": python}, negated)


def native(value: str, output: Output, negated: bool = False) -> Native | None:
    """The evalkit check ``value`` is exactly, or None. The check's ``not`` holds the
    code's own negation (``!``, ``!==``); ``negated`` says the assertion is
    ``not-javascript`` (the mapper adds that ``not``), which a parsed field cannot take."""
    node = returned(value)
    if node is None:
        return None
    return _native(node, output, False, negated)


def _native(node: Node, output: Output, inner: bool, outer: bool) -> Native | None:
    node = unwrap(node)
    if node.type == "unary_expression" and is_(field(node, "operator"), "!"):
        argument = field(node, "argument")
        return None if argument is None else _native(argument, output, not inner, outer)
    for shape in (_text_method, _equality, _regex_test):
        found = shape(node, output, inner, outer)
        if found is not None:
            return found
    return None


# -- tool calls -----------------------------------------------------------------------


def _first_call_field(node: Node, name: str, output: Output) -> bool:
    node = unwrap(node)
    if node.type != "member_expression" or not is_(field(node, "property"), None, name):
        return False
    owner = unwrap(field(node, "object") or node)
    if output.function_call:  # legacy functions: the output is the call itself
        return is_(owner, "identifier", "output")
    if owner.type != "member_expression" or not is_(field(owner, "property"), None, "function"):
        return False
    first = unwrap(field(owner, "object") or owner)
    return (
        first.type == "subscript_expression"
        and is_(field(first, "object"), "identifier", "output")
        and is_(field(first, "index"), "number", "0")
    )


def tool_call(value: str, output: Output) -> Native | None:
    """``output[0].function.name === 'x'`` → ``tool_called``; with one tool,
    ``JSON.parse(output[0].function.arguments).k === v`` → ``tool_called`` with args."""
    node = returned(value)
    found = _comparison(node) if node is not None else None
    if found is None or found[0] not in ("===", "=="):
        return None
    _, side, expected = found
    if _first_call_field(side, "name", output) and isinstance(expected, str):
        return Native({"type": "tool_called", "name": expected}, APPROXIMATED)
    side = unwrap(side)
    if side.type != "member_expression" or len(output.tools) != 1:
        return None
    key = field(side, "property")
    parse_call = unwrap(field(side, "object") or side)
    if not is_(key, "property_identifier") or parse_call.type != "call_expression":
        return None
    callee = field(parse_call, "function")
    args = args_of(parse_call)
    if (
        callee is None
        or text(callee) != "JSON.parse"
        or len(args) != 1
        or not _first_call_field(args[0], "arguments", output)
    ):
        return None
    check = {"type": "tool_called", "name": output.tools[0], "args": {text(key): expected}}
    return Native(check, APPROXIMATED)


def reads_tool_calls(value: str) -> bool:
    """Whether the code reads promptfoo's tool-call output (``output[0]``,
    ``output.function``, ``output.arguments``...), which the javascript check cannot see."""
    root, _ = parse(value)
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type not in ("subscript_expression", "member_expression"):
            continue
        if not is_(unwrap(field(node, "object") or node), "identifier", "output"):
            continue
        if node.type == "subscript_expression":
            return True
        if text(field(node, "property")) in ("function", "arguments", "name", "id"):
            return True
    return False


# -- transforms -----------------------------------------------------------------------


def transform_path(code: str, parsed: bool) -> str | None:
    """A promptfoo ``transform`` as a path: ``JSON.parse(output)`` → None (later code sees
    the parsed output); ``JSON.parse(output).a``, or ``output.a.b`` / ``output[0]`` on a
    parsed output → ``"a.b"``. Raises :class:`NotAPath` for any other transform."""
    node = returned(code) if "\n" not in code.strip() else None
    path = _transform_path(node, parsed) if node is not None else None
    if path is None:
        raise NotAPath("a transform other than JSON.parse(output) or a field path")
    return path or None


def _transform_path(node: Node, parsed: bool) -> str | None:
    node = unwrap(node)
    if node.type == "identifier" and text(node) == "output":
        return "" if parsed else None
    if node.type == "call_expression":
        return "" if not parsed and _json_path(node, Output()) == "" else None
    base = field(node, "object")
    if base is None:
        return None
    above = _transform_path(base, parsed)
    if above is None:
        return None
    if node.type == "member_expression":
        prop = field(node, "property")
        if not is_(prop, "property_identifier") or text(prop) in _UNSAFE_KEYS:
            return None
        return f"{above}.{text(prop)}" if above else text(prop)
    if node.type == "subscript_expression":
        index = field(node, "index")
        if index is None:
            return None
        if index.type == "number" and text(index).isdigit():
            return f"{above}[{int(text(index))}]"
        key = string_value(index)
        if key is not None and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            return f"{above}.{key}" if above else key
    return None
