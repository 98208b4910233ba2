"""promptfoo prompt templates (Nunjucks) → evalkit templates (Jinja2): the prompt the user
owns from then on.

The two languages share most syntax; what differs is rewritten from a parse of each tag
rather than by search-and-replace: tags here (``elseif``, ``for k, v in object``,
``verbatim``, message blocks), expressions in :mod:`.nunjucks_expr` (operators, methods,
filters, tests). Whatever cannot be carried (includes, custom filters, ``env``, filters
Jinja lacks) is returned as a :class:`Problem` with its line, and the tag stays visible as
a Jinja comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jinja2
from jinja2 import meta

from ...prompts import MessageExtension
from .nunjucks_expr import ExpressionReader, Untranslatable


# Filters both engines have with the same meaning (Nunjucks builtins ∩ Jinja builtins).
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
        reader = ExpressionReader(source, self)
        text = reader.expression()
        if not reader.done():
            raise Untranslatable(
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
                raise Untranslatable("a `for` tag without `in`", "rewrite the loop in Jinja")
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
            raise Untranslatable(
                f"the `{word}` tag (another template file)",
                "inline the other template's text into this prompt",
            )
        raise Untranslatable(f"the Nunjucks tag `{word}`", "rewrite it with Jinja's if/for/set")


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
        except Untranslatable as exc:
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
