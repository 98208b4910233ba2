"""Case × Target → the requests to answer, rendered up front.

Planning renders every case's requests before any is sent, so a missing variable or a bad
template is a configuration error (exit 2) before the run spends anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TemplateError
from .requests import Request, build_request
from .shard import Shard
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


def plan_case(suite: Suite, case: Case, variant: str | None = None) -> PlannedCase:
    target = suite.target(variant)
    try:
        messages = suite.prompts.render(target.prompt, {**target.vars, **case.vars})
    except TemplateError as exc:
        raise TemplateError(
            f"{exc.message} (case {case.id!r} at {case.file}:{case.line})", exc.file, exc.line
        ) from None
    requests = tuple(
        build_request(
            model=target.model,
            api=target.api,
            messages=messages,
            params=target.params,
            schema=target.schema_model,
            structured=target.structured,
            sample=sample,
        )
        for sample in range(suite.repeat)
    )
    return PlannedCase(suite, case, target, requests, suite.prompts.digest(target.prompt))


def plan(suite: Suite, variant: str | None = None, shard: Shard | None = None) -> list[PlannedCase]:
    """Every case of ``suite`` under ``variant`` (only ``shard``'s share when given)."""
    return [
        plan_case(suite, case, variant)
        for case in suite.cases
        if shard is None or shard.owns(suite.name, case.id)
    ]
