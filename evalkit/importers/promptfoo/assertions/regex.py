"""A JavaScript regular expression as a Python one, for the subset both engines read the same.

promptfoo's ``regex`` assertion is ``new RegExp(value).test(output)``, and ``/re/.test(output)``
is common in ``javascript`` assertions. Python's ``re`` reads much of that syntax the same
and some of it differently: ``\\d``, ``\\w`` and ``\\b`` are Unicode-aware in Python and
ASCII in JavaScript; ``\\s`` is a different set of spaces; ``$`` also matches before a final
newline in Python; ``.`` excludes only ``\\n`` in Python but also ``\\r``, U+2028 and U+2029
in JavaScript, and JavaScript matches UTF-16 code units, so ``.`` or ``[^a]`` can match half
an emoji. :func:`to_python` therefore accepts only what it can write with the same meaning:

- literal characters of the Basic Multilingual Plane and escaped punctuation; ``\\n``,
  ``\\t``, ``\\r``, ``\\f``, ``\\v``, ``\\0``, ``\\xHH``, ``\\uHHHH``;
- ``\\d``, ``\\w``, ``\\b``, ``\\B`` (in Python's ASCII mode, ``(?a)``), ``\\s`` (written
  out as JavaScript's set of spaces), inside classes too;
- classes that are not negated, of such characters and ranges;
- groups (capturing, ``(?:``, named: captures do not change whether a text matches),
  alternation, the quantifiers ``* + ? {n} {n,} {n,m}`` (greedy or lazy), ``^`` and ``$``
  (written ``\\Z``);
- ``.`` only as ``.*`` or ``.+`` (written as a class without JavaScript's line ends): a run
  of characters is a run of code units, so a match in one engine is a match in the other.

Anything else (lookarounds, back-references, ``\\p{..}``, negated classes and ``\\D \\W \\S``,
a lone ``.``, flags other than ``g``) returns None, and the assertion stays JavaScript.
"""

from __future__ import annotations

import re

from ....errors import RegexUnsupported

JS_SPACES = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_DOT = "[^\\n\\r\\u2028\\u2029]"
_PUNCTUATION = set("^$\\.*+?()[]{}|/-,:=!<>'\"#&%@~`;")
_SIMPLE = {"n": "\\n", "t": "\\t", "r": "\\r", "f": "\\f", "v": "\\v"}
_ASCII_CLASSES = {"d": "\\d", "w": "\\w"}
_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}")


class _Reader:
    def __init__(self, pattern: str):
        self.src = pattern
        self.i = 0
        self.ascii = False  # whether the output needs Python's ASCII mode

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.src[j] if j < len(self.src) else ""

    def alternation(self, depth: int) -> str:
        parts = [self.sequence(depth)]
        while self.peek() == "|":
            self.i += 1
            parts.append(self.sequence(depth))
        return "|".join(parts)

    def sequence(self, depth: int) -> str:
        out: list[str] = []
        while self.i < len(self.src) and self.peek() not in "|)":
            atom, quantifiable = self.atom(depth)
            if self.peek() in ("*", "+", "?", "{"):
                if not quantifiable:
                    raise RegexUnsupported
                atom += self.quantifier()
            elif atom == _DOT:
                raise RegexUnsupported  # a lone `.` counts code units differently
            out.append(atom)
        if self.peek() == ")" and depth == 0:
            raise RegexUnsupported
        return "".join(out)

    def quantifier(self) -> str:
        char = self.peek()
        if char in "*+?":
            self.i += 1
            text = char
        else:
            match = _QUANTIFIER.match(self.src, self.i)
            if match is None:
                raise RegexUnsupported  # JavaScript reads a stray `{` literally, Python not always
            low, comma, high = match.group(1), match.group(2), match.group(3)
            if comma and high and int(high) < int(low):
                raise RegexUnsupported
            self.i = match.end()
            text = match.group()
        if self.peek() == "?":
            self.i += 1
            text += "?"
        if self.peek() in ("*", "+", "?", "{"):
            raise RegexUnsupported
        return text

    def atom(self, depth: int) -> tuple[str, bool]:
        char = self.peek()
        if char == "(":
            return self.group(depth), True
        if char == "[":
            return self.char_class(), True
        if char == "\\":
            return self.escape(in_class=False)
        self.i += 1
        if char == ".":
            if self.peek() not in ("*", "+"):
                raise RegexUnsupported
            return _DOT, True
        if char == "^":
            return "^", False
        if char == "$":
            return "\\Z", False
        if char in "*+?{}]":
            raise RegexUnsupported
        return _literal(char), True

    def group(self, depth: int) -> str:
        self.i += 1
        if self.peek() == "?":
            named = re.match(r"\?<([A-Za-z_$][\w$]*)>", self.src[self.i :])
            if self.src.startswith("?:", self.i):
                self.i += 2
            elif named:
                self.i += named.end()
            else:
                raise RegexUnsupported  # lookarounds and modifiers
        inner = self.alternation(depth + 1)
        if self.peek() != ")":
            raise RegexUnsupported
        self.i += 1
        return f"(?:{inner})"

    def char_class(self) -> str:
        self.i += 1
        if self.peek() in ("^", "]"):
            raise RegexUnsupported  # negated (matches half an emoji) or empty
        items: list[str] = []
        while self.peek() != "]":
            if not self.peek():
                raise RegexUnsupported
            start = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                end = self.class_atom()
                if len(start) != 1 or len(end) != 1 or ord(start) > ord(end):
                    raise RegexUnsupported
                items.append(f"{_literal(start)}-{_literal(end)}")
            elif len(start) == 1:
                items.append(_literal(start))
            else:
                items.append(start)
        self.i += 1
        return "[" + "".join(items) + "]"

    def class_atom(self) -> str:
        """One character of a class (the character itself), or a class escape (its
        Python text: more than one character)."""
        char = self.peek()
        if char == "\\":
            text, _ = self.escape(in_class=True)
            return text
        if char == "[" or _astral_or_surrogate(char):
            raise RegexUnsupported
        self.i += 1
        return char

    def escape(self, in_class: bool) -> tuple[str, bool]:
        self.i += 1
        char = self.peek()
        self.i += 1
        if char in _ASCII_CLASSES:
            self.ascii = True
            return _ASCII_CLASSES[char], True
        if char == "s":
            return (JS_SPACES if in_class else f"[{JS_SPACES}]"), True
        if char in ("b", "B") and not in_class:
            self.ascii = True
            return f"\\{char}", False
        if char in _SIMPLE:
            return (_SIMPLE[char] if not in_class else _unescape(char)), True
        if char == "0" and not self.peek().isdigit():
            return ("\\x00" if not in_class else "\0"), True
        hexa = re.match(r"x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}", self.src[self.i - 1 :])
        if hexa:
            self.i += hexa.end() - 1
            code = chr(int(hexa.group()[1:], 16))
            if _astral_or_surrogate(code):
                raise RegexUnsupported
            return (code if in_class else _literal(code)), True
        if char in _PUNCTUATION:
            return (char if in_class else _literal(char)), True
        raise RegexUnsupported  # back-references, \p{..}, \D \W \S, \c, identity escapes


def _unescape(char: str) -> str:
    return {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v"}[char]


def _astral_or_surrogate(char: str) -> bool:
    return bool(char) and (ord(char) > 0xFFFF or 0xD800 <= ord(char) <= 0xDFFF)


def _literal(char: str) -> str:
    if _astral_or_surrogate(char):
        raise RegexUnsupported
    return re.escape(char)


def literal(pattern: str) -> str:
    """``pattern`` (a ``new RegExp`` source) as a JavaScript regex literal with the same
    meaning: an unescaped ``/`` and line breaks escaped (so an invalid pattern is a syntax
    error when the check loads, not a failure in every case)."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(_LINE_BREAKS.get(char, char))
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "/":
            out.append("\\/")
        else:
            out.append(_LINE_BREAKS.get(char, char))
    # a trailing backslash now escapes the closing `/`: a syntax error, as RegExp has one
    return "/" + ("".join(out) or "(?:)") + "/"


_LINE_BREAKS = {"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def to_python(pattern: str) -> str | None:
    """``pattern`` (JavaScript, no flags) as a Python pattern with the same matches, or
    None when it uses what the two engines read differently."""
    reader = _Reader(pattern)
    try:
        body = reader.alternation(0)
    except (RegexUnsupported, RecursionError):
        return None
    if reader.i != len(pattern):
        return None
    python = ("(?a)" if reader.ascii else "") + body
    try:
        re.compile(python)
    except re.error:
        return None
    return python
