"""One Nunjucks expression (the inside of ``{{ }}`` or of a tag) → its Jinja text.

The two languages share most expression syntax; a recursive-descent reader rewrites what
differs as it reads: JavaScript operators (``===``, ``&&``, ``!``), the JavaScript methods
and properties a promptfoo template calls on its values (``x.length``, ``x.toUpperCase()``,
``x.includes(y)``, ``x.split(',')``), filters (``dump`` → ``tojson``; the ones Jinja lacks
are refused), tests (``is null`` → ``is none``), ``null``/``undefined``. promptfoo's ``load``
filter (JSON.parse) becomes a variable the importer fills with the parsed value. What has
no Jinja equivalent raises :class:`Untranslatable` with what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from ...errors import Untranslatable

# Filters both engines have with the same meaning (Nunjucks builtins ∩ Jinja builtins).
_SAME_FILTERS_WORDS = (
    "abs batch capitalize center d default dictsort e escape first float forceescape "
    "groupby indent int join last length list lower random reject rejectattr replace "
    "reverse round safe select selectattr slice sort string striptags sum title trim "
    "truncate upper urlencode urlize wordcount"
)
SAME_FILTERS = frozenset(_SAME_FILTERS_WORDS.split())
RENAMED_FILTERS = {"dump": "tojson"}
# Nunjucks filters (builtin or promptfoo's own) with no Jinja equivalent.
NO_EQUIVALENT = {
    "nl2br": "Nunjucks' nl2br has no Jinja filter; replace it with `| replace('\\n', '<br />\\n')`",
    "load": "promptfoo's load (JSON.parse) only applies to a variable; parse the value in the case data",
}
_SAME_TESTS_WORDS = (
    "callable defined divisibleby equalto escaped even ge gt iterable le lower lt "
    "mapping ne number odd sameas string undefined upper"
)
SAME_TESTS = frozenset(_SAME_TESTS_WORDS.split())
RENAMED_TESTS = {"null": "none"}


class Owner(Protocol):
    """What an expression reports back to the template it sits in."""

    custom_filters: frozenset[str]
    changed: list[str]

    def load_var(self, name: str) -> str: ...


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
            raise Untranslatable(
                f"unexpected character {source[pos]!r} in a template tag",
                "rewrite this tag in Jinja syntax",
            )
        pos = match.end()
        kind = match.lastgroup or ""
        if kind != "ws":
            out.append(_Tok(kind, match.group()))
    out.append(_Tok("eof", ""))
    return out


class ExpressionReader:
    """A recursive-descent reader of one Nunjucks expression, writing Jinja as it goes."""

    def __init__(self, source: str, owner: Owner):
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
            raise Untranslatable(
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
                raise Untranslatable("an `is` test without a name", "rewrite the test in Jinja")
            name = self.tok.value
            self.i += 1
            if name in RENAMED_TESTS:
                name = RENAMED_TESTS[name]
            elif name not in SAME_TESTS:
                raise Untranslatable(
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
                raise Untranslatable("a filter without a name", "rewrite the filter in Jinja")
            name = self.tok.value
            self.i += 1
            args = self.call_args() if self.at("(") else ""
            if name == "load":
                if plain_var is None:
                    raise Untranslatable(
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
                raise Untranslatable(f"the filter `{name}`", NO_EQUIVALENT[name])
            elif name in self.owner.custom_filters:
                raise Untranslatable(
                    f"the custom Nunjucks filter `{name}` (nunjucksFilters)",
                    "compute the value in the case's vars instead",
                )
            else:
                raise Untranslatable(
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
                    raise Untranslatable("'.' without a property name", "rewrite in Jinja")
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
        if name == "split" and inner:  # without a separator Python splits on spaces
            return f"{recv}.split({inner})"
        raise Untranslatable(
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
            raise Untranslatable(
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
                raise Untranslatable(
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
        raise Untranslatable(
            f"unexpected {tok.value or 'end'!r} in a template expression",
            "rewrite this tag in Jinja syntax",
        )
