"""A run of suites into a run folder: what ``evalkit run`` (and ``record``, ``--resume``)
does, as a library, so the CLI only parses and prints, and ``evalkit init`` records its
example without re-entering the CLI.

A session plans the cases (variants, resume), creates or reopens the run folder and its
metadata, runs the engine with every finished case appended to the results file at once,
and folds the verdicts and figures as it goes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks.snapshot_store import SnapshotReport, snapshot_variant
from ..config import Mode, find_root, load_settings
from ..engine.run import Engine
from ..project.open import Project, open_project
from ..project.plan import Plan
from ..project.shard import Shard
from ..results import CaseResult, Figures, SuiteSummary, Verdicts
from ..results.folder import (
    RunMeta,
    RunWriter,
    create_run,
    find_run,
    new_run_id,
    read_meta,
    results_file,
)
from .runsets import RunSet, by_item

# Settings a run folder remembers, so --resume runs the way the run started.
_REMEMBERED = (
    "mode",
    "concurrency",
    "timeout_s",
    "max_retries",
    "rpm",
    "tpm",
    "update_snapshots",
    "max_cost_usd",
    "batch_fallback",
    "batch_rounds",
)


@dataclass
class Session:
    project: Project
    engine: Engine
    planned: Plan
    folder: Path
    meta: RunMeta
    finished_before: int = 0
    whole: bool = True  # every case of the planned suites runs in this session
    verdicts: Verdicts = field(default_factory=Verdicts)
    figures: Figures = field(default_factory=Figures)
    done: int = 0
    skipped_lines: list[int] = field(default_factory=list)

    @property
    def results_path(self) -> Path:
        return results_file(self.folder)

    @classmethod
    def start(
        cls,
        suites: Sequence[str | Path],
        overrides: dict[str, Any],
        *,
        variant: str | None = None,
        all_variants: bool = False,
        run_id: str | None = None,
        replace: bool = False,
        front: str = "cli",
        shard: Shard | None = None,
    ) -> Session:
        project = open_project(suites, overrides)
        planned = (
            project.plan_all_variants(shard) if all_variants else project.plan(variant, shard=shard)
        )
        engine = Engine(project.settings)
        meta = RunMeta(
            run_id=run_id or new_run_id(),
            front=front,
            mode=engine.mode,
            variant=variant,
            all_variants=all_variants,
            suites=[str(s.path) for s in project.suites],
            overrides={k: v for k, v in overrides.items() if k in _REMEMBERED and v is not None},
            cases=len(planned),
            shard=str(shard) if shard else None,
        )
        if engine.guard is not None:
            engine.check_cost(planned)  # over the cap: not started, no run folder
        folder = create_run(project.settings.results_dir, meta, replace=replace)
        engine.attach_run(folder, meta.run_id)
        # a shard runs part of each suite: unused snapshots are for the union to judge
        return cls(project, engine, planned, folder, meta, whole=shard is None)

    @classmethod
    def resume(cls, ref: str, overrides: dict[str, Any]) -> Session:
        """Reopen a run (whichever front started it) and plan only what did not finish."""
        base = load_settings(find_root(Path.cwd()), {"results": overrides.get("results")})
        folder = find_run(ref, base.results_dir)
        meta = read_meta(folder)
        given = {k: v for k, v in overrides.items() if v is not None}
        project = open_project(meta.suites, {**meta.overrides, "mode": meta.mode, **given})
        shard = Shard.parse_optional(meta.shard, "the run's shard")
        # the finished cases are folded as they are read, not held (a run may be big)
        verdicts, figures, done = Verdicts(), Figures(), set()
        runs = RunSet([ref], [folder], [meta])
        for result in runs.union(by_item, empty_ok=True):
            if result.ran and result.error is None:
                verdicts.add(result.outcome())
                figures.add(result)
                done.add(result.item_id)
        planned = (
            project.plan_all_variants(shard, skip=done)
            if meta.all_variants
            else project.plan(meta.variant, shard=shard, skip=done)
        )
        engine = Engine(project.settings)
        engine.attach_run(folder, meta.run_id)  # re-attaches to its batches, counts its spend
        if engine.guard is not None:
            engine.check_cost(planned)
        return cls(
            project,
            engine,
            planned,
            folder,
            meta,
            finished_before=len(done),
            whole=False,
            verdicts=verdicts,
            figures=figures,
            skipped_lines=sorted(runs.skipped.get(0, [])),
        )

    def fold(self, result: CaseResult) -> None:
        self.verdicts.add(result.outcome())
        self.figures.add(result)

    async def run(self, on_result: Callable[[CaseResult], None] | None = None) -> None:
        """Run what is planned; each finished case is written, folded, then handed on."""
        with RunWriter(self.folder, self.project.settings.secret_names()) as writer:

            def finished(result: CaseResult) -> None:
                writer.write(result)
                self.fold(result)
                self.done += 1
                if on_result is not None:
                    on_result(result)

            await self.engine.run(self.planned, finished, check_cost=False)

    def run_sync(self, on_result: Callable[[CaseResult], None] | None = None) -> None:
        asyncio.run(self.run(on_result))

    def summaries(self) -> list[SuiteSummary]:
        return self.verdicts.summaries()

    @property
    def passed(self) -> bool:
        return self.verdicts.passed and not self.engine.breaker.opened

    def snapshots(self) -> SnapshotReport:
        """Written snapshots, and unused ones when whole suites ran (deleted on update)."""
        if not self.whole:
            return SnapshotReport(written=list(self.engine.snapshots.written))
        ran = {
            (suite.name, snapshot_variant(suite.target(variant).variant))
            for suite, variant in self.planned.planned_parts()
        }
        return self.engine.snapshots.finish(ran)


def record_project(folder: Path, base_url: str, *, results: Path) -> Session:
    """Re-record every suite and variant of the project in ``folder`` against the server at
    ``base_url`` (used by ``evalkit init`` with the bundled testing server)."""
    overrides: dict[str, Any] = {
        "mode": Mode.RERECORD,
        "update_snapshots": True,
        "results": results,
        "servers": {"*": {"base_url": base_url}},
    }
    session = Session.start([folder / "suites"], overrides, all_variants=True, front="init")
    session.run_sync()
    return session
