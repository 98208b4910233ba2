"""promptfoo prompt templates (Nunjucks) → evalkit templates (Jinja2).

The two languages share most syntax; what differs is rewritten from a parse of each tag
rather than by search-and-replace: JavaScript operators (``===``, ``&&``, ``!``), JS
properties and methods (``x.length``, ``x.toUpperCase()``, ``x.includes(y)``), filters
(``dump`` → ``tojson``), ``elseif``, ``for k, v in object``, ``null``. promptfoo's ``load``
filter (JSON.parse) has no Jinja equivalent; ``(x | load)`` is rewritten to a variable the
importer fills with the parsed value. Whatever cannot be carried (includes, custom filters,
``env``, filters Jinja lacks) is returned as a :class:`Problem` with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jinja2
from jinja2 import meta

from ..prompts import MessageExtension

# Filters both engines have with the same meaning (Nunjucks builtins ∩ Jinja builtins).
SAME_FILTERS = frozenset(
    {
        "abs",
        "batch",
        "capitalize",
        "center",
        "default",
        "d",
        "dictsort",
        "escape",
        "e",
        "first",
        "float",
        "forceescape",
        "groupby",
        "indent",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "random",
        "reject",
        "rejectattr",
        "replace",
        "reverse",
        "round",
        "safe",
        "select",
        "selectattr",
        "slice",
        "sort",
        "string",
        "striptags",
        "sum",
        "title",
        "trim",
        "truncate",
        "upper",
        "urlencode",
        "urlize",
        "wordcount",
    }
)
RENAMED_FILTERS = {"dump": "tojson"}
# Nunjucks filters (builtin or promptfoo's own) with no Jinja equivalent.
NO_EQUIVALENT = {
    "nl2br": "Nunjucks' nl2br has no Jinja filter; replace it with `| replace('\\n', '<br />\\n')`",
    "load": "promptfoo's load (JSON.parse) only applies to a variable; parse the value in the case data",
}
SAME_TESTS = frozenset(
    {
        "callable",
        "defined",
        "divisibleby",
        "escaped",
        "equalto",
        "even",
        "ge",
        "gt",
        "iterable",
        "le",
        "lt",
        "lower",
        "mapping",
        "ne",
        "number",
        "odd",
        "sameas",
        "string",
        "undefined",
        "upper",
    }
)
RENAMED_TESTS = {"null": "none"}


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based, within the template
    what: str
    fix: str


@dataclass
class Translation:
    """The Jinja text, what could not be translated, and the variables it reads."""

    text: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # translated, with a difference
    loaded: dict[str, str] = field(default_factory=dict)  # var → var holding JSON.parse(var)
    variables: set[str] = field(default_factory=set)


class _Untranslatable(Exception):
    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what = what
        self.fix = fix


# -- expression tokens --------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<regex>r/(?:[^/\\\n]|\\.)+/[gimy]*)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||//|\*\*|[-+*/%~<>|.,:()\[\]{}!?=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str


def _tokens(source: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise _Untranslatable(
                f"unexpected character {source[pos]!r} in a template tag",
                "rewrite this tag in Jinja syntax",
            )
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, match.group()))
    out.append(_Tok("eof", ""))
    return out


class _Expr:
    """A recursive-descent reader of one Nunjucks expression, writing Jinja as it goes."""

    def __init__(self, source: str, owner: _Translator):
        self.toks = _tokens(source)
        self.i = 0
        self.owner = owner

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def at(self, *values: str) -> bool:
        return self.tok.kind in ("op", "name") and self.tok.value in values

    def eat(self, *values: str) -> str | None:
        if self.at(*values):
            value = self.tok.value
            self.i += 1
            return value
        return None

    def expect(self, value: str) -> None:
        if not self.eat(value):
            raise _Untranslatable(
                f"unexpected {self.tok.value or 'end'!r} in a template expression (expected {value!r})",
                "rewrite this tag in Jinja syntax",
            )

    def done(self) -> bool:
        return self.tok.kind == "eof"

    # grammar, loosest first

    def expression(self) -> str:
        text = self.or_()
        if self.eat("if"):
            cond = self.or_()
            if self.eat("else"):
                return f"{text} if {cond} else {self.expression()}"
            return f"{text} if {cond} else ''"
        return text

    def or_(self) -> str:
        text = self.and_()
        while self.eat("or", "||"):
            text = f"{text} or {self.and_()}"
        return text

    def and_(self) -> str:
        text = self.not_()
        while self.eat("and", "&&"):
            text = f"{text} and {self.not_()}"
        return text

    def not_(self) -> str:
        if self.eat("not", "!"):
            return f"not {self.not_()}"
        return self.in_()

    def in_(self) -> str:
        text = self.is_()
        while True:
            if self.eat("in"):
                text = f"{text} in {self.is_()}"
            elif self.at("not") and self.toks[self.i + 1].value == "in":
                self.i += 2
                text = f"{text} not in {self.is_()}"
            else:
                return text

    def is_(self) -> str:
        text = self.compare()
        while self.eat("is"):
            negate = " not" if self.eat("not") else ""
            if self.tok.kind != "name":
                raise _Untranslatable("an `is` test without a name", "rewrite the test in Jinja")
            name = self.tok.value
            self.i += 1
            if name in RENAMED_TESTS:
                name = RENAMED_TESTS[name]
            elif name not in SAME_TESTS:
                raise _Untranslatable(
                    f"the Nunjucks test `is {name}` has no Jinja equivalent",
                    "rewrite the condition (e.g. `if x` for truthy)",
                )
            args = self.call_args() if self.at("(") else ""
            text = f"{text} is{negate} {name}{args}"
        return text

    def compare(self) -> str:
        text = self.concat()
        while self.at("==", "===", "!=", "!==", "<", ">", "<=", ">="):
            op = {"===": "==", "!==": "!="}.get(self.tok.value, self.tok.value)
            self.i += 1
            text = f"{text} {op} {self.concat()}"
        return text

    def concat(self) -> str:
        text = self.add()
        while self.eat("~"):
            text = f"{text} ~ {self.add()}"
        return text

    def add(self) -> str:
        text = self.mul()
        while self.at("+", "-"):
            op = self.tok.value
            self.i += 1
            text = f"{text} {op} {self.mul()}"
        return text

    def mul(self) -> str:
        text = self.power()
        while self.at("*", "/", "//", "%"):
            op = self.tok.value
            self.i += 1
            text = f"{text} {op} {self.power()}"
        return text

    def power(self) -> str:
        text = self.unary()
        while self.eat("**"):
            text = f"{text} ** {self.unary()}"
        return text

    def unary(self) -> str:
        if self.at("-", "+"):
            op = self.tok.value
            self.i += 1
            return f"{op}{self.unary()}"
        return self.filtered()

    def filtered(self) -> str:
        text, plain_var = self.postfix()
        while self.eat("|"):
            if self.tok.kind != "name":
                raise _Untranslatable("a filter without a name", "rewrite the filter in Jinja")
            name = self.tok.value
            self.i += 1
            args = self.call_args() if self.at("(") else ""
            if name == "load":
                if plain_var is None:
                    raise _Untranslatable(
                        "promptfoo's `load` filter (JSON.parse) on an expression",
                        "parse the JSON into the case's vars and drop `| load`",
                    )
                text = self.owner.load_var(plain_var)
                plain_var = None
                continue
            plain_var = None
            if name in RENAMED_FILTERS:
                text = f"{text} | {RENAMED_FILTERS[name]}{args}"
                self.owner.changed.append(
                    f"`| {name}` became `| {RENAMED_FILTERS[name]}`, which sorts keys and puts "
                    "spaces after `:` and `,` (JSON.stringify does neither)"
                )
            elif name in SAME_FILTERS:
                text = f"{text} | {name}{args}"
            elif name in NO_EQUIVALENT:
                raise _Untranslatable(f"the filter `{name}`", NO_EQUIVALENT[name])
            elif name in self.owner.custom_filters:
                raise _Untranslatable(
                    f"the custom Nunjucks filter `{name}` (nunjucksFilters)",
                    "compute the value in the case's vars instead",
                )
            else:
                raise _Untranslatable(
                    f"the filter `{name}`, which Jinja does not have",
                    "compute the value in the case's vars, or use a Jinja filter",
                )
        return text

    def call_args(self) -> str:
        self.expect("(")
        args: list[str] = []
        while not self.at(")"):
            if self.tok.kind == "name" and self.toks[self.i + 1].value == "=":
                key = self.tok.value
                self.i += 2
                args.append(f"{key}={self.expression()}")
            else:
                args.append(self.expression())
            if not self.eat(","):
                break
        self.expect(")")
        return "(" + ", ".join(args) + ")"

    def postfix(self) -> tuple[str, str | None]:
        """A primary with its ``.x``, ``[i]`` and calls; also the variable name when the
        whole thing is a plain variable (for ``| load``)."""
        text, plain = self.primary()
        while True:
            if self.eat("."):
                if self.tok.kind != "name":
                    raise _Untranslatable("'.' without a property name", "rewrite in Jinja")
                prop = self.tok.value
                self.i += 1
                plain = None
                if self.at("("):
                    text = self.method(text, prop)
                elif prop == "length":
                    # JS: a mapping's "length" key, else the size of a string or list
                    text = f"({text}.length if {text} is mapping else {text} | length)"
                else:
                    text = f"{text}.{prop}"
            elif self.at("["):
                self.i += 1
                index = self.expression()
                self.expect("]")
                text = f"{text}[{index}]"
                plain = None
            elif self.at("("):
                text = f"{text}{self.call_args()}"
                plain = None
            else:
                return text, plain

    def method(self, recv: str, name: str) -> str:
        args_text = self.call_args()
        inner = args_text[1:-1]
        simple = {
            "toUpperCase": "upper",
            "toLowerCase": "lower",
            "trim": "trim",
            "toString": "string",
        }
        if name in simple and not inner:
            return f"({recv} | {simple[name]})"
        if name == "includes" and inner:
            return f"({inner} in {recv})"
        if name == "join":
            return f"({recv} | join({inner or repr(',')}))"
        if name == "replace" and inner.count(",") >= 1 and not inner.startswith("r/"):
            return f"({recv} | replace({inner}, 1))"
        if name in ("startsWith", "endsWith"):
            return f"{recv}.{name.lower()}({inner})"
        if name in (
            "split",
            "upper",
            "lower",
            "strip",
            "startswith",
            "endswith",
            "items",
            "keys",
            "values",
            "get",
        ):
            return f"{recv}.{name}({inner})"
        raise _Untranslatable(
            f"the JavaScript method `.{name}()` in a template",
            "compute the value in the case's vars, or use a Jinja filter",
        )

    def primary(self) -> tuple[str, str | None]:
        tok = self.tok
        self.i += 1
        if tok.kind == "str":
            return tok.value, None
        if tok.kind == "num":
            return tok.value, None
        if tok.kind == "regex":
            raise _Untranslatable(
                "a Nunjucks regular expression literal (r/.../)",
                "compute the value in the case's vars instead",
            )
        if tok.kind == "name":
            if tok.value in ("null", "undefined", "none", "None"):
                return "none", None
            if tok.value in ("true", "True"):
                return "true", None
            if tok.value in ("false", "False"):
                return "false", None
            if tok.value == "env":
                raise _Untranslatable(
                    "the promptfoo `env` global (environment variables in a prompt)",
                    "pass the value as a suite var instead (evalkit never reads the environment into prompts)",
                )
            return tok.value, tok.value
        if tok.value == "(":
            inner = self.expression()
            self.expect(")")
            return f"({inner})", None
        if tok.value == "[":
            items: list[str] = []
            while not self.at("]"):
                items.append(self.expression())
                if not self.eat(","):
                    break
            self.expect("]")
            return "[" + ", ".join(items) + "]", None
        if tok.value == "{":
            pairs: list[str] = []
            while not self.at("}"):
                key = self.tok
                self.i += 1
                key_text = key.value if key.kind == "str" else repr(key.value)
                self.expect(":")
                pairs.append(f"{key_text}: {self.expression()}")
                if not self.eat(","):
                    break
            self.expect("}")
            return "{" + ", ".join(pairs) + "}", None
        raise _Untranslatable(
            f"unexpected {tok.value or 'end'!r} in a template expression",
            "rewrite this tag in Jinja syntax",
        )


# -- tags and text --------------------------------------------------------------------

_TAG = re.compile(r"(\{\{-?|\{%-?|\{#)(.*?)(-?\}\}|-?%\}|#\})", re.DOTALL)
_BLOCK_TAGS_SAME = {
    "else",
    "endif",
    "endfor",
    "endset",
    "endmacro",
    "endcall",
    "endfilter",
    "endraw",
}
_FILE_TAGS = {"include", "import", "from", "extends", "block", "endblock"}


class _Translator:
    def __init__(self, custom_filters: frozenset[str], loaded_names: dict[str, str]):
        self.custom_filters = custom_filters
        self.loaded = loaded_names
        self.changed: list[str] = []

    def load_var(self, name: str) -> str:
        """The variable that will hold ``JSON.parse(name)`` (filled in by the importer)."""
        if name not in self.loaded:
            self.loaded[name] = f"{name}_parsed"
        return self.loaded[name]

    def expr(self, source: str) -> str:
        reader = _Expr(source, self)
        text = reader.expression()
        if not reader.done():
            raise _Untranslatable(
                f"unexpected {reader.tok.value!r} in a template expression",
                "rewrite this tag in Jinja syntax",
            )
        return text

    def statement(self, body: str) -> str:
        word, _, rest = body.strip().partition(" ")
        rest = rest.strip()
        if word in ("if", "elif", "elseif"):
            return f"{'elif' if word != 'if' else 'if'} {self.expr(rest)}"
        if word in _BLOCK_TAGS_SAME:
            return word
        if word == "for":
            match = re.match(r"(.+?)\s+in\s+(.+)$", rest, re.DOTALL)
            if not match:
                raise _Untranslatable("a `for` tag without `in`", "rewrite the loop in Jinja")
            targets = [t.strip() for t in match.group(1).split(",")]
            iterable = self.expr(match.group(2))
            if len(targets) == 2:
                return f"for {targets[0]}, {targets[1]} in ({iterable}).items()"
            return f"for {', '.join(targets)} in {iterable}"
        if word == "set":
            name, eq, value = rest.partition("=")
            if not eq:
                return f"set {name.strip()}"
            return f"set {name.strip()} = {self.expr(value)}"
        if word in ("raw", "verbatim"):
            return "raw"
        if word in ("endverbatim",):
            return "endraw"
        if word in ("macro", "call", "filter", "message", "endmessage"):
            return body.strip()  # message blocks: evalkit's own (chat prompts become them)
        if word in _FILE_TAGS:
            raise _Untranslatable(
                f"the `{word}` tag (another template file)",
                "inline the other template's text into this prompt",
            )
        raise _Untranslatable(f"the Nunjucks tag `{word}`", "rewrite it with Jinja's if/for/set")


def translate(
    source: str,
    custom_filters: frozenset[str] = frozenset(),
    loaded: dict[str, str] | None = None,
) -> Translation:
    """Translate one template. ``loaded`` maps variables already given a parsed twin (shared
    across the prompts of one import, so every template uses the same names)."""
    names = loaded if loaded is not None else {}
    translator = _Translator(custom_filters, names)
    out: list[str] = []
    problems: list[Problem] = []
    pos = 0
    in_raw = False
    notes: list[Problem] = []
    for match in _TAG.finditer(source):
        out.append(source[pos : match.start()])
        pos = match.end()
        opener, body, closer = match.groups()
        line = source.count("\n", 0, match.start()) + 1
        translator.changed = []
        if in_raw:
            if opener.startswith("{%") and body.strip() in ("endraw", "endverbatim"):
                in_raw = False
                out.append(f"{opener} endraw {closer}")
            else:
                out.append(match.group())
            continue
        if opener == "{#":
            out.append(match.group())
            continue
        try:
            if opener.startswith("{{"):
                out.append(f"{opener} {translator.expr(body)} {closer}")
            else:
                statement = translator.statement(body)
                if statement == "raw":
                    in_raw = True
                out.append(f"{opener} {statement} {closer}")
        except _Untranslatable as exc:
            problems.append(Problem(line, exc.what, exc.fix))
            out.append(left_out_comment(match.group()))
        notes += [Problem(line, text, "") for text in translator.changed]
    out.append(source[pos:])
    text = "".join(out)
    result = Translation(text=text, problems=problems, notes=notes, loaded=dict(names))
    try:
        env = jinja2.Environment(extensions=[MessageExtension])
        result.variables = set(meta.find_undeclared_variables(env.parse(text)))
    except jinja2.TemplateSyntaxError as exc:
        result.problems.append(
            Problem(
                exc.lineno or 1,
                f"template syntax Jinja rejects ({exc.message})",
                "rewrite the template in Jinja syntax",
            )
        )
    return result


def left_out_comment(original: str) -> str:
    """An untranslatable tag, kept visible as a Jinja comment (it renders as nothing)."""
    body = original.replace("#}", "# }").replace("{#", "{ #")
    return "{# left out by evalkit import (see the import report): " + body + " #}"


def escape_text(text: str) -> str:
    """Literal text (not a template) made safe to put in a Jinja template."""
    if not any(mark in text for mark in ("{{", "{%", "{#")):
        return text
    if "endraw" not in text:
        return "{% raw %}" + text + "{% endraw %}"
    return re.sub(r"(\{[{%#])", lambda m: "{{ '" + m.group(1) + "' }}", text)
