"""``{{ var }}`` templates inside promptfoo JavaScript → ``context.vars.var``.

promptfoo renders an assertion's code with Nunjucks before it runs it, so ``{{ name }}``
pastes the variable's text into the code. evalkit's ``javascript`` check refuses templates
(variables reach the code as data, ``context.vars``), so the importer rewrites each one
where the result is certain to mean what the rendered code meant, for the case at hand:

- inside a string literal, ``'{{ name }}'`` → ``context.vars.name`` (``String(...)`` for a
  number or a boolean), and ``'Dear {{ name }}!'`` → ``('Dear ' + context.vars.name +
  '!')``, when the value holds neither the literal's quote, a backslash nor a line break
  (which would have changed or broken the rendered code);
- inside a template literal, ``${context.vars.name}``, under the same condition (with the
  backtick and ``${`` for the quote);
- where an expression goes (``output.length <= {{ max }}``), ``context.vars.name`` when the
  value is a number or a boolean: its text is the same literal again. A string there would
  become code, which is not data;
- inside a comment, anything without a line break (it stays a comment).

Anything else is a :class:`TemplateLeftOut` with the reason: a filter or an expression
(``{{ name | upper }}``), a tag (``{% if %}``), a variable the case does not set (promptfoo
renders it empty), a template inside a regular expression or an identifier.

:func:`carry` also returns the code as promptfoo renders it for the case when every
template sits in a string literal with a plain text value, so the importer can still see
``output.includes('{{ city }}')`` as the literal ``output.includes('Paris')``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ....errors import TemplateLeftOut
from .jssyntax import Node, parse

HEAD = "(function (output, context) {\n"  # as evalkit's check wraps a body
_TAG = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NOT_AN_EXPRESSION = {
    ("variable_declarator", "name"),
    ("assignment_expression", "left"),
    ("augmented_assignment_expression", "left"),
    ("for_in_statement", "left"),
    ("update_expression", "argument"),
    ("function_declaration", "name"),
    ("function_expression", "name"),
    ("class_declaration", "name"),
    ("catch_clause", "parameter"),
    ("arrow_function", "parameter"),
    ("call_expression", "function"),
    ("new_expression", "constructor"),
    ("member_expression", "object"),  # `5.toFixed()` does not parse; `(5).toFixed()` would
    ("subscript_expression", "object"),
    ("formal_parameters", None),
}


@dataclass(frozen=True)
class Carried:
    code: str  # for the javascript check: templates as context.vars
    rendered: str | None  # as promptfoo renders it for this case (None: not plain data)


def has_templates(code: str) -> bool:
    return any(mark in code for mark in ("{{", "{%", "{#"))


def carry(code: str, variables: dict[str, Any]) -> Carried:
    """``code`` with its templates rewritten for a case with ``variables``; raises
    :class:`TemplateLeftOut` when one cannot be."""
    if not has_templates(code):
        return Carried(code, code)
    names: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in _TAG.finditer(code):
        tag = match.group(0)
        if not tag.startswith("{{"):
            raise TemplateLeftOut(f"the Nunjucks tag `{_short(tag)}` in the code")
        trim_left, expression, trim_right = match.groups()
        if trim_left or trim_right:
            raise TemplateLeftOut(f"the whitespace-trimming template `{_short(tag)}`")
        if not _NAME.fullmatch(expression or ""):
            raise TemplateLeftOut(
                f"the template `{_short(tag)}` (a filter or an expression, not a variable)",
                "compute the value into the case's vars and read it as context.vars.NAME",
            )
        if expression not in variables:
            raise TemplateLeftOut(
                f"the template `{tag}`: the case has no variable `{expression}` "
                "(promptfoo renders it as nothing)",
                "give the case the variable, or drop the template",
            )
        pieces += [code[last : match.start()], _placeholder(len(names))]
        names.append(expression)
        last = match.end()
    pieces.append(code[last:])
    marked = "".join(pieces)
    if has_templates(marked):
        raise TemplateLeftOut("an unclosed `{{` in the code", "close it or drop it")
    return _Rewriter(marked, names, variables).run()


def _placeholder(index: int) -> str:
    return f"__evalkit_template_{index}__"


def _short(tag: str) -> str:
    flat = " ".join(tag.split())
    return flat if len(flat) <= 60 else flat[:59] + "…"


class _Rewriter:
    """Replaces each placeholder by what its position and the case's value allow."""

    def __init__(self, marked: str, names: list[str], variables: dict[str, Any]):
        self.names = names
        self.variables = variables
        root, data = parse(HEAD + marked + "\n})")
        self.root = root
        self.data = data
        self.offset = len(HEAD.encode())
        self.code: list[tuple[int, int, str]] = []  # (start, end, text) in bytes
        self.rendered: list[tuple[int, int, str]] | None = []

    def run(self) -> Carried:
        if self.root.has_error:
            raise TemplateLeftOut(
                "a template where JavaScript expects code (the code does not parse around it)"
            )
        done: set[int] = set()
        for node in _walk(self.root):
            indexes = self.placeholders(node)
            if not indexes or done >= indexes:
                continue
            if node.type == "identifier":
                self.expression(node, indexes)
            elif node.type == "string":
                self.string(node)
            elif node.type in ("string_fragment", "comment") and node.parent is not None:
                self.fragment(node)
            else:
                continue
            done |= indexes
        if done != set(range(len(self.names))):
            raise TemplateLeftOut(
                "a template inside a regular expression, a name or a number",
                "build the value from context.vars in the code",
            )
        code = self.apply(self.code)
        rendered = None if self.rendered is None else self.apply(self.rendered)
        return Carried(code, rendered)

    def placeholders(self, node: Node) -> set[int]:
        found = re.findall(r"__evalkit_template_(\d+)__", _text(node))
        return {int(i) for i in found}

    def value(self, index: int) -> Any:
        return self.variables[self.names[index]]

    def vars_ref(self, index: int) -> str:
        return f"context.vars.{self.names[index]}"

    def expression(self, node: Node, indexes: set[int]) -> None:
        index = min(indexes)
        shown = f"`{{{{ {self.names[index]} }}}}`"
        if len(indexes) != 1 or _text(node) != _placeholder(index):
            raise TemplateLeftOut(f"the template {shown} as part of a name in the code")
        if (node.parent is not None and _role(node) in _NOT_AN_EXPRESSION) or node.parent is None:
            raise TemplateLeftOut(f"the template {shown} where the code names or calls something")
        value = self.value(index)
        if not _is_number_or_bool(value) or (not isinstance(value, bool) and value < 0):
            raise TemplateLeftOut(
                f"{shown} where JavaScript expects code: promptfoo pastes the value "
                f"({type(value).__name__}) in as code, which only a number ≥ 0 or a boolean "
                "reads back as itself",
            )
        self.code.append((node.start_byte, node.end_byte, self.vars_ref(index)))
        self.rendered = None

    def string(self, node: Node) -> None:
        raw = _text(node)
        quote = raw[0]
        parts = re.split(r"(__evalkit_template_\d+__)", raw[1:-1])
        terms: list[str] = []
        rendered: list[str] = []
        for part in parts:
            found = re.fullmatch(r"__evalkit_template_(\d+)__", part)
            if found is None:
                if part:
                    if (len(part) - len(part.rstrip("\\"))) % 2:
                        raise TemplateLeftOut("a template right after a backslash")
                    terms.append(quote + part + quote)
                rendered.append(part)
                continue
            index = int(found.group(1))
            value = self.value(index)
            self.plain_text(index, value, forbidden=(quote, "\\"))
            terms.append(
                self.vars_ref(index)
                if isinstance(value, str)
                else f"String({self.vars_ref(index)})"
            )
            rendered.append(value if isinstance(value, str) else "")
            if not isinstance(value, str):
                self.rendered = None
        text = terms[0] if len(terms) == 1 else "(" + " + ".join(terms) + ")"
        self.code.append((node.start_byte, node.end_byte, text))
        if self.rendered is not None:
            self.rendered.append(
                (node.start_byte, node.end_byte, quote + "".join(rendered) + quote)
            )

    def fragment(self, node: Node) -> None:
        """A template literal's text or a comment: each placeholder in place."""
        in_comment = node.type == "comment"
        start = node.start_byte
        raw = self.data[start : node.end_byte]
        for found in re.finditer(rb"__evalkit_template_(\d+)__", raw):
            index = int(found.group(1))
            value = self.value(index)
            if in_comment:
                self.plain_text(index, value, forbidden=("*/",))
                text = self.vars_ref(index)
            else:
                self.plain_text(index, value, forbidden=("`", "\\", "${"))
                text = "${" + self.vars_ref(index) + "}"
                self.rendered = None
            self.code.append((start + found.start(), start + found.end(), text))
            if self.rendered is not None:
                self.rendered.append((start + found.start(), start + found.end(), ""))

    def plain_text(self, index: int, value: Any, forbidden: tuple[str, ...]) -> None:
        name = self.names[index]
        if not (isinstance(value, str) or _is_number_or_bool(value)):
            raise TemplateLeftOut(
                f"`{{{{ {name} }}}}` with a {type(value).__name__} value (promptfoo pastes its "
                "text form into the code)",
            )
        shown = value if isinstance(value, str) else json.dumps(value)
        breaks = ("\n", "\r", "\u2028", "\u2029")
        if any(mark in shown for mark in (*forbidden, *breaks)):
            raise TemplateLeftOut(
                f"`{{{{ {name} }}}}`: its value holds a quote, a backslash or a line break, "
                "which changes the code promptfoo renders",
            )

    def apply(self, edits: list[tuple[int, int, str]]) -> str:
        out = self.data
        for start, end, text in sorted(edits, reverse=True):
            out = out[:start] + text.encode("utf-8", "surrogatepass") + out[end:]
        body = out[self.offset : len(out) - len(b"\n})")]
        return body.decode("utf-8", "surrogatepass")


def _role(node: Node) -> tuple[str, str | None]:
    """(the parent's type, the field ``node`` fills in it)."""
    parent = node.parent
    assert parent is not None
    for i, child in enumerate(parent.children):
        if child.id == node.id:
            return parent.type, parent.field_name_for_child(i)
    return parent.type, None


def _is_number_or_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    return isinstance(value, (int, float)) and math.isfinite(value)


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "surrogatepass")


def _walk(root: Node) -> list[Node]:
    """Every node, outermost first (a string before its fragments)."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out
