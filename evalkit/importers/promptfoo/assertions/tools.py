"""promptfoo's tool-call assertions → evalkit's tool checks.

``is-valid-openai-tools-call`` is ``tool_args_valid``; ``tool-call-f1`` (at threshold 1)
one ``tool_called`` per expected tool (noted: extra calls are not penalized);
``trajectory:tool-used`` / ``-args-match`` / ``-sequence`` are ``tool_called`` (with
``times`` or ``args``, matched as a subset) and ``tool_sequence``. Each needs a suite whose
provider offers tools.
"""

from __future__ import annotations

from typing import Any

from ....errors import NotCarried
from ...sources import plain
from .common import Item, MapContext
from .values import ValueReader

Raw = dict[str, Any]


def _needs_tools(raw: Raw, ctx: MapContext) -> None:
    if not ctx.tools:
        raise NotCarried(
            f"`{raw['type']}` on a provider without tools",
            "add `tools:` to the suite, then the tool checks",
        )


def is_valid_openai_tools_call(
    m: ValueReader, raw: Raw, ctx: MapContext, path: str | None
) -> list[Item]:
    _needs_tools(raw, ctx)
    return [{"type": "tool_args_valid"}]


def tool_call_f1(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    _needs_tools(raw, ctx)
    threshold = raw.get("threshold", 1.0)
    if threshold < 1:
        raise NotCarried(
            f"`tool-call-f1` with threshold {threshold} (partial credit)",
            "evalkit's tool checks pass or fail; list the calls that must happen with tool_called",
        )
    m.report.note(
        ctx.origin,
        "tool-call-f1 became one tool_called per expected tool; extra calls are not penalized",
    )
    return [{"type": "tool_called", "name": name} for name in m.values(raw, ctx)]


def trajectory_tool_used(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    _needs_tools(raw, ctx)
    value = raw.get("value")
    if isinstance(value, str):
        return [{"type": "tool_called", "name": value}]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [{"type": "tool_called", "name": v} for v in value]
    if isinstance(value, dict) and isinstance(value.get("pattern") or value.get("name"), str):
        name = value.get("name") or value["pattern"]
        if any(c in name for c in "*?["):
            raise NotCarried(f"trajectory:tool-used with the pattern {name!r}", "name the tools")
        low, high = value.get("min", 1), value.get("max")
        if high is not None and high == low:
            return [{"type": "tool_called", "name": name, "times": low}]
        if low == 1 and high is None:
            return [{"type": "tool_called", "name": name}]
        raise NotCarried(
            "trajectory:tool-used with a min/max range", "use `times` for an exact count"
        )
    raise NotCarried("trajectory:tool-used with an unexpected value", "write tool_called checks")


def trajectory_tool_args_match(
    m: ValueReader, raw: Raw, ctx: MapContext, path: str | None
) -> list[Item]:
    _needs_tools(raw, ctx)
    value = raw.get("value")
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise NotCarried(
            "trajectory:tool-args-match without a tool name", "write a tool_called check"
        )
    if value.get("mode", "partial") != "partial" or value.get("defaults") or value.get("ignore"):
        raise NotCarried(
            "trajectory:tool-args-match in exact mode (or with defaults/ignore)",
            "evalkit's tool_called matches args as a subset",
        )
    args = value.get("args", value.get("arguments"))
    if not isinstance(args, dict):
        raise NotCarried("trajectory:tool-args-match without args", "add the args")
    return [{"type": "tool_called", "name": value["name"], "args": plain(args)}]


def trajectory_tool_sequence(
    m: ValueReader, raw: Raw, ctx: MapContext, path: str | None
) -> list[Item]:
    _needs_tools(raw, ctx)
    value = raw.get("value")
    steps, mode = (value, "in_order") if isinstance(value, list) else (None, None)
    if isinstance(value, dict):
        steps, mode = value.get("steps"), value.get("mode", "in_order")
    if (
        not isinstance(steps, list)
        or not all(isinstance(s, str) for s in steps)
        or mode not in ("in_order", "exact")
    ):
        raise NotCarried(
            "trajectory:tool-sequence with unexpected steps", "write a tool_sequence check"
        )
    return [{"type": "tool_sequence", "names": steps, "order": mode}]


HANDLERS = {
    "is-valid-openai-tools-call": is_valid_openai_tools_call,
    "is-valid-function-call": is_valid_openai_tools_call,
    "is-valid-openai-function-call": is_valid_openai_tools_call,
    "tool-call-f1": tool_call_f1,
    "trajectory:tool-used": trajectory_tool_used,
    "trajectory:tool-args-match": trajectory_tool_args_match,
    "trajectory:tool-sequence": trajectory_tool_sequence,
}
