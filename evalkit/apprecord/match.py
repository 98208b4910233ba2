"""How an unrecorded request differs from the nearest recorded one, in words a reviewer
can act on: ``messages[0].content: recorded 'You extract…', now 'You pull…'``.

Paths are walked in the new request's own field order (the order the code wrote them), so
"the first field" is the first the reader of the code would meet. The nearest recorded
request is the one with the fewest differing fields (same endpoint first).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

_MISSING = object()
_CAP = 2000  # differences counted per candidate: enough to rank, bounded for huge bodies
_SHOWN = 80  # characters of each value quoted


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def differences(new: Any, old: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every leaf where ``new`` and ``old`` differ: (path, old value, new value); a field
    present on one side only has the other side ``_MISSING``."""
    if isinstance(new, dict) and isinstance(old, dict):
        for key in [*new, *sorted(k for k in old if k not in new)]:
            yield from differences(new.get(key, _MISSING), old.get(key, _MISSING), _join(path, key))
    elif isinstance(new, list) and isinstance(old, list):
        for index in range(max(len(new), len(old))):
            yield from differences(
                new[index] if index < len(new) else _MISSING,
                old[index] if index < len(old) else _MISSING,
                _join(path, index),
            )
    elif new is not old and (type(new) is not type(old) or new != old):
        yield path or "(body)", old, new


def _count(new: Any, old: Any) -> int:
    count = 0
    for _ in differences(new, old):
        count += 1
        if count >= _CAP:
            break
    return count


def _show(value: Any) -> str:
    if value is _MISSING:
        return "absent"
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def nearest(
    endpoint: str, body: dict[str, Any], recorded: Sequence[tuple[str, dict[str, Any]]]
) -> dict[str, Any] | None:
    """The recorded body (of ``(endpoint, body)`` pairs) closest to ``body``."""
    same = [b for e, b in recorded if e == endpoint] or [b for _, b in recorded]
    if not same:
        return None
    return min(same, key=lambda old: _count(body, old))


def first_difference(new: dict[str, Any], old: dict[str, Any]) -> str | None:
    """``field: recorded X, now Y`` for the first field that differs, or None."""
    for path, was, now in differences(new, old):
        return f"{path}: recorded {_show(was)}, now {_show(now)}"
    return None
