"""A multi grader's ``calculate_output``: arithmetic over the sub-graders' scores.

What is allowed is OpenAI's list (its graders guide, "Combined graders"): the names of the
sub-graders, numbers, the operators ``+ - * /`` and ``^`` (power), and the functions
``min``, ``max``, ``abs``, ``floor``, ``ceil``, ``exp``, ``sqrt``, ``log`` (natural).
evalkit also reads ``**`` as power, and unary ``+``/``-`` and parentheses as usual.

The formula is data from an exported file: it is parsed with :mod:`ast` and only those
nodes are evaluated (no attribute, call of anything else, subscript, comparison or name
outside the graders). ``^`` is rewritten to ``**`` before parsing, so it binds like a
power (``a + b ^ 2`` is ``a + b²``), not like Python's xor. Every value is a float, so a
huge power overflows at once instead of building a giant integer; a division by zero, a
log of zero, an overflow or a result that is not finite fails the check, saying so.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_CHARS = 2000
MAX_DEPTH = 100

FUNCTIONS: dict[str, Callable[..., float]] = {
    "min": min,
    "max": max,
    "abs": abs,
    "floor": math.floor,
    "ceil": math.ceil,
    "exp": math.exp,
    "sqrt": math.sqrt,
    "log": math.log,
}
_ARITY = {"abs": 1, "floor": 1, "ceil": 1, "exp": 1, "sqrt": 1, "log": 1}
_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


@dataclass(frozen=True)
class Formula:
    text: str
    tree: ast.expr
    names: frozenset[str]

    def __call__(self, scores: Mapping[str, float]) -> float:
        """The value for these scores; ValueError saying why there is none."""
        try:
            value = _eval(self.tree, scores)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError("a value overflowed") from None
        except (ValueError, TypeError) as exc:  # math domain errors, e.g. log(0)
            raise ValueError(str(exc)) from None
        if not math.isfinite(value):
            raise ValueError(f"the result {value} is not a finite number")
        return value


def parse(text: str, allowed: frozenset[str]) -> Formula:
    """The formula, checked against the sub-graders' names; ValueError saying what is wrong."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"calculate_output is at most {MAX_CHARS} characters")
    try:
        tree = ast.parse(text.replace("^", "**").strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"calculate_output {text!r} is not a formula: {exc.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError(f"calculate_output {text[:60]!r}… nests too deeply") from None
    names: set[str] = set()
    _check(tree, allowed, names)
    return Formula(text, tree, frozenset(names))


def _check(node: ast.AST, allowed: frozenset[str], names: set[str], depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"calculate_output nests more than {MAX_DEPTH} levels")
    depth += 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ValueError(f"calculate_output: {node.value!r} is not a number")
    elif isinstance(node, ast.Name):
        if node.id not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise ValueError(f"calculate_output: no grader named {node.id!r} (graders: {known})")
        names.add(node.id)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, allowed, names, depth)
        _check(node.right, allowed, names, depth)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, allowed, names, depth)
    elif isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS or node.keywords:
            shown = func.id if isinstance(func, ast.Name) else ast.unparse(func)
            raise ValueError(
                f"calculate_output: {shown}(...) is not allowed; functions: {', '.join(FUNCTIONS)}"
            )
        want = _ARITY.get(func.id)
        if (want is not None and len(node.args) != want) or not node.args:
            raise ValueError(
                f"calculate_output: {func.id} takes {want or 'one or more'} argument(s)"
            )
        for arg in node.args:
            _check(arg, allowed, names, depth)
    else:
        shown = ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__
        raise ValueError(
            f"calculate_output: {shown!r} is not allowed (numbers, grader names, + - * / ^, "
            f"and {', '.join(FUNCTIONS)})"
        )


def _eval(node: ast.AST, scores: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        assert isinstance(node.value, (int, float))
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(scores[node.id])
    if isinstance(node, ast.BinOp):
        value = _BINARY[type(node.op)](_eval(node.left, scores), _eval(node.right, scores))
        if isinstance(value, complex):
            raise ValueError("a negative number raised to a fractional power")
        return float(value)
    if isinstance(node, ast.UnaryOp):
        return float(_UNARY[type(node.op)](_eval(node.operand, scores)))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return float(FUNCTIONS[node.func.id](*(_eval(a, scores) for a in node.args)))
