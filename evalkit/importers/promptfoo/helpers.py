"""The helpers a generated checks module carries with it, copied in as source.

A module the importer writes (``checks_imported/promptfoo_<name>.py``) belongs to the user's
project and must keep working whatever evalkit's internals become, so it imports nothing
from evalkit: the functions here are copied into it, as written (``inspect.getsource``),
when one of its checks needs them. They use the standard library only and are tested here,
as the copies run. Each follows promptfoo's rule for what it replaces.
"""

from __future__ import annotations

import json
import re
from typing import Any


def promptfoo_context(obs: Any, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """promptfoo's assertion ``context`` for a python assertion: the case's vars and the
    assertion's ``config``. evalkit hands checks no rendered prompt: ``prompt`` is None."""
    variables = dict(getattr(obs, "vars", None) or {})
    return {
        "prompt": None,
        "vars": variables,
        "test": {"vars": variables},
        "config": dict(config or {}),
    }


def promptfoo_result(value: Any, scored: bool = False) -> Any:
    """A promptfoo python assertion's result as evalkit's python check reads one.

    A bool passes or fails; a number is a score (compared with the threshold when the
    assertion has one, else it passes above 0, as in promptfoo); a ``{pass, score, reason}``
    mapping or promptfoo's ``GradingResult`` object passes on ``pass`` (on a score above 0
    when it has no ``pass``), with its reason.
    """
    if hasattr(value, "pass_") and not isinstance(value, dict):
        value = {k: getattr(value, k) for k in ("pass_", "score", "reason") if hasattr(value, k)}
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if scored:
            return float(value)
        return value > 0, f"score {value:.3f} (passes above 0, as in promptfoo)"
    if isinstance(value, dict) and {"pass", "pass_", "score"} & set(value):
        passed = value.get("pass", value.get("pass_"))
        score = value.get("score")
        if passed is None:
            passed = score is not None and float(score) > 0
        reason = str(value.get("reason") or "")
        if score is not None:
            reason = f"score {float(score):.3f}" + (f": {reason}" if reason else "")
        return bool(passed), reason
    raise TypeError(
        f"the assertion returned {type(value).__name__}; "
        "return a bool, a number or {pass, score, reason}"
    )


def contains_json(text: str) -> list[Any]:
    """Every JSON object or array in ``text``, as promptfoo's contains-json finds them:
    scanned from each ``{`` or ``[`` with the standard decoder."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except ValueError:
                i += 1
                continue
            found.append(value)
            i = end
        else:
            i += 1
    return found


def levenshtein(a: str, b: str) -> int:
    """The edit distance between two texts (insertions, deletions, substitutions), counted
    in UTF-16 code units as promptfoo counts them (an emoji is two)."""
    left = list(memoryview(a.encode("utf-16-le", "surrogatepass")).cast("H"))
    right = list(memoryview(b.encode("utf-16-le", "surrogatepass")).cast("H"))
    if len(left) < len(right):
        left, right = right, left
    previous = list(range(len(right) + 1))
    for i, ca in enumerate(left, 1):
        current = [i]
        for j, cb in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def word_count(text: str) -> int:
    """Words as promptfoo counts them: ``text.trim().split(/\\s+/)``, empty pieces dropped,
    with JavaScript's whitespace (which is not quite Python's ``str.split()``)."""
    space = r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+"
    return len([word for word in re.split(space, text) if word])


HELPERS = {
    fn.__name__: fn
    for fn in (promptfoo_context, promptfoo_result, contains_json, levenshtein, word_count)
}
