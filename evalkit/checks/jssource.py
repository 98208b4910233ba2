"""The source of a ``javascript`` check, read before anything runs: promptfoo's wrapping
rules, and what the sandbox refuses at load time.

promptfoo (``src/assertions/javascript.ts``) turns an assertion's ``value`` into the body of
``new Function('output', 'context', body)``; :func:`function_body` applies the same rules:

- trailing whitespace is dropped;
- a value with a newline in it is a function body as written (it must ``return``);
- a one-line value is an expression, ``return <value>`` — unless it starts with
  ``const``/``let``/``var``: then its trailing semicolons are dropped and ``return`` goes
  after the last top-level ``;`` (depth counted over ``()``, ``[]``, ``{}`` and ``${}``,
  tokens as the grammar sees them, so a ``;`` in a string or a regex does not count).

Refused when the suite loads (:class:`~evalkit.checks.ArgumentError`, naming the problem),
because they could only fail in the sandbox or would mean something else there:

- what the sandbox does not have: ``require``/``import`` (modules), ``process``, ``fetch``
  and the other network objects, timers, Node's ``Buffer`` and ``module``;
- ``await`` outside an ``async`` function (promptfoo's function is not ``async``: there it is
  a syntax error too);
- ``{{ name }}`` templates: promptfoo renders them into the code before it runs, evalkit
  hands variables over as data only (``context.vars.name``);
- a body that closes the function it is put in (``}); more(); (function () {``), which a
  JavaScript engine that concatenates the source would otherwise run outside the check.

The grammar is tree-sitter's JavaScript grammar; syntax errors themselves are the engine's
to report (:func:`evalkit.checks.jsengine.syntax_error`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter
import tree_sitter_javascript

from . import ArgumentError

MAX_SOURCE_CHARS = 100_000  # a check is a few lines; this bounds what a suite can hand us

HEAD = "(function (output, context) {\n"  # the function promptfoo builds, as a literal
TAIL = "\n})"

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
_PARSER_LOCK = threading.Lock()  # a tree-sitter parser is not to be shared between threads

# Globals the sandbox does not have, and why (checked where the source names them).
_UNAVAILABLE = {
    "require": "modules cannot be loaded",
    "module": "modules cannot be loaded",
    "exports": "modules cannot be loaded",
    "__dirname": "there is no file system",
    "__filename": "there is no file system",
    "process": "there is no process object (no environment, no exit)",
    "Buffer": "Node's Buffer is not there (use strings, TextEncoder is not there either)",
    "fetch": "there is no network",
    "XMLHttpRequest": "there is no network",
    "WebSocket": "there is no network",
    "EventSource": "there is no network",
    "setTimeout": "there are no timers (a check returns its result without waiting)",
    "setInterval": "there are no timers (a check returns its result without waiting)",
    "setImmediate": "there are no timers (a check returns its result without waiting)",
}
_ATOMS = {"string", "regex", "number", "comment", "html_comment"}  # one token each
_OPEN = {"(", "[", "{", "${"}
_CLOSE = {")", "]", "}"}
_FUNCTIONS = {
    "function_expression",
    "function_declaration",
    "arrow_function",
    "method_definition",
    "generator_function",
    "generator_function_declaration",
}
_TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}|\{%.*?%\}", re.DOTALL)
_DECLARATION = re.compile(r"^(const|let|var)\s")


@dataclass(frozen=True)
class Token:
    type: str
    start: int  # a character offset into the source
    text: str


def _parse(source: str) -> tuple[tree_sitter.Tree, bytes]:
    data = source.encode("utf-8", "surrogatepass")
    with _PARSER_LOCK:
        return _PARSER.parse(data), data


def tokens(source: str) -> list[Token]:
    """The source's tokens in order, as a JavaScript parser sees them: strings, regular
    expressions and numbers are one token each, comments none (as acorn reports them)."""
    tree, data = _parse(source)
    out: list[Token] = []
    at = [0, 0]  # the last token's start: in bytes, in characters (tokens come in order)

    def walk(node: tree_sitter.Node) -> None:
        if node.type in ("comment", "html_comment"):
            return
        if node.child_count == 0 or node.type in _ATOMS:
            if node.end_byte > node.start_byte:  # an automatic semicolon has no width
                at[1] += len(data[at[0] : node.start_byte].decode("utf-8", "surrogatepass"))
                at[0] = node.start_byte
                text = data[node.start_byte : node.end_byte].decode("utf-8", "surrogatepass")
                out.append(Token(node.type, at[1], text))
            return
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    return out


def last_statement_semicolon(code: str) -> int:
    """The offset of the last top-level ``;`` followed by another token, or -1 (promptfoo's
    rule: only a ``;`` outside every bracket counts, and only once something follows it)."""
    depth = 0
    pending = last = -1
    for token in tokens(code):
        if token.type == ";" and depth == 0:
            pending = token.start
            continue
        last = pending
        if token.type in _OPEN:
            depth += 1
        elif token.type in _CLOSE:
            depth -= 1
    return last


def function_body(value: str) -> str:
    """The body of the function promptfoo builds from ``value`` (rules in the docstring)."""
    value = value.rstrip()
    if "\n" in value:
        return value
    trimmed = re.sub(r";+\s*$", "", value.strip())
    if _DECLARATION.match(trimmed):
        semicolon = last_statement_semicolon(trimmed)
        if semicolon != -1 and trimmed[semicolon + 1 :].strip():
            return f"{trimmed[: semicolon + 1]} return {trimmed[semicolon + 1 :].strip()}"
        return trimmed  # no final expression: it returns undefined, as in promptfoo
    return f"return {trimmed}"


def wrap(body: str) -> str:
    """The function as source text: ``(function (output, context) {<body>})``."""
    return f"{HEAD}{body}{TAIL}"


@dataclass(frozen=True)
class Source:
    """A checked ``value``: the body to run and the text to quote in messages."""

    value: str
    body: str

    @property
    def multiline(self) -> bool:
        return "\n" in self.value.rstrip()


@lru_cache(maxsize=512)
def prepare(value: str) -> Source:
    """Check ``value`` and build its body; :class:`ArgumentError` (key ``value``) names
    what the sandbox refuses. Syntax errors are left to the engine."""
    if len(value) > MAX_SOURCE_CHARS:
        raise ArgumentError(
            f"javascript: the code is {len(value):,} characters; at most {MAX_SOURCE_CHARS:,}",
            key="value",
        )
    if not value.strip():
        raise ArgumentError("javascript: the code is empty", key="value")
    template = _TEMPLATE.search(value)
    if template:
        name = template.group(1) or ""
        use = (
            f"context.vars.{name}"
            if re.fullmatch(r"[A-Za-z_$][\w$]*", name)
            else "context.vars.NAME"
        )
        raise ArgumentError(
            f"javascript: {template.group(0)!r} is a template: promptfoo renders it into the "
            f"code before it runs, evalkit hands variables over as data only; use {use} "
            "(write '{' + '{' for literal braces)",
            key="value",
        )
    body = function_body(value)
    tree, data = _parse(wrap(body))
    for problem in _refusals(tree.root_node):
        raise ArgumentError(f"javascript: {problem}", key="value")
    top = [c for c in tree.root_node.named_children if c.type not in ("comment", "html_comment")]
    if len(top) != 1 or top[0].start_byte != 0 or top[0].end_byte != len(data):
        raise ArgumentError(
            "javascript: the code closes the function it runs in (an unbalanced `}`); "
            "a check is the body of one function",
            key="value",
        )
    return Source(value=value, body=body)


def _refusals(root: tree_sitter.Node) -> Iterator[str]:
    declared = set(_declared(root))
    for node in _nodes(root):
        if node.type in ("identifier", "shorthand_property_identifier"):
            name = _text(node)
            if name in _UNAVAILABLE and name not in declared:
                yield (
                    f"`{name}` is not available in the sandbox: {_UNAVAILABLE[name]}; "
                    "a check has JavaScript's built-ins, output and context only"
                )
        elif node.type == "import" or node.type == "import_statement":
            yield "`import` is not available in the sandbox: modules cannot be loaded"
        elif node.type == "await_expression" and not _in_async_function(node):
            yield (
                "`await` outside an async function: promptfoo's check is a plain function "
                "(there it is a syntax error too); return a Promise instead, e.g. "
                "`return (async () => { ... })()`"
            )


def _nodes(root: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def _declared(root: tree_sitter.Node) -> Iterator[str]:
    """Names the code declares itself (a local ``fetch`` is the user's own)."""
    for node in _nodes(root):
        if node.type in ("variable_declarator", "function_declaration", "class_declaration"):
            name = node.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                yield _text(name)
        elif node.type == "formal_parameters":
            for child in node.named_children:
                if child.type == "identifier":
                    yield _text(child)


def _in_async_function(node: tree_sitter.Node) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in _FUNCTIONS:
            return any(child.type == "async" for child in parent.children)
        parent = parent.parent
    return False


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "surrogatepass")
