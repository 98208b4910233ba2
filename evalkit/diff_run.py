"""``evalkit diff A B``: the same cases run (or replayed) under two variants, then compared.

Both sides run on one engine and one event loop (one set of API clients), and each side
keeps only what a comparison needs of a result."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .diff import DiffReport, compare
from .engine.run import Engine
from .project import open_project
from .results import CaseResult


def slim(result: CaseResult) -> CaseResult:
    """What a diff needs of a result: verdicts, outputs and usage, not every check's message
    (a 10,000-case diff holds both sides at once)."""
    samples = [s.model_copy(update={"checks": [], "aux": []}) for s in result.samples]
    return result.model_copy(update={"samples": samples, "messages": []})


def _keeper(kept: list[CaseResult], whole: bool) -> Callable[[CaseResult], None]:
    return lambda result: kept.append(result if whole else slim(result))


def run_both(
    suites: Sequence[str | Path], a: str, b: str, overrides: dict[str, Any], *, keep: bool = False
) -> tuple[DiffReport, list[list[CaseResult]]]:
    """Both sides' results and their comparison; ``keep`` keeps whole results (the viewer
    shows why cases failed), else only what a comparison needs."""
    project = open_project(suites, overrides)
    plans = [project.plan(a), project.plan(b)]  # bad variants stop here, before any call
    engine = Engine(project.settings)
    sides: list[list[CaseResult]] = [[], []]

    async def both() -> None:
        try:
            for planned, kept in zip(plans, sides, strict=True):
                await engine.run(planned, _keeper(kept, keep), close=False)
        finally:
            await engine.aclose()

    asyncio.run(both())
    return compare(sides[0], sides[1], a, b), sides
