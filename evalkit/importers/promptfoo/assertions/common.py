"""What every part of the assertion mapping shares: the shape of its results, where an
assertion sits (:class:`MapContext`), and the two ways a mapping stops short.

A mapping returns evalkit assertions (plain dicts, as a suite writes them) and
:class:`~evalkit.importers.yamlout.Comment` lines for what was left out.
:class:`NotCarried` carries what is left out and what to do instead (the mapper turns it
into a report entry and a comment in place); :class:`NeedsCase` says the assertion depends
on a case's vars and must be mapped once per case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...report import Origin
from ...sources import plain
from ...yamlout import Comment

Check = dict[str, Any]
Item = Check | Comment


@dataclass(frozen=True)
class MapContext:
    """Where an assertion sits and what it may depend on."""

    origin: Origin
    base_dir: Path  # for file:// values
    vars: dict[str, Any] | None = None  # the case's vars (None: suite level)
    output_parsed: bool = False  # promptfoo's output is parsed JSON (transform or schema)
    path: str | None = None  # options.transform: a field of the parsed output
    schema: bool = False  # the suite has a schema: the javascript check parses the output
    tools: tuple[str, ...] = ()
    function_call: bool = False  # legacy `functions`: the output is one {name, arguments}
    grader: Any = None  # options.provider (model-graded assertions)


def ordered(check: Check) -> Check:
    """type first, then path, then the rest: how evalkit's docs write assertions."""
    order = ["type", "path"]
    head = {k: check[k] for k in order if k in check}
    return {**head, **{k: v for k, v in check.items() if k not in head}}


def preview(value: Any, limit: int = 80) -> str:
    """One line of a value, for a report entry."""
    text = value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def js_number(value: float) -> str:
    """A number as JavaScript writes it in text (``30``, not ``30.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def join_path(base: str | None, sub: str | None) -> str | None:
    """``base`` then ``sub`` (``items`` + ``name`` → ``items.name``; ``[0]`` stays glued)."""
    if not base or not sub:
        return base or sub
    return f"{base}{sub}" if sub.startswith("[") else f"{base}.{sub}"
