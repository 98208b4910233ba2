"""promptfoo's rule assertions → evalkit's rule checks: equality, text matching, JSON, budgets.

``icontains`` is ``contains`` with ``ignore_case``; ``contains-any`` a regex of escaped
alternatives; ``contains-all`` one ``contains`` per value (``not-contains-all``, "not all
of them", one regex of lookaheads, so the negation covers the set); ``regex`` is Python's
``regex`` when the pattern is in the subset both engines read alike (:mod:`.regex`), else
promptfoo's own test as a ``javascript`` check; ``cost``/``latency`` need a threshold, which
becomes the budget's ``max``.
"""

from __future__ import annotations

import re
from typing import Any

from ....errors import NotCarried
from ...sources import plain
from .common import Check, Item, MapContext
from .javascript import javascript_check
from .regex import literal, to_python
from .values import ValueReader

Raw = dict[str, Any]


def equals(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    value = raw.get("value")
    if isinstance(value, str) and value.startswith("file://"):
        value = m.load_file(value, ctx)
    if isinstance(value, (dict, list)):
        return [{"type": "equals", "value": plain(value)}]
    return [{"type": "equals", "value": m.text_value({**raw, "value": value}, ctx)}]


def contains(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return [{"type": "contains", "value": m.text_value(raw, ctx)}]


def icontains(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return [{"type": "contains", "value": m.text_value(raw, ctx), "ignore_case": True}]


def _any_of(m: ValueReader, raw: Raw, ctx: MapContext, ignore_case: bool) -> list[Item]:
    pattern = "|".join(re.escape(v) for v in m.values(raw, ctx))
    check: Check = {"type": "regex", "value": f"(?:{pattern})"}
    if ignore_case:
        check["ignore_case"] = True
    return [check]


def contains_any(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return _any_of(m, raw, ctx, ignore_case=False)


def icontains_any(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return _any_of(m, raw, ctx, ignore_case=True)


def _all_of(m: ValueReader, raw: Raw, ctx: MapContext, ignore_case: bool) -> list[Item]:
    values = m.values(raw, ctx)
    if raw["type"].startswith("not-"):
        lookaheads = "".join(f"(?=.*?{re.escape(v)})" for v in values)
        check: Check = {"type": "regex", "value": f"(?s)\\A{lookaheads}"}
        if ignore_case:
            check["ignore_case"] = True
        return [check]
    checks: list[Item] = []
    for value in values:
        item: Check = {"type": "contains", "value": value}
        if ignore_case:
            item["ignore_case"] = True
        checks.append(item)
    return checks


def contains_all(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return _all_of(m, raw, ctx, ignore_case=False)


def icontains_all(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return _all_of(m, raw, ctx, ignore_case=True)


def starts_with(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return [{"type": "starts_with", "value": m.text_value(raw, ctx)}]


def regex(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    """Python's ``regex`` on the text when the pattern means the same there; otherwise
    promptfoo's test itself (``new RegExp(value).test(outputString)``), in JavaScript."""
    value = m.text_value(raw, ctx)
    python = to_python(value)
    on_text = path is None and not ctx.output_parsed
    if python is not None and on_text:
        return [{"type": "regex", "value": python}]
    code = literal(value) + ".test(typeof output === 'string' ? output : JSON.stringify(output))"
    try:
        check = javascript_check(code, ctx, path, threshold=None, config=None)
    except NotCarried as exc:
        reason = exc.what.rsplit("(", 1)[-1].rstrip(")")
        raise NotCarried(
            f"the regex {value!r}, which JavaScript rejects ({reason}); promptfoo fails it",
            "write the pattern in JavaScript's syntax",
        ) from None
    m.report.note(
        ctx.origin,
        f"the regex {value!r} uses JavaScript syntax Python reads differently; it runs as "
        "JavaScript (a `javascript` check)",
    )
    return [check]


def is_json(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    schema = m.schema_value(raw, ctx)
    if schema is None and (ctx.tools or ctx.function_call) and path is None:
        raise NotCarried(
            "`is-json` on a provider with tools (promptfoo's output is the tool-call object there)",
            "check the calls with tool_called and tool_args_valid",
        )
    if schema is None:
        return [{"type": "is_json"}]
    return [{"type": "json_schema", "value": schema}]


def cost(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    if raw.get("threshold") is None:
        raise NotCarried(
            "`cost` without a threshold (a metric only)",
            "evalkit reports cost per case in its results anyway",
        )
    return [{"type": "cost_usd", "max": raw["threshold"]}]


def latency(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    if raw.get("threshold") is None:
        raise NotCarried(
            "`latency` without a threshold",
            "evalkit reports latency per case in its results anyway",
        )
    return [{"type": "latency_ms", "max": raw["threshold"]}]


def finish_reason(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    return [{"type": "finish_reason", "value": m.text_value(raw, ctx)}]


HANDLERS = {
    "equals": equals,
    "contains": contains,
    "icontains": icontains,
    "contains-any": contains_any,
    "icontains-any": icontains_any,
    "contains-all": contains_all,
    "icontains-all": icontains_all,
    "starts-with": starts_with,
    "regex": regex,
    "is-json": is_json,
    "cost": cost,
    "latency": latency,
    "finish-reason": finish_reason,
}
