"""promptfoo's model-graded assertions → evalkit's ``judge`` and ``similar`` checks.

``llm-rubric`` is a ``judge`` with the rubric; ``model-graded-closedqa`` and
``factuality`` become a judge rubric too (noted: promptfoo grades them with prompts of its
own). The grader is the assertion's ``provider``, else the test's ``options.provider``, else
promptfoo's OpenAI default, pinned like any model; ``similar`` uses the embedding model
they name, else promptfoo's default.
"""

from __future__ import annotations

from typing import Any

from ....errors import NotCarried
from .common import Check, Item, MapContext
from .values import ValueReader

Raw = dict[str, Any]


def similar(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    if isinstance(raw.get("value"), list):
        raise NotCarried(
            "`similar` against a list of values (passes when any is similar)",
            "keep the closest reference value, or add one `similar` per value in a variant",
        )
    check: Check = {"type": "similar", "value": m.text_value(raw, ctx)}
    check["threshold"] = raw.get("threshold", 0.75)
    check["model"] = m.embedding_model(raw, ctx)
    return [check]


def llm_rubric(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    value = raw.get("value")
    if isinstance(value, str) and value.startswith("file://"):
        value = m.load_file(value, ctx)
    if not isinstance(value, str):
        raise NotCarried("an `llm-rubric` whose rubric is not text", "write the rubric as text")
    check: Check = {
        "type": "judge",
        "rubric": m.render(value, ctx),
        "model": m.judge_model(raw, ctx),
    }
    if raw.get("threshold") is not None:
        check["threshold"] = raw["threshold"]
    return [check]


def model_graded_closedqa(
    m: ValueReader, raw: Raw, ctx: MapContext, path: str | None
) -> list[Item]:
    m.report.note(ctx.origin, "model-graded-closedqa's criterion becomes the judge's rubric")
    return llm_rubric(m, raw, ctx, path)


def factuality(m: ValueReader, raw: Raw, ctx: MapContext, path: str | None) -> list[Item]:
    reference = m.text_value(raw, ctx)
    m.report.note(
        ctx.origin,
        "factuality is approximated by a judge rubric (promptfoo grades five categories of agreement)",
    )
    rubric = (
        "The output is factually consistent with this reference answer: it may add or omit "
        f"detail but must not contradict it. Reference: {reference}"
    )
    return llm_rubric(m, {**raw, "value": rubric}, ctx, path)


HANDLERS = {
    "similar": similar,
    "similar:cosine": similar,
    "llm-rubric": llm_rubric,
    "model-graded-closedqa": model_graded_closedqa,
    "factuality": factuality,
}
