"""``evalkit diff A B``: the same cases run (or replayed) under two variants, then compared.

Both sides run in one session (one engine) on one event loop (one set of API clients). The comparison is
streamed: side A's results are folded into slim records as they finish, side B's compared
against them as they finish, so a diff of 100,000 cases a side holds neither side (unless
the viewer page is asked for, which shows every case)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..checks.calibration import judge_notes
from ..compare.diff import LIMIT, Comparer, DiffReport
from ..project.open import open_project
from ..results import CaseResult
from .session import ephemeral


def run_both(
    suites: Sequence[str | Path],
    a: str,
    b: str,
    overrides: dict[str, Any],
    *,
    keep: bool = False,
    limit: int | None = LIMIT,
) -> tuple[DiffReport, list[list[CaseResult]]]:
    """The comparison, and with ``keep`` both sides' whole results (the viewer shows why
    cases failed; then every case diff is listed too). ``limit``: see :class:`Comparer`."""
    project = open_project(suites, overrides)
    plans = [project.plan(a), project.plan(b)]  # bad variants stop here, before any call
    session = ephemeral(project.settings, "diff")
    comparer = Comparer(a, b, limit=None if keep else limit)
    sides: list[list[CaseResult]] = [[], []]
    judges: dict[str, None] = {}

    def feeder(
        add: Callable[[CaseResult], None], kept: list[CaseResult], label: str
    ) -> Callable[[CaseResult], None]:
        def on_result(result: CaseResult) -> None:
            add(result)
            judges.update(dict.fromkeys(f"{label}: {n}" for n in judge_notes(result)))
            if keep:
                kept.append(result)

        return on_result

    async def both() -> None:
        try:
            await session.run(feeder(comparer.add_a, sides[0], a), plans[0], close=False)
            await session.run(feeder(comparer.add_b, sides[1], b), plans[1], close=False)
        finally:
            await session.aclose()

    asyncio.run(both())
    report = comparer.finish()
    report.judges = list(judges)
    return report, sides
