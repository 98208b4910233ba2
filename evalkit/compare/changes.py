"""Which fields of a structured output changed between two runs, and how the tool calls
differ: what the diff's "changed (tools, fields)" column shows."""

from __future__ import annotations

import difflib
import json
from typing import Any

from ..io.jsonfile import loads_value
from .models import FieldChange


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
        return out or {prefix: []}
    return {prefix: value}


def parsed_output(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return loads_value(text)
    except (ValueError, RecursionError):
        return None


def output_changes(a: str | None, b: str | None) -> tuple[list[FieldChange], str | None]:
    """A field-level diff when both outputs are JSON objects or arrays, else a text diff."""
    if a == b:
        return [], None
    pa, pb = parsed_output(a), parsed_output(b)
    if isinstance(pa, (dict, list)) and isinstance(pb, (dict, list)):
        fa, fb = _flatten(pa), _flatten(pb)
        return [
            FieldChange(path=k, a=fa.get(k), b=fb.get(k))
            for k in sorted(set(fa) | set(fb))
            if fa.get(k) != fb.get(k)
        ], None
    lines = difflib.unified_diff(
        (a or "").splitlines(), (b or "").splitlines(), "A", "B", lineterm="", n=1
    )
    return [], "\n".join(lines)


def tool_changes(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[str]:
    """Calls only under A (dropped), only under B (added), or with other arguments, paired
    by tool name in call order."""
    changes: list[str] = []
    names = sorted({c.get("name", "") for c in (*a, *b)})
    for name in names:
        calls_a = [c.get("arguments") for c in a if c.get("name") == name]
        calls_b = [c.get("arguments") for c in b if c.get("name") == name]
        for args_a, args_b in zip(calls_a, calls_b, strict=False):
            if args_a != args_b:
                changes.append(f"{name} arguments {json.dumps(args_a)} → {json.dumps(args_b)}")
        if len(calls_a) > len(calls_b):
            changes.append(
                f"{name} dropped"
                + (f" ({len(calls_a) - len(calls_b)}×)" if len(calls_a) - len(calls_b) > 1 else "")
            )
        if len(calls_b) > len(calls_a):
            changes.append(
                f"{name} added"
                + (f" ({len(calls_b) - len(calls_a)}×)" if len(calls_b) - len(calls_a) > 1 else "")
            )
    return changes


# -- the comparison, streamed --------------------------------------------------------
#
# A comparison of 100,000 cases a side must not hold both sides: side A is read into a
# slim record per case (verdict, k/n, usage, latencies, a digest of its first output and
# where that output is in a spool file), side B is streamed against it, per-suite
# statistics are folded as B comes, and only the case diffs a report lists are kept: every
# one up to ``limit`` per status, the first ``limit`` by suite and case beyond that, with
# counts for the rest.
