"""Writing suites as YAML a person reviews: block style, short mappings inline, comments.

PyYAML cannot write comments, and an import must leave them where a construct was left
out, so documents are emitted here: mappings and lists in block style, assertions and other
small mappings in flow style (``{type: contains, value: x}``), multi-line strings as ``|``
blocks, and :class:`Comment` items as ``# ...`` lines. Scalars go through PyYAML, so quoting
is always right; the result is checked by parsing it back in the tests.
"""

from __future__ import annotations

from typing import Any

import yaml

BLOCK_KEYS = frozenset({"variants", "cases"})  # always one entry per line, for review


class Comment(str):
    """A comment line inside a list or mapping (a mapping key whose value is ignored)."""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(Comment, _str)


def _builtin(value: Any) -> Any:
    """Plain dicts, lists and strs (YAML-loaded subclasses keep line numbers PyYAML cannot
    represent)."""
    if isinstance(value, dict):
        return {_builtin(k): _builtin(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_builtin(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def scalar(value: Any) -> str:
    """One scalar in flow position (never a block scalar)."""
    text: str = yaml.dump(
        _builtin(value),
        Dumper=yaml.SafeDumper,
        default_flow_style=True,
        allow_unicode=True,
        width=10**9,
        sort_keys=False,
    )
    return text.removesuffix("\n...\n").rstrip("\n")


def _flow(value: Any) -> str | None:
    """A short, single-line flow rendering, or None when block style reads better."""
    if isinstance(value, str) and "\n" in value:
        return None
    if _has_comment(value):
        return None
    if isinstance(value, (dict, list)) and any(
        isinstance(v, str) and "\n" in v for v in _leaves(value)
    ):
        return None
    text = scalar(value)
    return text if "\n" not in text else None


def _has_comment(value: Any) -> bool:
    if isinstance(value, Comment):
        return True
    if isinstance(value, dict):
        return any(_has_comment(k) or _has_comment(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_comment(v) for v in value)
    return False


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _block_scalar(value: str, indent: int) -> list[str]:
    text = yaml.dump(str(value), Dumper=_Dumper, allow_unicode=True, width=10**9)
    lines = text.rstrip("\n").split("\n")
    if lines[-1] == "...":
        lines = lines[:-1]
    head, rest = lines[0], lines[1:]
    pad = " " * indent
    return [head] + [
        pad + line[2:] if line.startswith("  ") else (pad + line).rstrip() for line in rest
    ]


def emit(value: Any, indent: int = 0, flow_width: int = 100) -> list[str]:
    """Lines for a mapping or list at ``indent``."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, Comment):
                lines += [f"{pad}# {part}" for part in str(key).split("\n")]
                continue
            head = f"{pad}{scalar(key)}:"
            if key in BLOCK_KEYS and isinstance(item, (dict, list)) and item:
                lines += [head, *emit(item, indent + 2, flow_width)]
                continue
            lines += _entry(head, item, indent, flow_width, nested=indent + 2)
        return lines
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Comment):
                lines += [f"{pad}# {part}" for part in str(item).split("\n")]
                continue
            head = f"{pad}-"
            is_case = isinstance(item, dict) and "id" in item and len(item) > 1
            if is_case or (
                isinstance(item, dict)
                and (_flow(item) is None or len(f"{head} {_flow(item)}") > flow_width)
            ):
                inner = emit(item, indent + 2, flow_width)
                first = next(
                    (i for i, line in enumerate(inner) if not line.lstrip().startswith("#")), 0
                )
                inner[first] = f"{pad}- {inner[first].lstrip()}"
                lines += inner
            else:
                lines += _entry(head, item, indent, flow_width, nested=indent + 2)
        return lines
    raise TypeError(f"emit takes a mapping or a list, not {type(value).__name__}")


def _entry(head: str, item: Any, indent: int, flow_width: int, nested: int) -> list[str]:
    if isinstance(item, list) and item and all(isinstance(i, Comment) for i in item):
        # only comments: an empty list that still shows them (a bare key would be null)
        return [f"{head} []", *emit(item, nested, flow_width)]
    if isinstance(item, str) and "\n" in item:
        block = _block_scalar(item, nested)
        return [f"{head} {block[0]}", *block[1:]]
    flow = _flow(item)
    if flow is not None and (
        len(f"{head} {flow}") <= flow_width or not isinstance(item, (dict, list))
    ):
        return [f"{head} {flow}"]
    if isinstance(item, (dict, list)) and item:
        return [head, *emit(item, nested, flow_width)]
    return [f"{head} {scalar(item)}"]


def document(value: dict[str, Any], header: list[str] | None = None) -> str:
    """A whole YAML document with optional leading comment lines."""
    lines = list(header or []) + emit(value)
    return "\n".join(lines) + "\n"
