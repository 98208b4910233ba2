"""Python source for a translated promptfoo ``javascript`` assertion.

The emitter writes the body of an evalkit ``python`` check from the parsed code: JavaScript
operators, methods and globals become their Python equivalents, and where the two languages
disagree (missing properties, truthiness, ``+`` on strings, ``Math.round``) the generated
code calls :mod:`.runtime` (imported as ``js``) so the meaning stays JavaScript's. Anything
without an equivalent raises :class:`~.jsparse.JsUnsupported`.
"""

from __future__ import annotations

import builtins
import json
import keyword
import math
import re
from typing import TYPE_CHECKING

from .jsparse import (
    Array,
    Arrow,
    Binary,
    Bool,
    Call,
    Cond,
    Decl,
    Expr,
    ExprStmt,
    If,
    Index,
    JsUnsupported,
    Member,
    Name,
    Null,
    Num,
    Object,
    Program,
    Regex,
    Return,
    Stmt,
    Str,
    Template,
    Unary,
)

if TYPE_CHECKING:
    from .jsparse import JsContext


def js_regex_to_python(pattern: str, flags: str) -> tuple[str, bool]:
    """A JS regular expression as a Python one: (pattern, ignore_case). Raises JsUnsupported
    when Python cannot express it."""
    if set(flags) - set("gimsu"):
        raise JsUnsupported(f"regular expression flags {flags!r}")
    converted = re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    converted = re.sub(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P=\1)", converted)
    inline = "".join(f for f in "ms" if f in flags)
    if inline:
        converted = f"(?{inline}){converted}"
    try:
        re.compile(converted, re.IGNORECASE if "i" in flags else 0)
    except re.error as exc:
        raise JsUnsupported(f"a regular expression Python cannot compile ({exc})") from None
    return converted, "i" in flags


# -- Python code generation -----------------------------------------------------------------

_COMPARE = {
    "===": "==",
    "==": "==",
    "!==": "!=",
    "!=": "!=",
    "<": "<",
    ">": ">",
    "<=": "<=",
    ">=": ">=",
}
_BOOL_METHODS = {
    "includes",
    "startsWith",
    "endsWith",
    "test",
    "some",
    "every",
    "isArray",
    "isNaN",
    "hasOwnProperty",
    "isInteger",
    "isFinite",
}
_MATH = {
    "max": "max",
    "min": "min",
    "abs": "abs",
    "floor": "math.floor",
    "ceil": "math.ceil",
    "sqrt": "math.sqrt",
    "log": "math.log",
    "log10": "math.log10",
    "log2": "math.log2",
    "exp": "math.exp",
    "pow": "math.pow",
    "trunc": "math.trunc",
}
_RESERVED = {"output", "context", "obs", "value", "js", "json", "math", "re"}


def _is_bool(expr: Expr) -> bool:
    if isinstance(expr, Bool):
        return True
    if isinstance(expr, Unary):
        return expr.op == "!"
    if isinstance(expr, Binary):
        if expr.op in _COMPARE or expr.op == "in":
            return True
        if expr.op in ("&&", "||"):
            return _is_bool(expr.left) and _is_bool(expr.right)
        return False
    if isinstance(expr, Cond):
        return _is_bool(expr.then) and _is_bool(expr.other)
    if isinstance(expr, Call) and isinstance(expr.callee, Member):
        return expr.callee.prop in _BOOL_METHODS
    if isinstance(expr, Call) and isinstance(expr.callee, Name):
        return expr.callee.name in ("isNaN", "Boolean")
    return False


def _is_number(expr: Expr) -> bool:
    if isinstance(expr, Num):
        return True
    if isinstance(expr, Unary):
        return expr.op in ("-", "+")
    if isinstance(expr, Binary):
        if expr.op in ("-", "*", "/", "%", "**"):
            return True
        return expr.op == "+" and _is_number(expr.left) and _is_number(expr.right)
    if isinstance(expr, Member):
        return expr.prop == "length"
    if isinstance(expr, Call) and isinstance(expr.callee, Member):
        obj = expr.callee.obj
        if isinstance(obj, Name) and obj.name == "Math":
            return True
        return expr.callee.prop in ("indexOf", "findIndex", "lastIndexOf")
    if isinstance(expr, Call) and isinstance(expr.callee, Name):
        return expr.callee.name in ("Number", "parseInt", "parseFloat")
    if isinstance(expr, Cond):
        return _is_number(expr.then) and _is_number(expr.other)
    return False


def _is_string(expr: Expr) -> bool:
    if isinstance(expr, (Str, Template)):
        return True
    if isinstance(expr, Call) and isinstance(expr.callee, Member):
        return expr.callee.prop in (
            "toLowerCase",
            "toUpperCase",
            "trim",
            "trimStart",
            "trimEnd",
            "join",
            "toFixed",
            "toString",
        )
    return False


def _atomic(text: str) -> bool:
    """True when ``text`` needs no parentheses as an operand: a name, a number, a string
    literal, or a call/subscript whose brackets close at its very end."""
    if re.fullmatch(r"-?\d+(\.\d+)?|[A-Za-z_][\w.]*", text):
        return True
    if text.startswith('"'):
        try:
            end = json.JSONDecoder().raw_decode(text)[1]
        except ValueError:
            return False
        return end == len(text)
    head = re.match(r"[A-Za-z_][\w.]*(?=[(\[])", text)
    if not head:
        return text.startswith("[") and _closes_at_end(text, 0)
    return _closes_at_end(text, head.end())


def _closes_at_end(text: str, start: int) -> bool:
    """The bracket opened at ``start`` (and any directly chained ones) ends the text."""
    i = start
    while i < len(text) and text[i] in "([":
        depth, j = 0, i
        while j < len(text):
            ch = text[j]
            if ch == '"':
                try:
                    j = json.JSONDecoder().raw_decode(text, j)[1]
                except ValueError:
                    return False
                continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if depth:
            return False
        i = j + 1
        if i < len(text) and text[i] == ".":
            m = re.match(r"\.[A-Za-z_]\w*", text[i:])
            if not m:
                return False
            i += m.end()
    return i == len(text)


def _py_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _py_num(value: float) -> str:
    if math.isinf(value):
        return "math.inf"
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


class Emitter:
    """Python source for one assertion: expressions and a small set of statements."""

    def __init__(self, ctx: JsContext):
        self.ctx = ctx
        self.imports: set[str] = set()
        self.locals: dict[str, str] = {}

    # statements

    def program(self, program: Program) -> list[str]:
        body = self.statements(program.body, 0)
        if not program.body or not isinstance(program.body[-1], Return):
            body.append('raise TypeError("the assertion returned undefined")')
        if self.ctx.path is not None:
            lines = ["output = value  # the field the transform picked"]
        elif self.ctx.output_parsed:
            lines = ["output = json.loads(obs.text)"]
            self.imports.add("json")
        else:
            lines = ["output = obs.text"]
        if "context" in self.imports:
            self.imports.discard("context")
            lines.append("context = js.context(obs)")
        return lines + body

    def statements(self, body: tuple[Stmt, ...], depth: int) -> list[str]:
        pad = "    " * depth
        lines: list[str] = []
        for stmt in body:
            if isinstance(stmt, Decl):
                name = self.local(stmt.name)
                lines.append(f"{pad}{name} = {self.expr(stmt.value)}")
            elif isinstance(stmt, Return):
                lines.append(f"{pad}return {self.result(stmt.value)}")
            elif isinstance(stmt, If):
                lines.append(f"{pad}if {self.cond(stmt.test)}:")
                lines += self.statements(stmt.then, depth + 1) or [f"{pad}    pass"]
                if stmt.other:
                    if len(stmt.other) == 1 and isinstance(stmt.other[0], If):
                        nested = self.statements(stmt.other, depth)
                        lines.append(f"{pad}el{nested[0].lstrip()}")
                        lines += nested[1:]
                    else:
                        lines.append(f"{pad}else:")
                        lines += self.statements(stmt.other, depth + 1)
            elif isinstance(stmt, ExprStmt):
                callee = stmt.expr.callee if isinstance(stmt.expr, Call) else None
                if (
                    isinstance(callee, Member)
                    and isinstance(callee.obj, Name)
                    and callee.obj.name == "console"
                ):
                    continue  # logging: nothing to carry over
                raise JsUnsupported("an expression statement with effects")
        return lines

    def local(self, name: str) -> str:
        if name not in self.locals:
            safe = name.replace("$", "_S")  # `$` is legal in JS names only
            if keyword.iskeyword(safe) or safe in _RESERVED or hasattr(builtins, safe):
                safe = f"{safe}_"
            self.locals[name] = safe
        return self.locals[name]

    def result(self, expr: Expr | None) -> str:
        if expr is None:
            return "js.result(None)"
        if _is_bool(expr):
            return self.expr(expr)
        if isinstance(expr, Object) and {k for k, _ in expr.entries} & {"pass", "score"}:
            return f"js.grading({self.expr(expr)})"
        if _is_number(expr):
            return self.expr(expr) if self.ctx.scored else f"js.score({self.expr(expr)})"
        return f"js.result({self.expr(expr)}{', scored=True' if self.ctx.scored else ''})"

    # expressions

    def cond(self, expr: Expr) -> str:
        return self.expr(expr) if _is_bool(expr) else f"js.truthy({self.expr(expr)})"

    def expr(self, expr: Expr) -> str:
        method = getattr(self, f"_{type(expr).__name__.lower()}")
        result: str = method(expr)
        return result

    def _num(self, expr: Num) -> str:
        return _py_num(expr.value)

    def _str(self, expr: Str) -> str:
        return _py_str(expr.value)

    def _bool(self, expr: Bool) -> str:
        return "True" if expr.value else "False"

    def _null(self, expr: Null) -> str:
        return "None"

    def _regex(self, expr: Regex) -> str:
        raise JsUnsupported("a regular expression used as a value")

    def regex(self, expr: Regex) -> str:
        pattern, ignore = js_regex_to_python(expr.pattern, expr.flags.replace("g", ""))
        self.imports.add("re")
        return f"re.compile({_py_str(pattern)}{', re.IGNORECASE' if ignore else ''})"

    def _name(self, expr: Name) -> str:
        if expr.name == "output":
            return "output"
        if expr.name == "context":
            self.imports.add("context")
            return "context"
        if expr.name in self.locals:
            return self.locals[expr.name]
        if expr.name == "NaN":
            self.imports.add("math")
            return "math.nan"
        if expr.name == "Infinity":
            self.imports.add("math")
            return "math.inf"
        raise JsUnsupported(f"the name {expr.name!r} (only output, context and local constants)")

    def _member(self, expr: Member) -> str:
        obj = expr.obj
        if isinstance(obj, Name) and obj.name == "context" and expr.prop == "vars":
            return "obs.vars"
        if isinstance(obj, Name) and obj.name == "context" and expr.prop == "prompt":
            raise JsUnsupported("context.prompt (evalkit checks see the output, not the prompt)")
        if (
            isinstance(obj, Member)
            and isinstance(obj.obj, Name)
            and obj.obj.name == "context"
            and obj.prop == "vars"
        ):
            return f"obs.vars.get({_py_str(expr.prop)})"
        if isinstance(obj, Name) and obj.name == "Math":
            constants = {"PI": "math.pi", "E": "math.e"}
            if expr.prop in constants:
                self.imports.add("math")
                return constants[expr.prop]
        if isinstance(obj, Name) and obj.name in ("JSON", "Math", "Object", "Array", "Number"):
            raise JsUnsupported(f"{obj.name}.{expr.prop}")
        if expr.prop == "length" and not expr.optional:
            return f"len({self.expr(obj)})"
        optional = ", optional=True" if expr.optional else ""
        return f"js.prop({self.expr(obj)}, {_py_str(expr.prop)}{optional})"

    def _index(self, expr: Index) -> str:
        index = expr.index
        key = _py_num(index.value) if isinstance(index, Num) else self.expr(index)
        optional = ", optional=True" if expr.optional else ""
        return f"js.prop({self.expr(expr.obj)}, {key}{optional})"

    def _unary(self, expr: Unary) -> str:
        if expr.op == "!":
            return f"not {self.paren(self.cond(expr.operand))}"
        if expr.op == "-":
            return f"-{self.paren(self.expr(expr.operand))}"
        if expr.op == "+":
            return f"js.to_number({self.expr(expr.operand)})"
        return f"js.typeof({self.expr(expr.operand)})"

    @staticmethod
    def paren(text: str) -> str:
        return text if _atomic(text) else f"({text})"

    def _binary(self, expr: Binary) -> str:
        op = expr.op
        if op in ("&&", "||"):
            word = "and" if op == "&&" else "or"
            return f"{self.paren(self.cond(expr.left))} {word} {self.paren(self.cond(expr.right))}"
        if op == "??":
            return f"js.coalesce({self.expr(expr.left)}, {self.expr(expr.right)})"
        left, right = self.paren(self.expr(expr.left)), self.paren(self.expr(expr.right))
        if op in _COMPARE:
            typeof = self.typeof_test(expr)
            if typeof is not None:
                return typeof
            return f"{left} {_COMPARE[op]} {right}"
        if op == "in":
            return f"{left} in {right}"
        if op == "+":
            if _is_number(expr.left) and _is_number(expr.right):
                return f"{left} + {right}"
            if _is_string(expr.left) and _is_string(expr.right):
                return f"{left} + {right}"
            if _is_string(expr.left):
                return f"{left} + js.string({self.expr(expr.right)})"
            if _is_string(expr.right):
                return f"js.string({self.expr(expr.left)}) + {right}"
            return f"js.add({self.expr(expr.left)}, {self.expr(expr.right)})"
        if op == "%":
            self.imports.add("math")
            return f"math.fmod({self.expr(expr.left)}, {self.expr(expr.right)})"
        if op in ("-", "*", "/", "**"):
            return f"{left} {op} {right}"
        raise JsUnsupported(f"the operator {op!r}")

    def typeof_test(self, expr: Binary) -> str | None:
        """``typeof x === 'string'`` → ``isinstance(x, str)`` (readable, same meaning)."""
        side, lit = expr.left, expr.right
        if isinstance(side, Str):
            side, lit = lit, side
        if not (isinstance(side, Unary) and side.op == "typeof" and isinstance(lit, Str)):
            return None
        types = {"string": "str", "boolean": "bool", "object": "(dict, list)"}
        if lit.value not in types:
            return None
        test = f"isinstance({self.expr(side.operand)}, {types[lit.value]})"
        return test if expr.op in ("===", "==") else f"not {test}"

    def _cond(self, expr: Cond) -> str:
        return (
            f"{self.paren(self.expr(expr.then))} if {self.paren(self.cond(expr.test))} "
            f"else {self.paren(self.expr(expr.other))}"
        )

    def _array(self, expr: Array) -> str:
        return "[" + ", ".join(self.expr(item) for item in expr.items) + "]"

    def _object(self, expr: Object) -> str:
        return "{" + ", ".join(f"{_py_str(k)}: {self.expr(v)}" for k, v in expr.entries) + "}"

    def _template(self, expr: Template) -> str:
        if not expr.parts:
            return '""'
        pieces = [
            self.expr(part) if isinstance(part, Str) else f"js.string({self.expr(part)})"
            for part in expr.parts
        ]
        return " + ".join(pieces)

    def _arrow(self, expr: Arrow) -> str:
        raise JsUnsupported("a function used as a value (outside some/every/filter/map/find)")

    def lambda_body(self, arrow: Expr, arity: int = 1) -> tuple[list[str], str]:
        """An arrow function's parameters and its body expression, for a comprehension."""
        if not isinstance(arrow, Arrow) or not 1 <= len(arrow.params) <= arity:
            raise JsUnsupported("a callback that is not an arrow function")
        body = arrow.body
        if isinstance(body, tuple):
            if len(body) == 1 and isinstance(body[0], Return) and body[0].value is not None:
                body = body[0].value
            else:
                raise JsUnsupported("a callback with statements")
        saved = dict(self.locals)
        names = [self.local(p) for p in arrow.params]
        condition = self.cond(body)
        self.locals = saved
        return names, condition

    def _call(self, expr: Call) -> str:
        callee = expr.callee
        args = expr.args
        if expr.new:
            if isinstance(callee, Name) and callee.name == "RegExp" and args:
                self.imports.add("re")
                flags = args[1] if len(args) > 1 else None
                if flags is not None and not (
                    isinstance(flags, Str) and set(flags.value) <= set("gi")
                ):
                    raise JsUnsupported("new RegExp with flags other than g and i")
                ignore = ", re.IGNORECASE" if isinstance(flags, Str) and "i" in flags.value else ""
                return f"re.compile({self.expr(args[0])}{ignore})"
            raise JsUnsupported("`new`")
        if isinstance(callee, Name):
            return self.global_call(callee.name, args)
        if not isinstance(callee, Member) or callee.optional:
            raise JsUnsupported("calling a computed function")
        obj, name = callee.obj, callee.prop
        if isinstance(obj, Name) and obj.name in (
            "JSON",
            "Math",
            "Object",
            "Array",
            "Number",
            "String",
        ):
            return self.static_call(obj.name, name, args)
        if isinstance(obj, Regex):
            return self.regex_call(obj, name, args)
        return self.method_call(obj, name, args)

    def global_call(self, name: str, args: tuple[Expr, ...]) -> str:
        arg = [self.expr(a) for a in args]
        if name == "Number" and len(arg) == 1:
            return f"js.to_number({arg[0]})"
        if name == "String" and len(arg) == 1:
            return f"js.string({arg[0]})"
        if name == "Boolean" and len(arg) == 1:
            return f"js.truthy({arg[0]})"
        if name == "parseFloat" and len(arg) == 1:
            return f"js.parse_float({arg[0]})"
        if name == "parseInt" and 1 <= len(arg) <= 2:
            return f"js.parse_int({', '.join(arg)})"
        if name == "isNaN" and len(arg) == 1:
            self.imports.add("math")
            return f"math.isnan(js.to_number({arg[0]}))"
        raise JsUnsupported(f"the function {name}()")

    def static_call(self, owner: str, name: str, args: tuple[Expr, ...]) -> str:
        arg = [self.expr(a) for a in args]
        if owner == "JSON" and name == "parse" and len(arg) == 1:
            self.imports.add("json")
            return f"json.loads({arg[0]})"
        if owner == "JSON" and name == "stringify" and 1 <= len(arg) <= 3:
            indent = f", {arg[2]}" if len(arg) == 3 else ""
            return f"js.stringify({arg[0]}{indent})"
        if owner == "Math" and name in _MATH and arg:
            if _MATH[name].startswith("math."):
                self.imports.add("math")
            return f"{_MATH[name]}({', '.join(arg)})"
        if owner == "Math" and name == "round" and len(arg) == 1:
            self.imports.add("math")
            return f"math.floor({arg[0]} + 0.5)"
        if owner == "Object" and name == "keys" and len(arg) == 1:
            return f"list({arg[0]})"
        if owner == "Object" and name == "values" and len(arg) == 1:
            return f"list({arg[0]}.values())"
        if owner == "Array" and name == "isArray" and len(arg) == 1:
            return f"isinstance({arg[0]}, list)"
        if owner == "Number" and name == "isInteger" and len(arg) == 1:
            return f"(isinstance({arg[0]}, (int, float)) and float({arg[0]}).is_integer())"
        if owner == "Number" and name in ("parseFloat", "parseInt"):
            return self.global_call(name, args)
        if owner == "String" and name == "raw":
            raise JsUnsupported("String.raw")
        raise JsUnsupported(f"{owner}.{name}()")

    def regex_call(self, regex: Regex, name: str, args: tuple[Expr, ...]) -> str:
        if name == "test" and len(args) == 1:
            return f"{self.regex(regex)}.search({self.expr(args[0])}) is not None"
        raise JsUnsupported(f"the regular expression method {name}()")

    def method_call(self, obj: Expr, name: str, args: tuple[Expr, ...]) -> str:
        recv = self.paren(self.expr(obj))
        arg = [self.expr(a) for a in args if not isinstance(a, (Regex, Arrow))]
        if name == "includes" and len(args) == 1:
            return f"{self.paren(arg[0])} in {recv}"
        simple = {
            "toLowerCase": "lower",
            "toUpperCase": "upper",
            "trim": "strip",
            "trimStart": "lstrip",
            "trimEnd": "rstrip",
            "toLocaleLowerCase": "lower",
            "toLocaleUpperCase": "upper",
        }
        if name in simple and not args:
            return f"{recv}.{simple[name]}()"
        if name in ("startsWith", "endsWith") and len(args) == 1:
            return f"{recv}.{'startswith' if name == 'startsWith' else 'endswith'}({arg[0]})"
        if name == "indexOf" and len(args) == 1:
            return f"js.index_of({recv}, {arg[0]})"
        if name == "split" and len(args) <= 2:
            pieces = [recv]
            if args:
                pieces.append(
                    self.regex(args[0]) if isinstance(args[0], Regex) else self.expr(args[0])
                )
            if len(args) == 2:
                pieces.append(self.expr(args[1]))
            return f"js.split({', '.join(pieces)})"
        if name == "join" and len(args) <= 1:
            return f"js.join({recv}{', ' + arg[0] if arg else ''})"
        if name == "slice" and len(args) <= 2:
            lo = arg[0] if arg else ""
            hi = arg[1] if len(arg) > 1 else ""
            return f"{recv}[{lo}:{hi}]"
        if name == "match" and len(args) == 1 and isinstance(args[0], Regex):
            if "g" in args[0].flags:
                return f"({self.regex(args[0])}.findall({recv}) or None)"
            return f"{self.regex(args[0])}.search({recv})"
        if name == "search" and len(args) == 1 and isinstance(args[0], Regex):
            return f"js.search({recv}, {self.regex(args[0])})"
        if name == "replace" or name == "replaceAll":
            return self.replace(recv, name, args)
        if name in ("some", "every", "filter", "map", "find") and len(args) == 1:
            params, body = self.lambda_body(args[0], arity=2)
            loop = self.loop_clause(params, recv)
            if name == "some":
                return f"any({body} {loop})"
            if name == "every":
                return f"all({body} {loop})"
            if name == "filter":
                return f"[{params[0]} {loop} if {body}]"
            if name == "find":
                return f"next(({params[0]} {loop} if {body}), None)"
            mapped_params, mapped = self.lambda_value(args[0])
            return f"[{mapped} {self.loop_clause(mapped_params, recv)}]"
        if name == "toFixed" and len(args) <= 1:
            digits = arg[0] if arg else "0"
            return f'format(js.to_number({recv}), "." + str(int({digits})) + "f")'
        if name == "toString" and not args:
            return f"js.string({recv})"
        if name == "hasOwnProperty" and len(args) == 1:
            return f"({arg[0]} in {recv})"
        if name == "at" and len(args) == 1:
            return f"js.prop({recv}, {arg[0]})"
        raise JsUnsupported(f"the method .{name}()")

    def loop_clause(self, params: list[str], recv: str) -> str:
        if len(params) == 2:
            return f"for {params[1]}, {params[0]} in enumerate({recv})"
        return f"for {params[0]} in {recv}"

    def lambda_value(self, arrow: Expr) -> tuple[list[str], str]:
        if not isinstance(arrow, Arrow):
            raise JsUnsupported("a callback that is not an arrow function")
        body = arrow.body
        if isinstance(body, tuple):
            if len(body) == 1 and isinstance(body[0], Return) and body[0].value is not None:
                body = body[0].value
            else:
                raise JsUnsupported("a callback with statements")
        saved = dict(self.locals)
        names = [self.local(p) for p in arrow.params]
        text = self.expr(body)
        self.locals = saved
        return names, text

    def replace(self, recv: str, name: str, args: tuple[Expr, ...]) -> str:
        if len(args) != 2 or isinstance(args[1], Arrow):
            raise JsUnsupported(f".{name}() with a function or without two arguments")
        pattern, replacement = args
        if isinstance(pattern, Regex):
            if not isinstance(replacement, Str):
                raise JsUnsupported(
                    ".replace() of a regular expression with a computed replacement"
                )
            template = re.sub(r"\$(\d)", r"\\g<\1>", replacement.value.replace("\\", "\\\\"))
            template = template.replace("$&", r"\g<0>")
            count = "" if ("g" in pattern.flags or name == "replaceAll") else ", count=1"
            return f"{self.regex(pattern)}.sub({_py_str(template)}, {recv}{count})"
        count = "" if name == "replaceAll" else ", 1"
        return f"{recv}.replace({self.expr(pattern)}, {self.expr(replacement)}{count})"
