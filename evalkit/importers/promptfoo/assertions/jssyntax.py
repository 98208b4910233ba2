"""Reading JavaScript as tree-sitter's grammar parses it: the function body promptfoo
builds from a one-line value, and the literals whose value is certain.

Only what the importer's pattern matching needs: the one expression a value returns, the
parts of calls and members, and literals — strings with plain escapes only (no surrogates),
``null``, and finite decimal numbers. Nothing here runs code.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import tree_sitter
import tree_sitter_javascript

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_javascript.language()))
_PARSER_LOCK = threading.Lock()  # a tree-sitter parser is not shared between threads
_DECLARATION = re.compile(r"^(const|let|var)\s")
_NUMBER = re.compile(r"^(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v"}

Node = tree_sitter.Node


def parse(source: str) -> tuple[Node, bytes]:
    data = source.encode("utf-8", "surrogatepass")
    with _PARSER_LOCK:
        tree = _PARSER.parse(data)
    return tree.root_node, data


def text(node: Node | None) -> str:
    """The source text of ``node`` ("" for none)."""
    if node is None:
        return ""
    return (node.text or b"").decode("utf-8", "surrogatepass")


def returned(value: str) -> Node | None:
    """The one expression the function promptfoo builds from ``value`` returns, when the
    whole function is that: a one-line expression (promptfoo puts ``return`` before it), or
    a body that is a single ``return``. None otherwise (declarations, several statements,
    syntax errors)."""
    code = value.rstrip()
    one_line = "\n" not in code
    if one_line:
        code = re.sub(r";+\s*$", "", code.strip())
        if _DECLARATION.match(code):
            return None
    root, _ = parse(code)
    if root.has_error:
        return None
    statements = [c for c in root.named_children if c.type not in ("comment", "html_comment")]
    if len(statements) != 1:
        return None
    (statement,) = statements
    if one_line and statement.type == "expression_statement":
        inner = [c for c in statement.named_children if c.type != "comment"]
        return inner[0] if len(inner) == 1 else None
    if not one_line and statement.type == "return_statement":
        inner = [c for c in statement.named_children if c.type != "comment"]
        return inner[0] if len(inner) == 1 else None
    return None


def unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and len(node.named_children) == 1:
        node = node.named_children[0]
    return node


def is_(node: Node | None, kind: str | None, value: str | None = None) -> bool:
    """``node`` is of type ``kind`` (any, for None) and, when given, has the text ``value``."""
    if node is None or (kind is not None and node.type != kind):
        return False
    return value is None or text(node) == value


def field(node: Node, name: str) -> Node | None:
    return node.child_by_field_name(name)


def args_of(call: Node) -> list[Node]:
    arguments = field(call, "arguments")
    if arguments is None or arguments.type != "arguments":
        return []
    return [c for c in arguments.named_children if c.type != "comment"]


def method(node: Node, name: str) -> tuple[Node, list[Node]] | None:
    """``receiver.name(args)`` (no ``?.``) → (receiver, args)."""
    node = unwrap(node)
    if node.type != "call_expression":
        return None
    callee = field(node, "function")
    if callee is None or callee.type != "member_expression" or field(callee, "optional_chain"):
        return None
    receiver, prop = field(callee, "object"), field(callee, "property")
    if receiver is None or not is_(prop, "property_identifier", name):
        return None
    return receiver, args_of(node)


def string_value(node: Node) -> str | None:
    """The value of a plain string literal, or None (escapes beyond the simple ones,
    surrogates, or not a string at all)."""
    node = unwrap(node)
    if node.type != "string":
        return None
    out: list[str] = []
    for child in node.named_children:
        piece = text(child)
        if child.type == "string_fragment":
            out.append(piece)
        elif child.type == "escape_sequence":
            decoded = _escape(piece)
            if decoded is None:
                return None
            out.append(decoded)
        else:
            return None
    value = "".join(out)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        return None
    return value


def _escape(piece: str) -> str | None:
    body = piece[1:]
    if len(body) == 1 and body in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[body]
    if body == "0":
        return "\0"
    if re.fullmatch(r"x[0-9A-Fa-f]{2}", body) or re.fullmatch(r"u[0-9A-Fa-f]{4}", body):
        return chr(int(body[1:], 16))
    if len(body) == 1 and body not in "0123456789xu\n\r\u2028\u2029":
        return body  # an identity escape: \' \" \\ \/ ...
    return None


def literal(node: Node) -> tuple[bool, Any]:
    """(True, value) for a string literal, ``null`` or a finite decimal number."""
    node = unwrap(node)
    value = string_value(node)
    if value is not None:
        return True, value
    if node.type == "null":
        return True, None
    sign = 1
    if node.type == "unary_expression" and is_(field(node, "operator"), "-"):
        sign, node = -1, unwrap(field(node, "argument") or node)
    if node.type == "number" and _NUMBER.match(text(node)):
        number = sign * float(text(node))
        if math.isfinite(number):
            return True, int(number) if number.is_integer() else number
    return False, None
