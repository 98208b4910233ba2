"""A small JavaScript tokenizer and parser for the code promptfoo assertions hold.

promptfoo's ``javascript`` assertions are usually one expression over ``output``
(``output.includes('x') && output.length < 200``) or a short function body with ``const``
declarations, ``if`` and ``return``. This parses exactly that subset into a typed tree;
anything outside it (loops, assignments, classes, ``await``...) raises
:class:`JsUnsupported` naming the construct, so the importer can list it instead of
guessing. Nothing here evaluates JavaScript.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class JsUnsupported(Exception):
    """The code uses something outside the translated subset (the message says what)."""


# -- tokens -------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, template, regex, name, op, eof
    value: str
    pos: int
    newline_before: bool = False
    flags: str = ""  # regex flags
    parts: tuple[str, ...] = ()  # template literal: text, expr source, text, ...


_PUNCT = sorted(
    [
        "===",
        "!==",
        "...",
        "**",
        "==",
        "!=",
        "<=",
        ">=",
        "&&",
        "||",
        "??",
        "?.",
        "=>",
        "++",
        "--",
        "+=",
        "-=",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        ":",
        "?",
        ".",
        "<",
        ">",
        "+",
        "-",
        "*",
        "/",
        "%",
        "!",
        "=",
        "&",
        "|",
        "^",
        "~",
    ],
    key=len,
    reverse=True,
)
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _operand_end(prev: Token | None) -> bool:
    """After these a ``/`` divides; elsewhere it starts a regular expression literal."""
    if prev is None:
        return False
    if prev.kind in ("num", "str", "template", "regex"):
        return True
    if prev.kind == "name":
        return prev.value not in ("return", "typeof", "in", "of", "case", "do", "else", "new")
    return prev.value in (")", "]", "}")


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    newline = False
    while i < n:
        ch = source[i]
        if ch in " \t\r\f\v\u00a0":
            i += 1
            continue
        if ch == "\n":
            newline = True
            i += 1
            continue
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            if end < 0:
                raise JsUnsupported("unterminated /* comment")
            newline = newline or "\n" in source[i:end]
            i = end + 2
            continue
        prev = tokens[-1] if tokens else None
        start = i
        if ch in "'\"":
            value, i = _string(source, i)
            tokens.append(Token("str", value, start, newline))
        elif ch == "`":
            parts, i = _template(source, i)
            tokens.append(Token("template", "", start, newline, parts=parts))
        elif ch == "/" and not _operand_end(prev):
            pattern, flags, i = _regex(source, i)
            tokens.append(Token("regex", pattern, start, newline, flags=flags))
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            match = _NUMBER.match(source, i)
            assert match is not None
            i = match.end()
            tokens.append(Token("num", match.group(), start, newline))
        elif (match := _NAME.match(source, i)) is not None:
            i = match.end()
            tokens.append(Token("name", match.group(), start, newline))
        else:
            for punct in _PUNCT:
                if source.startswith(punct, i):
                    # `?.` followed by a digit is the conditional operator and a number
                    if punct == "?." and i + 2 < n and source[i + 2].isdigit():
                        continue
                    i += len(punct)
                    tokens.append(Token("op", punct, start, newline))
                    break
            else:
                raise JsUnsupported(f"unexpected character {ch!r}")
        newline = False
    tokens.append(Token("eof", "", n, newline))
    return tokens


def _string(source: str, i: int) -> tuple[str, int]:
    quote, i = source[i], i + 1
    out: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\n":
            break
        if ch == "\\":
            i += 1
            if i >= len(source):
                break
            esc = source[i]
            if esc == "u" and source[i + 1 : i + 2] == "{":
                end = source.index("}", i)
                out.append(chr(int(source[i + 2 : end], 16)))
                i = end + 1
                continue
            if esc == "u":
                out.append(chr(int(source[i + 1 : i + 5], 16)))
                i += 5
                continue
            if esc == "x":
                out.append(chr(int(source[i + 1 : i + 3], 16)))
                i += 3
                continue
            if esc == "\n":
                i += 1
                continue
            out.append(_ESCAPES.get(esc, esc))
            i += 1
            continue
        out.append(ch)
        i += 1
    raise JsUnsupported("unterminated string literal")


def _template(source: str, i: int) -> tuple[tuple[str, ...], int]:
    """A template literal as alternating text and ``${...}`` expression sources."""
    i += 1
    parts: list[str] = []
    text: list[str] = []
    while i < len(source):
        ch = source[i]
        if ch == "`":
            parts.append("".join(text))
            return tuple(parts), i + 1
        if ch == "\\" and i + 1 < len(source):
            text.append(_ESCAPES.get(source[i + 1], source[i + 1]))
            i += 2
            continue
        if source.startswith("${", i):
            parts.append("".join(text))
            text = []
            depth, j = 1, i + 2
            while j < len(source) and depth:
                if source[j] == "{":
                    depth += 1
                elif source[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                break
            parts.append(source[i + 2 : j - 1])
            i = j
            continue
        text.append(ch)
        i += 1
    raise JsUnsupported("unterminated template literal")


def _regex(source: str, i: int) -> tuple[str, str, int]:
    i += 1
    out: list[str] = []
    in_class = False
    while i < len(source):
        ch = source[i]
        if ch == "\n":
            break
        if ch == "\\" and i + 1 < len(source):
            out.append(source[i : i + 2])
            i += 2
            continue
        if ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            i += 1
            flags_start = i
            while i < len(source) and source[i].isalpha():
                i += 1
            return "".join(out), source[flags_start:i], i
        out.append(ch)
        i += 1
    raise JsUnsupported("unterminated regular expression literal")


# -- the tree ---------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Null:
    """``null`` and ``undefined`` alike (both become ``None``)."""

    undefined: bool = False


@dataclass(frozen=True)
class Regex:
    pattern: str
    flags: str


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Member:
    obj: Expr
    prop: str
    optional: bool = False


@dataclass(frozen=True)
class Index:
    obj: Expr
    index: Expr
    optional: bool = False


@dataclass(frozen=True)
class Call:
    callee: Expr
    args: tuple[Expr, ...]
    new: bool = False


@dataclass(frozen=True)
class Unary:
    op: str  # ! - + typeof
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Cond:
    test: Expr
    then: Expr
    other: Expr


@dataclass(frozen=True)
class Array:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Object:
    entries: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Template:
    parts: tuple[Expr, ...]  # Str pieces and expressions, in order


@dataclass(frozen=True)
class Arrow:
    params: tuple[str, ...]
    body: Expr | tuple[Stmt, ...]


Expr = (
    Num
    | Str
    | Bool
    | Null
    | Regex
    | Name
    | Member
    | Index
    | Call
    | Unary
    | Binary
    | Cond
    | Array
    | Object
    | Template
    | Arrow
)


@dataclass(frozen=True)
class Return:
    value: Expr | None


@dataclass(frozen=True)
class Decl:
    name: str
    value: Expr


@dataclass(frozen=True)
class If:
    test: Expr
    then: tuple[Stmt, ...]
    other: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class ExprStmt:
    expr: Expr


Stmt = Return | Decl | If | ExprStmt


@dataclass(frozen=True)
class Program:
    """A function body; a lone expression is read as ``return <expression>``."""

    body: tuple[Stmt, ...] = field(default_factory=tuple)

    @property
    def expression(self) -> Expr | None:
        """The returned expression when the program is just one (the common case)."""
        if len(self.body) == 1 and isinstance(self.body[0], Return):
            return self.body[0].value
        return None


# -- the parser -------------------------------------------------------------------

_BINARY = {
    "??": 1,
    "||": 2,
    "&&": 3,
    "|": 4,
    "^": 5,
    "&": 6,
    "==": 7,
    "!=": 7,
    "===": 7,
    "!==": 7,
    "<": 8,
    ">": 8,
    "<=": 8,
    ">=": 8,
    "in": 8,
    "instanceof": 8,
    "+": 10,
    "-": 10,
    "*": 11,
    "/": 11,
    "%": 11,
    "**": 12,
}
_UNSUPPORTED_WORDS = {
    "for": "a `for` loop",
    "while": "a `while` loop",
    "do": "a `do` loop",
    "switch": "a `switch` statement",
    "try": "a `try` block",
    "throw": "a `throw` statement",
    "class": "a class",
    "function": "a `function` declaration",
    "await": "`await`",
    "async": "an async function",
    "import": "an import",
    "require": "`require`",
    "this": "`this`",
    "delete": "`delete`",
    "void": "`void`",
    "yield": "`yield`",
}


class _Parser:
    def __init__(self, source: str):
        self.tokens = tokenize(source)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tok
        self.i += 1
        return tok

    def at(self, value: str, kind: str = "op") -> bool:
        return self.tok.kind == kind and self.tok.value == value

    def eat(self, value: str, kind: str = "op") -> bool:
        if self.at(value, kind):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.eat(value):
            got = self.tok.value or "the end"
            raise JsUnsupported(f"expected {value!r}, got {got!r}")

    def unsupported_word(self) -> None:
        if self.tok.kind == "name" and self.tok.value in _UNSUPPORTED_WORDS:
            raise JsUnsupported(f"uses {_UNSUPPORTED_WORDS[self.tok.value]}")

    # statements

    def program(self) -> Program:
        body = self.statements(top=True)
        if not self.at("", "eof"):
            raise JsUnsupported(f"unexpected {self.tok.value!r}")
        has_return = _has_return(body)
        if not has_return:
            if len(body) == 1 and isinstance(body[0], ExprStmt):
                return Program((Return(body[0].expr),))
            raise JsUnsupported("no `return` statement: nothing decides the result")
        return Program(tuple(body))

    def statements(self, top: bool = False) -> list[Stmt]:
        out: list[Stmt] = []
        while not self.at("", "eof") and not (not top and self.at("}")):
            if self.eat(";"):
                continue
            out.append(self.statement())
        return out

    def block(self) -> tuple[Stmt, ...]:
        if self.eat("{"):
            body = self.statements()
            self.expect("}")
            return tuple(body)
        return (self.statement(),)

    def end_statement(self) -> None:
        if self.eat(";") or self.at("}") or self.at("", "eof") or self.tok.newline_before:
            return
        raise JsUnsupported(f"unexpected {self.tok.value!r} after a statement")

    def statement(self) -> Stmt:
        self.unsupported_word()
        tok = self.tok
        if tok.kind == "name" and tok.value in ("const", "let", "var"):
            self.next()
            if self.tok.kind != "name":
                raise JsUnsupported("destructuring declarations")
            name = self.next().value
            self.expect("=")
            value = self.expression()
            if self.at(","):
                raise JsUnsupported("several declarations in one statement")
            self.end_statement()
            return Decl(name, value)
        if tok.kind == "name" and tok.value == "return":
            self.next()
            if self.at(";") or self.at("}") or self.at("", "eof") or self.tok.newline_before:
                self.eat(";")
                return Return(None)
            value = self.expression()
            self.end_statement()
            return Return(value)
        if tok.kind == "name" and tok.value == "if":
            self.next()
            self.expect("(")
            test = self.expression()
            self.expect(")")
            then = self.block()
            other: tuple[Stmt, ...] = ()
            if self.eat("else", "name"):
                other = self.block()
            return If(test, then, other)
        expr = self.expression()
        if self.tok.kind == "op" and self.tok.value in ("=", "+=", "-=", "++", "--"):
            raise JsUnsupported("assignments")
        self.end_statement()
        return ExprStmt(expr)

    # expressions

    def expression(self) -> Expr:
        expr = self.assignment()
        if self.at(","):
            raise JsUnsupported("the comma operator")
        return expr

    def assignment(self) -> Expr:
        arrow = self.try_arrow()
        if arrow is not None:
            return arrow
        test = self.binary(1)
        if self.eat("?"):
            then = self.assignment()
            self.expect(":")
            other = self.assignment()
            return Cond(test, then, other)
        if self.tok.kind == "op" and self.tok.value in ("=", "+=", "-="):
            raise JsUnsupported("assignments")
        return test

    def try_arrow(self) -> Arrow | None:
        """``x => ...`` or ``(a, b) => ...``."""
        if self.tok.kind == "name" and self.peek().kind == "op" and self.peek().value == "=>":
            name = self.next().value
            self.next()
            return Arrow((name,), self.arrow_body())
        if not self.at("("):
            return None
        j, params = self.i + 1, []
        while True:
            tok = self.tokens[j]
            if tok.kind == "op" and tok.value == ")":
                break
            if tok.kind != "name":
                return None
            params.append(tok.value)
            j += 1
            if self.tokens[j].kind == "op" and self.tokens[j].value == ",":
                j += 1
        after = self.tokens[j + 1]
        if not (after.kind == "op" and after.value == "=>"):
            return None
        self.i = j + 2
        return Arrow(tuple(params), self.arrow_body())

    def arrow_body(self) -> Expr | tuple[Stmt, ...]:
        if self.at("{"):
            return self.block()
        return self.assignment()

    def binary(self, min_prec: int) -> Expr:
        """Precedence climbing; ``**`` is right-associative."""
        left = self.unary()
        while True:
            tok = self.tok
            is_word = tok.kind == "name" and tok.value in ("in", "instanceof")
            op = tok.value if tok.kind == "op" or is_word else ""
            prec = _BINARY.get(op)
            if prec is None or prec < min_prec:
                return left
            if op in ("|", "&", "^", "instanceof"):
                raise JsUnsupported(f"the operator {op!r}")
            self.next()
            right = self.binary(prec if op == "**" else prec + 1)
            left = Binary(op, left, right)

    def unary(self) -> Expr:
        self.unsupported_word()
        tok = self.tok
        if tok.kind == "op" and tok.value in ("!", "-", "+"):
            self.next()
            return Unary(tok.value, self.unary())
        if tok.kind == "op" and tok.value in ("++", "--", "~"):
            raise JsUnsupported(f"the operator {tok.value!r}")
        if tok.kind == "name" and tok.value == "typeof":
            self.next()
            return Unary("typeof", self.unary())
        return self.postfix()

    def postfix(self) -> Expr:
        new = self.eat("new", "name")
        expr = self.primary()
        while True:
            if self.eat("."):
                if self.tok.kind != "name":
                    raise JsUnsupported("a property name was expected after '.'")
                expr = Member(expr, self.next().value)
            elif self.eat("?."):
                if self.eat("["):
                    index = self.expression()
                    self.expect("]")
                    expr = Index(expr, index, optional=True)
                elif self.at("("):
                    raise JsUnsupported("optional calls (?.())")
                else:
                    if self.tok.kind != "name":
                        raise JsUnsupported("a property name was expected after '?.'")
                    expr = Member(expr, self.next().value, optional=True)
            elif self.at("[") and not self.tok.newline_before:
                self.next()
                index = self.expression()
                self.expect("]")
                expr = Index(expr, index)
            elif self.at("(") and not self.tok.newline_before:
                self.next()
                args: list[Expr] = []
                while not self.at(")"):
                    if self.at("..."):
                        raise JsUnsupported("spread arguments (...)")
                    args.append(self.assignment())
                    if not self.eat(","):
                        break
                self.expect(")")
                expr = Call(expr, tuple(args), new=new)
                new = False
            else:
                break
        if new:
            raise JsUnsupported("`new` without arguments")
        return expr

    def primary(self) -> Expr:
        self.unsupported_word()
        tok = self.next()
        if tok.kind == "num":
            text = tok.value
            return Num(float(int(text, 16)) if text.lower().startswith("0x") else float(text))
        if tok.kind == "str":
            return Str(tok.value)
        if tok.kind == "regex":
            return Regex(tok.value, tok.flags)
        if tok.kind == "template":
            return self.template(tok)
        if tok.kind == "name":
            if tok.value in ("true", "false"):
                return Bool(tok.value == "true")
            if tok.value in ("null", "undefined"):
                return Null(undefined=tok.value == "undefined")
            return Name(tok.value)
        if tok.kind == "op" and tok.value == "(":
            expr = self.expression()
            self.expect(")")
            return expr
        if tok.kind == "op" and tok.value == "[":
            items: list[Expr] = []
            while not self.at("]"):
                if self.at("..."):
                    raise JsUnsupported("spread elements (...)")
                items.append(self.assignment())
                if not self.eat(","):
                    break
            self.expect("]")
            return Array(tuple(items))
        if tok.kind == "op" and tok.value == "{":
            entries: list[tuple[str, Expr]] = []
            while not self.at("}"):
                key_tok = self.next()
                if key_tok.kind not in ("name", "str", "num"):
                    raise JsUnsupported("computed or spread object keys")
                if self.eat(":"):
                    entries.append((key_tok.value, self.assignment()))
                elif key_tok.kind == "name":
                    entries.append((key_tok.value, Name(key_tok.value)))  # shorthand
                else:
                    raise JsUnsupported("object literal syntax")
                if not self.eat(","):
                    break
            self.expect("}")
            return Object(tuple(entries))
        raise JsUnsupported(f"unexpected {tok.value or 'end of code'!r}")

    def template(self, tok: Token) -> Template:
        parts: list[Expr] = []
        for index, piece in enumerate(tok.parts):
            if index % 2 == 0:
                if piece:
                    parts.append(Str(piece))
            else:
                parts.append(parse_expression(piece))
        return Template(tuple(parts))


def _has_return(body: list[Stmt] | tuple[Stmt, ...]) -> bool:
    for stmt in body:
        if isinstance(stmt, Return):
            return True
        if isinstance(stmt, If) and (_has_return(stmt.then) or _has_return(stmt.other)):
            return True
    return False


def parse_program(source: str) -> Program:
    """Parse an assertion's code (an expression or a function body)."""
    text = source.strip()
    if not text:
        raise JsUnsupported("empty code")
    return _Parser(text).program()


def parse_expression(source: str) -> Expr:
    """Parse exactly one expression (a transform, a template literal's ``${...}``)."""
    parser = _Parser(source.strip())
    expr = parser.expression()
    parser.eat(";")
    if not parser.at("", "eof"):
        raise JsUnsupported(f"unexpected {parser.tok.value!r} after the expression")
    return expr


@dataclass(frozen=True)
class JsContext:
    """What the translation needs to know about where the code runs."""

    output_parsed: bool = False  # a transform `JSON.parse(output)` ran before the assertion
    tools: tuple[str, ...] = ()  # function tools the suite offers (tool-call patterns)
    scored: bool = False  # the assertion has a threshold: numeric results are scores
    path: str | None = None  # a transform picked this field of the parsed output
    function_call: bool = False  # legacy `functions`: output is one {name, arguments} object
