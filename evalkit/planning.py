"""Case × Target → the requests to answer, rendered up front.

Planning renders every case's requests before any is sent, so a missing variable or a bad
template is a configuration error (exit 2) before the run spends anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import TemplateError
from .prompts import Message
from .requests import Request, build_request
from .suite import Case, Suite, Target


@dataclass(frozen=True)
class PlannedCase:
    suite: Suite
    case: Case
    target: Target
    requests: tuple[Request, ...]
    prompt_digest: str

    @property
    def item_id(self) -> str:
        variant = f"[{self.target.variant}]" if self.target.variant else ""
        return f"{self.suite.name}::{self.case.id}{variant}"


def first_messages(suite: Suite, case: Case, target: Target) -> list[Message | dict[str, Any]]:
    """The template's messages, with the case's ``history`` after its leading system (or
    developer) messages."""
    try:
        rendered = suite.prompts.render(
            target.prompt,
            {**target.vars, **case.vars},
            base=suite.path.parent,
            root=suite.settings.root,
        )
    except TemplateError as exc:
        raise TemplateError(
            f"{exc.message} (case {case.id!r} at {case.file}:{case.line})", exc.file, exc.line
        ) from None
    lead = 0
    while lead < len(rendered) and rendered[lead].role in ("system", "developer"):
        lead += 1
    return [*rendered[:lead], *case.history, *rendered[lead:]]


def turn_request(
    target: Target, messages: Sequence[Message | dict[str, Any]], sample: int
) -> Request:
    """One model turn of a case: its messages so far, sent with the target's settings."""
    return build_request(
        model=target.model,
        api=target.api,
        messages=messages,
        params=target.params,
        schema=target.schema_model,
        structured=target.structured,
        sample=sample,
        tools=target.tools,
        tool_choice=target.tool_choice,
        parallel_tool_calls=target.parallel_tool_calls,
        stream=target.stream,
    )


def plan_case(suite: Suite, case: Case, variant: str | None = None) -> PlannedCase:
    target = suite.target(variant)
    messages = first_messages(suite, case, target)
    requests = tuple(turn_request(target, messages, sample) for sample in range(suite.repeat))
    return PlannedCase(suite, case, target, requests, suite.prompts.digest(target.prompt))


def plan(suite: Suite, variant: str | None = None) -> list[PlannedCase]:
    return [plan_case(suite, case, variant) for case in suite.cases]
