"""promptfoo assertions → evalkit assertions, one at a time.

:class:`AssertionMapper` handles what every type shares — ``$ref`` to
``assertionTemplates``, the ``not-`` prefix, ``weight`` (shared out when one assertion
becomes several checks), a field-path ``transform`` (``path``), ``assert-set`` without a
threshold (flattened), named metrics and unknown keys (noted) — and hands the rest to the
handler of the type (:mod:`.rules`, :mod:`.graded`, :mod:`.tools`, :mod:`.generated`,
:mod:`.javascript`). What cannot be carried becomes a report entry and a comment in place;
types evalkit has nothing for are listed in :data:`NOT_MAPPED` with what to use instead.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

from ....errors import NeedsCase, NotCarried
from ...yamlout import Comment
from . import generated, graded, javascript, rules, tools
from .common import Check, Item, MapContext, join_path, ordered, preview
from .jsmatch import APPROXIMATED, NotAPath, transform_path
from .values import ValueReader

Handler = Callable[[ValueReader, dict[str, Any], MapContext, "str | None"], list[Item]]
HANDLERS: dict[str, Handler] = {
    **rules.HANDLERS,
    **graded.HANDLERS,
    **tools.HANDLERS,
    **generated.HANDLERS,
    **javascript.HANDLERS,
}
_KNOWN_KEYS = {
    "type",
    "value",
    "threshold",
    "weight",
    "metric",
    "provider",
    "transform",
    "config",
    "description",
}
_NOT_PATHED = ("tool_", "cost_", "latency_", "finish_")
NOT_MAPPED = {
    "answer-relevance": "evalkit has no answer-relevance check; a `judge` with a rubric such as 'The answer addresses the question' is the closest",
    "context-faithfulness": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "context-recall": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "context-relevance": "evalkit has no RAG context checks; a `judge` rubric that names the context is the closest",
    "conversation-relevance": "evalkit has no conversation checks; use a `judge` rubric",
    "g-eval": "write the criteria as a `judge` rubric",
    "select-best": "evalkit compares variants with `evalkit diff`, not within a run",
    "max-score": "evalkit compares variants with `evalkit diff`, not within a run",
    "moderation": "evalkit has no moderation check; call the moderation API from a `python` check if you need it",
    "classifier": "evalkit runs no local classifiers; use a `python` check",
    "pi": "evalkit has no Pi Labs scorer; use a `judge` rubric",
    "guardrails": "evalkit has no guardrails check",
    "perplexity": "evalkit does not request logprobs; add `logprobs` to params and a `python` check",
    "perplexity-score": "evalkit does not request logprobs; add `logprobs` to params and a `python` check",
    "rouge-n": "evalkit has no ROUGE metric; use `similar` or a `python` check",
    "bleu": "evalkit has no BLEU metric; use `similar` or a `python` check",
    "gleu": "evalkit has no GLEU metric; use `similar` or a `python` check",
    "meteor": "evalkit has no METEOR metric; use `similar` or a `python` check",
    "webhook": "evalkit never calls out from checks; port the webhook's logic to a `python` check",
    "is-sql": "evalkit has no SQL validator; use a `python` check",
    "contains-sql": "evalkit has no SQL validator; use a `python` check",
    "is-xml": "evalkit has no XML check; use a `python` check",
    "contains-xml": "evalkit has no XML check; use a `python` check",
    "is-html": "evalkit has no HTML check; use a `python` check",
    "contains-html": "evalkit has no HTML check; use a `python` check",
    "is-refusal": "evalkit has no refusal check; use a `judge` rubric",
    "trace-span-count": "evalkit records no traces",
    "trace-span-duration": "evalkit records no traces",
    "trace-error-spans": "evalkit records no traces",
    "skill-used": "evalkit records no agent skills",
    "trajectory:step-count": "evalkit has no step count; `budget: {turns: N}` limits model turns",
    "search-rubric": "evalkit has no web-search grader; use a `judge` rubric",
    "ruby": "evalkit checks are Python; port it to a `python` check",
}


class AssertionMapper(ValueReader):
    """Maps the promptfoo assertions of one import."""

    def map(self, raw: Any, ctx: MapContext, count: bool = True) -> list[Item]:
        """evalkit items for one promptfoo assertion (checks, and comments for what is
        left out). Raises NeedsCase when it must be mapped per case instead."""
        try:
            items = self._map(raw, ctx)
        except NotCarried as exc:
            self.report.leave_out(ctx.origin, exc.what, exc.fix)
            if count:
                self.report.assertion(False)
            where = ctx.origin.relative(ctx.base_dir)
            return [Comment(f"left out: {exc.what} ({where}); {exc.fix}")]
        if count:
            self.report.assertion(any(isinstance(i, dict) for i in items))
        return items

    def _map(self, raw: Any, ctx: MapContext) -> list[Item]:
        if isinstance(raw, dict) and "$ref" in raw:
            raw = self.resolve_ref(raw)
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise NotCarried(f"an assertion without a `type` ({preview(raw)})", "give it a type")
        extra = sorted(set(raw) - _KNOWN_KEYS)
        if extra:
            self.report.note(
                ctx.origin,
                f"assertion keys {', '.join(extra)} have no evalkit equivalent and were not carried",
            )
        kind = raw["type"]
        negate = kind.startswith("not-")
        base = kind.removeprefix("not-")
        if "metric" in raw:
            self.report.note(
                ctx.origin,
                f"named metric {raw['metric']!r} is not carried (evalkit reports each check by its type and line)",
            )
        if raw.get("transform") is not None:
            ctx = self.transform(raw["transform"], ctx)
        path = ctx.path
        tool_check = self.tool_name_path(base, raw, ctx, path)
        if tool_check is None and path is not None and _tool_path(path, ctx):
            raise NotCarried(
                f"`{kind}` on the tool call's {path.lstrip('.')} (a transform into the call)",
                "evalkit checks tool calls with tool_called (name, args subset) and tool_sequence",
            )
        checks = tool_check or self.by_type(base, raw, ctx, path)
        weight = raw.get("weight")
        out: list[Item] = []
        for item in checks:
            if isinstance(item, Comment):
                out.append(item)
                continue
            check = dict(item)
            if (
                path is not None
                and "path" not in check
                and not check["type"].startswith(_NOT_PATHED)
            ):
                check["path"] = path
            if negate:
                if check.get("not"):
                    del check["not"]
                else:
                    check["not"] = True
            if weight is not None and weight != 1:
                check["weight"] = weight / len(checks) if len(checks) > 1 else weight
            _threshold_in_range(check, kind)
            out.append(ordered(check))
        return out

    def by_type(
        self, base: str, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item]:
        if base == "assert-set":
            return self.assert_set(raw, ctx)
        handler = HANDLERS.get(base)
        if handler is not None:
            return handler(self, raw, ctx, path)
        if base in NOT_MAPPED:
            raise NotCarried(f"`{raw['type']}` assertion", NOT_MAPPED[base])
        raise NotCarried(f"unknown assertion type `{raw['type']}`", "write the check by hand")

    def assert_set(self, raw: dict[str, Any], ctx: MapContext) -> list[Item]:
        if raw.get("threshold") is not None:
            raise NotCarried(
                "an assert-set with a threshold (passes when a share of its assertions pass)",
                "evalkit checks each assertion; keep the ones that must pass",
            )
        children = raw.get("assert")
        if not isinstance(children, list):
            raise NotCarried("an assert-set without assertions", "list them")
        out: list[Item] = []
        for child in children:
            out += self.map(child, ctx, count=False)
        return out

    def tool_name_path(
        self, base: str, raw: dict[str, Any], ctx: MapContext, path: str | None
    ) -> list[Item] | None:
        """``equals`` on the first tool call's name (a transform to ``output[0].function.name``,
        or ``output.name`` with legacy functions) → ``tool_called``."""
        name_path = (ctx.tools and path == "[0].function.name") or (
            ctx.function_call and path == "name"
        )
        if base != "equals" or not name_path or not isinstance(raw.get("value"), str):
            return None
        self.report.note(ctx.origin, APPROXIMATED)
        return [{"type": "tool_called", "name": raw["value"]}]

    def resolve_ref(self, raw: dict[str, Any]) -> dict[str, Any]:
        ref = str(raw["$ref"])
        name = ref.removeprefix("#/assertionTemplates/")
        if name == ref or name not in self.templates:
            known = ", ".join(self.templates) or "none"
            raise NotCarried(
                f"assertion $ref {ref!r} names no assertionTemplates entry (known: {known})",
                "fix the reference",
            )
        return {**self.templates[name], **{k: v for k, v in raw.items() if k != "$ref"}}

    def transform(self, code: Any, ctx: MapContext) -> MapContext:
        """The context after an assertion's own ``transform``: the parsed output, or a
        path into it."""
        if not isinstance(code, str):
            raise NotCarried(
                "a transform that is not inline JavaScript", "use `path:` on the evalkit check"
            )
        if code.startswith("file://"):
            raise NotCarried(
                f"a transform from a file ({code})", "express it as a `path:` or a `python` check"
            )
        object_output = ctx.output_parsed or bool(ctx.tools) or ctx.function_call
        try:
            path = transform_path(code, object_output)
        except NotAPath as exc:
            if ctx.tools or ctx.function_call:
                raise NotCarried(
                    f"the transform `{preview(code)}` into the tool call",
                    "evalkit checks tool calls with tool_called (name, args subset) and tool_sequence",
                ) from None
            raise NotCarried(
                f"the transform `{preview(code)}` ({exc})",
                "express it as a `path:` or a `python` check",
            ) from None
        return dataclasses.replace(ctx, output_parsed=True, path=join_path(ctx.path, path))


def _threshold_in_range(check: Check, kind: str) -> None:
    """evalkit's thresholds are in [0, 1]; promptfoo lets some types go above."""
    threshold = check.get("threshold")
    if threshold is None:
        return
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, (int, float))
        or not math.isfinite(threshold)
        or not 0 <= threshold <= 1
    ):
        raise NotCarried(
            f"`{kind}` with threshold {threshold!r} (evalkit's thresholds are in [0, 1])",
            "scale the score into [0, 1] and set the threshold there",
        )


def _tool_path(path: str, ctx: MapContext) -> bool:
    """A path into promptfoo's tool-call output rather than into an answer."""
    if ctx.tools and path.startswith("[0].function"):
        return True
    return ctx.function_call and path.split(".")[0] in ("name", "arguments")


__all__ = ["NOT_MAPPED", "AssertionMapper", "MapContext", "NeedsCase", "NotCarried"]
