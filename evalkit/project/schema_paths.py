"""Whether an assertion's ``path`` (``summary``, ``items[0].name``, an ``expect`` field) can
exist in the output a suite's schema describes, so a misspelt field (``totl``) is an error in
``evalkit check`` instead of a case that fails at run time for a reason that is not the
model's.

The walk is over the schema model's JSON Schema (field names as the output spells them,
aliases included; a model's fields are its only ones, as the strict schema sent tells the
model): ``properties``, ``$ref``/``$defs``, ``items``/``prefixItems`` and the
branches of ``anyOf``/``oneOf``/``allOf``. Where the schema does not constrain names (a
``dict``, ``Any``, ``additionalProperties``), any name is allowed; a path is refused only
where the schema says for certain that the field cannot be there.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")  # as evalkit.checks.value_at reads a path
_BRANCHES = ("anyOf", "oneOf", "allOf")


def _resolve(node: Any, defs: dict[str, Any], seen: int = 0) -> list[dict[str, Any]]:
    """The concrete schemas ``node`` stands for (refs followed, branches spread)."""
    if not isinstance(node, dict) or seen > 50:
        return []
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(defs.get(ref.removeprefix("#/$defs/")), defs, seen + 1)
    out: list[dict[str, Any]] = []
    for key in _BRANCHES:
        for branch in node.get(key) or []:
            out += _resolve(branch, defs, seen + 1)
    return out or [node]


def _open(node: dict[str, Any]) -> bool:
    """Whether the schema accepts any field name here (an object it does not close, or a
    value it does not type); a string or a number has no fields at all."""
    if "properties" in node:
        return node.get("additionalProperties", False) not in (False, None)
    kind = node.get("type")
    if kind is None:
        return True
    if kind == "object" or (isinstance(kind, list) and "object" in kind):
        return node.get("additionalProperties", True) is not False
    return False


def path_problem(schema: dict[str, Any], path: str) -> str | None:
    """Why ``path`` cannot exist in output matching ``schema`` (with the nearest field the
    schema has: "did you mean currency?"), or None when it can."""
    defs = schema.get("$defs") or {}
    nodes = _resolve(schema, defs)
    walked = ""
    for name, index in _SEGMENT.findall(path):
        if index:
            items: list[dict[str, Any]] = []
            for node in nodes:
                kind = node.get("type")
                if kind not in (None, "array") and not (isinstance(kind, list) and "array" in kind):
                    continue
                prefix = node.get("prefixItems")
                if isinstance(prefix, list) and int(index) < len(prefix):
                    items += _resolve(prefix[int(index)], defs)
                else:
                    items += _resolve(node.get("items", {}), defs)
            if not items:
                return f"path {path!r}: {walked or 'the output'} is not a list in the schema"
            nodes, walked = items, f"{walked}[{index}]"
            continue
        found: list[dict[str, Any]] = []
        names: set[str] = set()
        for node in nodes:
            props = node.get("properties")
            if isinstance(props, dict) and name in props:
                found += _resolve(props[name], defs)
            elif _open(node):
                return None  # the schema does not constrain names here
            elif isinstance(props, dict):
                names |= set(props)
        if not found and not names:
            kinds = sorted({str(n.get("type")) for n in nodes if n.get("type")} - {"object"})
            if not kinds:
                return f"path {path!r}: the schema allows no field at {walked or 'the top'}"
            what = " or ".join(kinds)
            return f"path {path!r}: {walked or 'the output'} is {what} in the schema, not an object"
        if not found:
            close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            has = f"; it has {', '.join(sorted(names))}" if names and not close else ""
            return (
                f"path {path!r}: the schema has no field {name!r} at {walked or 'the top'}"
                f"{hint}{has}"
            )
        nodes, walked = found, f"{walked}.{name}" if walked else name
    return None
