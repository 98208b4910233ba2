"""JSON from outside evalkit, read with bounds: the one reader of untrusted JSON.

Run folders, batch state, results lines, recordings, case files and imported configs are
all files a pull request can change. Python's ``json`` reads them with no limit: 10,000
nested brackets raise ``RecursionError`` (and break a later recursive walk even when the
parser copes), ``1e400`` becomes ``inf`` (then ``int(inf)`` raises ``OverflowError``),
``NaN`` is accepted, and a 40,000-digit integer raises a bare ``ValueError``. Every reader
of outside JSON calls :func:`loads_bounded` instead, which either returns plain data within
these bounds or raises the caller's error class (a :class:`ConfigError` by default) as
``file:line: what is wrong and how to fix it``:

- at most ``max_depth`` (64) nested arrays and objects;
- at most ``max_bytes`` characters (64 MiB unless the caller says less);
- every number finite (no ``NaN``, ``Infinity`` or ``1e400``) and every integer at most
  ``MAX_INT_DIGITS`` digits long, so a count read from it fits any arithmetic.

The depth is measured after a successful parse (the C parser stops itself at Python's
recursion limit, so a deeper text never reaches the measure), by walking the data with a
list, and only for texts with more brackets than the bound.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import BadJSON, ConfigError
from .files import TooLarge, read_text

MAX_DEPTH = 64
MAX_BYTES = 64 * 1024 * 1024
MAX_INT_DIGITS = 30  # far above any count, id or timestamp; far below Python's 4,300


class _OutOfRange(ValueError):
    def __init__(self, token: str, why: str):
        super().__init__(why)
        self.token = token


def _float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _OutOfRange(token, f"the number {token[:40]}, out of range")
    return value


def _int(token: str) -> int:
    digits = len(token.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _OutOfRange(
            token, f"an integer of {digits:,} digits, out of range (at most {MAX_INT_DIGITS})"
        )
    return int(token)


def _constant(token: str) -> Any:
    raise _OutOfRange(token, f"{token}, not a JSON number (write a finite number)")


def deeper_than(data: Any, limit: int) -> bool:
    """Whether parsed JSON nests more than ``limit`` arrays and objects deep: walked a level
    at a time with lists, not recursion, so any depth can be measured."""
    level = [data] if type(data) in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
        level = below
    return False


# made once: ``json.loads`` with hooks would build a decoder per call
_DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_constant)


def _line_of(text: str, token: str) -> int | None:
    at = text.find(token)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def loads_bounded(
    text: str | bytes,
    where: str | Path | None,
    line: int | None = None,
    *,
    max_depth: int = MAX_DEPTH,
    max_bytes: int = MAX_BYTES,
    error: type[ConfigError] | type[BadJSON] = ConfigError,
    what: str = "the text",
    fix: str = "",
) -> Any:
    """``text`` parsed, or ``error(message, where, line)``.

    ``line`` is the line ``text`` starts on in ``where`` (a JSONL line's number); the error
    names the line inside the text when it can. ``what`` names the document in the message
    ("the recording", "results line") and ``fix`` is appended to it ("; re-record this case").
    """
    start = line or 1

    def fail(message: str, offset: int | None = None) -> Exception:
        at = start + offset - 1 if offset is not None else line
        return error(f"{what} {message}{fix}", where, at)

    if len(text) > max_bytes:
        raise fail(f"is larger than {max_bytes:,} bytes: evalkit does not read one this size")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(f"is not UTF-8 (byte {exc.start}): save it as UTF-8") from None
    try:
        data = _DECODER.decode(text)
    except _OutOfRange as exc:
        raise fail(f"holds {exc}", _line_of(text, exc.token)) from None
    except RecursionError:
        raise fail(f"is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise fail(f"is not JSON ({exc.msg} at column {exc.colno})", exc.lineno) from None
    except ValueError as exc:  # what the parser raises beyond its own errors
        raise fail(f"is not JSON ({exc})") from None
    if (
        isinstance(data, (dict, list))
        and text.count("[") + text.count("{") > max_depth
        and deeper_than(data, max_depth)
    ):
        raise fail(f"is nested more than {max_depth} levels deep")
    return data


def loads_value(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Untrusted JSON no file is to blame for (a model's output, a server's body): parsed,
    or :class:`BadJSON` (a ValueError) when it is not JSON within the bounds."""
    return loads_bounded(text, None, max_depth=max_depth, error=BadJSON, what="the text")


def load_bounded(
    path: Path, *, error: type[ConfigError] = ConfigError, what: str = "the file", **bounds: Any
) -> Any:
    """A JSON file read whole within the bounds (see :func:`loads_bounded`); its size is
    checked before it is read."""
    max_bytes = bounds.get("max_bytes", MAX_BYTES)
    try:
        text = read_text(path, what, limit=max_bytes)
    except TooLarge:
        raise error(
            f"{what} is larger than {max_bytes:,} bytes: evalkit does not read one this size",
            path,
        ) from None
    return loads_bounded(text, path, error=error, what=what, **bounds)
