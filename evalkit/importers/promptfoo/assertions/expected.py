"""promptfoo's CSV ``__expected`` cells → promptfoo assertions, by promptfoo's own rules.

A cell is an assertion written as text: ``icontains:bonjour``, ``not-contains:hungry``,
``similar(0.7):Arr``, ``javascript:output.length < 5`` (``fn:`` and ``eval:`` too),
``grade:``/``llm-rubric:``, ``python:``, ``file://x.py:fn``; any other text is ``equals``.
"""

from __future__ import annotations

import re
from typing import Any


def assertion_from_string(expected: str) -> dict[str, Any]:
    """A CSV ``__expected`` cell → a promptfoo assertion (promptfoo's own rules)."""
    text = expected.strip()
    for prefix in ("javascript:", "fn:", "eval:"):
        if text.startswith(prefix):
            return {"type": "javascript", "value": text[len(prefix) :].strip()}
    if text.startswith("grade:") or text.startswith("llm-rubric:"):
        return {"type": "llm-rubric", "value": text.split(":", 1)[1].strip()}
    if text.startswith("python:"):
        return {"type": "python", "value": text[len("python:") :].strip()}
    if text.startswith("file://") and (text.endswith(".py") or ".py:" in text):
        return {"type": "python", "value": text}
    if text.startswith("file://") and re.search(r"\.(js|ts|mjs|cjs)(:|$)", text):
        return {"type": "javascript", "value": text}
    match = _ASSERTION_STRING.match(text)
    if match and (match.group(4) is not None or match.group(2) in _NO_VALUE_TYPES):
        negate, kind, threshold, value = match.groups()
        if kind in _STRING_TYPES:
            full = f"{negate or ''}{kind}"
            out: dict[str, Any] = {"type": full}
            value = (value or "").strip() if kind not in ("equals",) else (value or "")
            if kind in ("contains-all", "contains-any", "icontains-all", "icontains-any"):
                out["value"] = [v.strip() for v in value.split(",")]
            elif value != "":
                out["value"] = value
            if kind in _THRESHOLD_TYPES:
                out["threshold"] = (
                    float(threshold) if threshold else (0.8 if kind == "similar" else 0.75)
                )
            return out
    return {"type": "equals", "value": expected}


_NO_VALUE_TYPES = {"is-json", "contains-json", "is-valid-openai-tools-call", "is-xml", "is-sql"}
_THRESHOLD_TYPES = {
    "similar",
    "levenshtein",
    "cost",
    "latency",
    "starts-with",
    "rouge-n",
    "perplexity",
    "perplexity-score",
    "answer-relevance",
    "classifier",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
}
_STRING_TYPES = {
    "equals",
    "contains",
    "icontains",
    "contains-all",
    "contains-any",
    "icontains-all",
    "icontains-any",
    "starts-with",
    "regex",
    "is-json",
    "contains-json",
    "similar",
    "llm-rubric",
    "model-graded-closedqa",
    "factuality",
    "levenshtein",
    "cost",
    "latency",
    "finish-reason",
    "is-valid-openai-tools-call",
    "python",
    "javascript",
    "answer-relevance",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "rouge-n",
    "perplexity",
    "perplexity-score",
    "classifier",
    "is-xml",
    "is-sql",
    "webhook",
    "word-count",
    "moderation",
}


_ASSERTION_STRING = re.compile(
    r"^(not-)?("
    + "|".join(re.escape(t) for t in sorted(_STRING_TYPES, key=len, reverse=True))
    + r")(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$"
)
