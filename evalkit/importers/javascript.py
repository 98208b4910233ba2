"""promptfoo ``javascript`` assertions → evalkit checks, or a generated Python function.

The code is parsed (:mod:`.jsparse`), never run. A lone pattern that an evalkit check
expresses exactly becomes that check (``output.includes('x')`` → ``contains``,
``JSON.parse(output).color === 'red'`` → ``equals`` at ``color``, ``output.length < 200``
→ ``length``). Anything else in the translated subset (``&&``/``||`` of such tests,
numeric scores, short function bodies) becomes a Python function with the same meaning,
using :mod:`.runtime` where JavaScript and Python semantics differ. What is outside the
subset raises :class:`~.jsparse.JsUnsupported` with the reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .jsparse import (
    Binary,
    Bool,
    Call,
    Expr,
    Index,
    JsContext,
    JsUnsupported,
    Member,
    Name,
    Null,
    Num,
    Regex,
    Str,
    Unary,
    parse_expression,
    parse_program,
)
from .jspython import Emitter, js_regex_to_python


@dataclass
class JsTranslation:
    """Either ``checks`` (evalkit assertions) or ``body`` (Python function body lines)."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def translate(code: str, ctx: JsContext) -> JsTranslation:
    """Translate an assertion's code; raises JsUnsupported with the reason."""
    program = parse_program(code)
    expr = program.expression
    if expr is not None and ctx.path is None:
        checks, notes = direct_checks(expr, ctx)
        if checks is not None:
            return JsTranslation(checks=checks, notes=notes)
    emitter = Emitter(ctx)
    body = emitter.program(program)
    return JsTranslation(body=body, imports=emitter.imports)


# -- subjects: what a sub-expression points at in the output -----------------------------


@dataclass(frozen=True)
class _Subject:
    """The raw output text (``path`` None, ``json`` False) or a place in the parsed output."""

    json: bool
    path: str | None  # None: the whole output


_PATH_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_output(expr: Expr) -> bool:
    return isinstance(expr, Name) and expr.name == "output"


def _is_json_parse_of(expr: Expr, inner: Any) -> bool:
    return (
        isinstance(expr, Call)
        and isinstance(expr.callee, Member)
        and isinstance(expr.callee.obj, Name)
        and expr.callee.obj.name == "JSON"
        and expr.callee.prop == "parse"
        and len(expr.args) == 1
        and inner(expr.args[0])
    )


def _subject(expr: Expr, ctx: JsContext) -> _Subject | None:
    if _is_output(expr):
        return _Subject(json=ctx.output_parsed, path=None)
    if not ctx.output_parsed and _is_json_parse_of(expr, _is_output):
        return _Subject(json=True, path=None)
    if isinstance(expr, Member) and not expr.optional and expr.prop != "length":
        base = _subject(expr.obj, ctx)
        if base is None or not base.json or not _PATH_NAME.match(expr.prop):
            return None
        return _Subject(True, f"{base.path}.{expr.prop}" if base.path else expr.prop)
    if isinstance(expr, Index) and not expr.optional:
        base = _subject(expr.obj, ctx)
        if base is None or not base.json:
            return None
        if isinstance(expr.index, Num) and expr.index.value.is_integer() and expr.index.value >= 0:
            return _Subject(True, f"{base.path or ''}[{int(expr.index.value)}]")
        if isinstance(expr.index, Str) and _PATH_NAME.match(expr.index.value):
            key = expr.index.value
            return _Subject(True, f"{base.path}.{key}" if base.path else key)
    return None


def _literal(expr: Expr) -> tuple[bool, Any]:
    """(True, value) for a JSON literal (string, number, boolean, null)."""
    if isinstance(expr, Str):
        return True, expr.value
    if isinstance(expr, Num):
        return True, int(expr.value) if expr.value.is_integer() else expr.value
    if isinstance(expr, Unary) and expr.op == "-" and isinstance(expr.operand, Num):
        value = -expr.operand.value
        return True, int(value) if value.is_integer() else value
    if isinstance(expr, Bool):
        return True, expr.value
    if isinstance(expr, Null) and not expr.undefined:
        return True, None
    return False, None


def _method(expr: Expr, name: str) -> tuple[Expr, tuple[Expr, ...]] | None:
    """``recv.name(args)`` → (recv, args)."""
    if (
        isinstance(expr, Call)
        and not expr.new
        and isinstance(expr.callee, Member)
        and not expr.callee.optional
        and expr.callee.prop == name
    ):
        return expr.callee.obj, expr.args
    return None


def _case_folded(expr: Expr) -> tuple[Expr, str] | None:
    """``x.toLowerCase()`` → (x, "lower"); ``x.toUpperCase()`` → (x, "upper")."""
    for method, fold in (("toLowerCase", "lower"), ("toUpperCase", "upper")):
        found = _method(expr, method)
        if found and not found[1]:
            return found[0], fold
    return None


def _text_subject(expr: Expr, ctx: JsContext) -> tuple[bool, bool] | None:
    """(is_text, ignore_case) when ``expr`` is the raw output text, maybe case-folded."""
    folded = _case_folded(expr)
    target, fold = (folded[0], folded[1]) if folded else (expr, "")
    subject = _subject(target, ctx)
    if subject is None or subject.json:
        return None
    return True, bool(fold)


def _folds_to(text: str, fold: bool, upper: bool) -> bool:
    return not fold or text == (text.upper() if upper else text.lower())


_CMP_FLIP = {
    "<": ">",
    ">": "<",
    "<=": ">=",
    ">=": "<=",
    "===": "===",
    "==": "==",
    "!==": "!==",
    "!=": "!=",
}


def direct_checks(expr: Expr, ctx: JsContext) -> tuple[list[dict[str, Any]] | None, list[str]]:
    """One evalkit check with exactly the expression's meaning, when there is one."""
    if isinstance(expr, Unary) and expr.op == "!":
        inner, notes = direct_checks(expr.operand, ctx)
        if inner is None or len(inner) != 1 or inner[0]["type"].startswith("tool_"):
            return None, []
        negated = dict(inner[0])
        if negated.pop("not", False) is False:
            negated["not"] = True
        return [negated], notes
    tool = _tool_call(expr, ctx)
    if tool is not None:
        return [tool[0]], [tool[1]]
    for pattern in (_includes, _starts_ends, _regex_test, _length_cmp, _equality, _json_range):
        check = pattern(expr, ctx)
        if check is not None:
            return [check], []
    return None, []


def _includes(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    found = _method(expr, "includes")
    if not found or len(found[1]) != 1:
        return None
    recv, (needle,) = found
    if not isinstance(needle, Str):
        return None
    folded = _case_folded(recv)
    text = _text_subject(recv, ctx)
    if text is None:
        return None
    _, ignore = text
    if not _folds_to(needle.value, ignore, upper=bool(folded and folded[1] == "upper")):
        return None  # 'ABC' can never be in a lower-cased text: leave it to Python
    check: dict[str, Any] = {"type": "contains", "value": needle.value}
    if ignore:
        check["ignore_case"] = True
    return check


def _starts_ends(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    for method in ("startsWith", "endsWith"):
        found = _method(expr, method)
        if not found or len(found[1]) != 1:
            continue
        recv, (needle,) = found
        if not isinstance(needle, Str):
            continue
        folded = _case_folded(recv)
        text = _text_subject(recv, ctx)
        if text is None:
            return None
        ignore = text[1]
        if not _folds_to(needle.value, ignore, upper=bool(folded and folded[1] == "upper")):
            return None
        if method == "startsWith":
            check: dict[str, Any] = {"type": "starts_with", "value": needle.value}
        else:
            check = {"type": "regex", "value": re.escape(needle.value) + r"\Z"}
        if ignore:
            check["ignore_case"] = True
        return check
    return None


def _regex_test(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    regex: Regex | None = None
    target: Expr | None = None
    found = _method(expr, "test")
    if found and isinstance(found[0], Regex) and len(found[1]) == 1:
        regex, target = found[0], found[1][0]
    found = _method(expr, "match")
    if found and len(found[1]) == 1 and isinstance(found[1][0], Regex):
        regex, target = found[1][0], found[0]
    if regex is None or target is None:
        return None
    subject = _subject(target, ctx)
    if subject is None or subject.json:
        return None
    try:
        pattern, ignore = js_regex_to_python(regex.pattern, regex.flags.replace("g", ""))
    except JsUnsupported:
        return None
    check: dict[str, Any] = {"type": "regex", "value": pattern}
    if ignore:
        check["ignore_case"] = True
    return check


def _comparison(expr: Expr) -> tuple[str, Expr, Expr] | None:
    """A comparison with its literal on the right: (op, subject side, literal side)."""
    if not isinstance(expr, Binary) or expr.op not in _CMP_FLIP:
        return None
    if _literal(expr.right)[0]:
        return expr.op, expr.left, expr.right
    if _literal(expr.left)[0]:
        return _CMP_FLIP[expr.op], expr.right, expr.left
    return None


def _length_cmp(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    found = _comparison(expr)
    if not found:
        return None
    op, side, lit = found
    if not (isinstance(side, Member) and side.prop == "length" and not side.optional):
        return None
    ok, value = _literal(lit)
    if not ok or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    subject = _subject(side.obj, ctx)
    if subject is None:
        return None
    bounds: dict[str, Any]
    if op in ("===", "=="):
        if not float(value).is_integer():
            return None
        bounds = {"min": int(value), "max": int(value)}
    elif op == "<":
        bounds = {"max": math.ceil(value) - 1}
    elif op == "<=":
        bounds = {"max": math.floor(value)}
    elif op == ">":
        bounds = {"min": math.floor(value) + 1}
    elif op == ">=":
        bounds = {"min": math.ceil(value)}
    else:
        return None
    check: dict[str, Any] = {"type": "length", **bounds}
    if subject.path:
        check["path"] = subject.path
    elif subject.json:
        return None  # the whole parsed output: a dict has no JS length
    return check


def _equality(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    found = _comparison(expr)
    if not found or found[0] not in ("===", "!==", "==", "!="):
        return None
    op, side, lit = found
    _, value = _literal(lit)
    subject = _subject(side, ctx)
    if subject is None:
        return None
    if not subject.json:
        if not isinstance(value, str):
            return None
        check: dict[str, Any] = {"type": "equals", "value": value}
    else:
        if not subject.path:
            return None
        if value is None:
            return None  # a missing field is undefined in JS, never null: leave it to Python
        check = {"type": "equals", "path": subject.path, "value": value}
    if op in ("!==", "!="):
        check["not"] = True
    return check


def _json_range(expr: Expr, ctx: JsContext) -> dict[str, Any] | None:
    found = _comparison(expr)
    if not found or found[0] not in ("<=", ">="):
        return None
    op, side, lit = found
    _, value = _literal(lit)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    subject = _subject(side, ctx)
    if subject is None or not subject.json or not subject.path:
        return None
    return {"type": "range", "path": subject.path, ("min" if op == ">=" else "max"): value}


def _tool_call(expr: Expr, ctx: JsContext) -> tuple[dict[str, Any], str] | None:
    """``output[0].function.name === 'x'`` and
    ``JSON.parse(output[0].function.arguments).k === v`` on a suite with tools."""
    if not ctx.tools:
        return None
    found = _comparison(expr)
    if not found or found[0] not in ("===", "=="):
        return None
    _, side, lit = found
    _, value = _literal(lit)

    def first_call_field(node: Expr, name: str) -> bool:
        if ctx.function_call:  # legacy functions: output is the call itself
            return isinstance(node, Member) and node.prop == name and _is_output(node.obj)
        return (
            isinstance(node, Member)
            and node.prop == name
            and isinstance(node.obj, Member)
            and node.obj.prop == "function"
            and isinstance(node.obj.obj, Index)
            and _is_output(node.obj.obj.obj)
            and isinstance(node.obj.obj.index, Num)
            and node.obj.obj.index.value == 0
        )

    note = "approximated: evalkit's tool_called looks at every call, not only the first"
    if first_call_field(side, "name") and isinstance(value, str):
        return {"type": "tool_called", "name": value}, note
    if (
        isinstance(side, Member)
        and _PATH_NAME.match(side.prop)
        and _is_json_parse_of(side.obj, lambda inner: first_call_field(inner, "arguments"))
        and len(ctx.tools) == 1
    ):
        return {"type": "tool_called", "name": ctx.tools[0], "args": {side.prop: value}}, note
    return None


def transform_path(code: str, parsed: bool) -> tuple[bool, str | None]:
    """A promptfoo ``transform`` this importer can carry: ``JSON.parse(output)`` →
    (True, None): later code sees the parsed output; ``output.a.b`` / ``output[0]`` on a
    parsed output, or ``JSON.parse(output).a`` → (True, "a.b"): a ``path``.
    Raises JsUnsupported for any other transform."""
    expr = parse_expression(code)
    subject = _subject(expr, JsContext(output_parsed=parsed))
    if subject is None or not subject.json:
        raise JsUnsupported("a transform other than JSON.parse(output) or a field path")
    return True, subject.path
