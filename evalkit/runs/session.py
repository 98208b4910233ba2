"""A run of a project into a run folder: the one object both fronts drive.

A session owns a run's life, as syrupy's does: the engine (one per run, so one set of API
clients, one limiter, one breaker), the run folder and its metadata, the results file every
finished case is appended to at once, the verdicts and figures folded as cases finish, the
redactor every outward text passes through, and, at the end, which snapshots were accepted
or are unused (a snapshot is only ever deleted when every case of its suite ran).

- ``evalkit run`` plans every case up front: :meth:`Session.start`, or :meth:`Session.resume`
  for an interrupted run (whichever front began it), then :meth:`run`;
- ``pytest --evalkit`` opens a session per project root with :meth:`Session.open` when it
  first runs a case, and calls :meth:`run` once per suite (or per item under xdist);
- ``evalkit diff v1 v2`` runs both variants in one session (:func:`run_both`).

A big replay is shared with helper processes (runs/forked.py): ``evalkit run`` calls
:meth:`share` before its display starts, then :meth:`run`; pytest calls :meth:`share` with a
suite's cases, waits for each item's case through :attr:`shared`, and ends with
:meth:`end_shared`.

Fronts read what they show from the session (``stats``, ``stopped``, ``summaries``,
``snapshots``); they never touch the engine or the SDK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checks.snapshot_store import SnapshotReport, snapshot_variant
from ..config import Mode, Settings, find_root, load_settings
from ..engine.limits import LiveStats  # the counters a display reads
from ..engine.run import Engine
from ..io.redaction import Redactor
from ..project.open import Project, open_project
from ..project.plan import Plan, PlannedCase
from ..project.recordings import RecordingStore
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
from .forked import Deliver, Helpers, processes_for

if TYPE_CHECKING:
    from ..engine.batch import BatchProgress  # what a display follows in a batch run

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


def remembered(overrides: dict[str, Any]) -> dict[str, Any]:
    """The settings given as flags that a run folder keeps for ``--resume``."""
    return {k: v for k, v in overrides.items() if k in _REMEMBERED and v is not None}


@dataclass
class Session:
    settings: Settings
    engine: Engine
    meta: RunMeta
    folder: Path | None = None  # created by open()/start(), or at the first run (pytest)
    project: Project | None = None
    # what start()/resume() planned; pytest passes its cases to run() instead
    planned: Plan = field(default_factory=lambda: Plan([]))
    finished_before: int = 0
    whole: bool = True  # every case of the planned suites runs in this session
    verdicts: Verdicts = field(default_factory=Verdicts)
    figures: Figures = field(default_factory=Figures)
    done: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    ran_suites: set[tuple[str, str | None]] = field(default_factory=set)
    redact: Redactor = field(default_factory=Redactor)
    keep: bool = True  # False: nothing is written (a diff's two sides, a hand-written test)
    _writer: RunWriter | None = None
    _replace: bool = False
    _helpers: Helpers | None = None  # forked by share(); ended by run() or end_shared()
    helpers_failed: list[int] = field(default_factory=list)  # exit codes of helpers that died

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: Settings,
        meta: RunMeta,
        *,
        folder: Path | None = None,
        create: bool = False,
        replace: bool = False,
        keep: bool = True,
        store: RecordingStore | None = None,
    ) -> Session:
        """A session for ``settings``: its engine (the only place one is made), and its run
        folder (``folder`` to reopen one; ``create`` to make it now, else at the first
        :meth:`run`; with ``keep=False`` none: results are only handed on; ``store``: the
        recordings, when not the project's own, e.g. the calibrations')."""
        session = cls(
            settings,
            Engine(settings, store=store),
            meta,
            folder,
            redact=Redactor(settings.secret_names()),  # compiled once: it runs per item
            keep=keep,
            _replace=replace,
        )
        if folder is not None:
            session.engine.attach_run(folder, meta.run_id)  # its batches, its spend
        elif create:
            session.ensure_folder()
        return session

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
        """Open the project at ``suites``, plan every case, and create the run folder (not
        when the cost cap refuses the plan: then nothing is written)."""
        project = open_project(suites, overrides)
        planned = (
            project.plan_all_variants(shard)
            if all_variants
            else project.plan(variant, shard=shard, only_defining=True)
        )
        meta = RunMeta(
            run_id=run_id or new_run_id(),
            front=front,
            mode=project.settings.mode,
            variant=variant,
            all_variants=all_variants,
            suites=[str(s.path) for s in project.suites],
            overrides=remembered(overrides),
            cases=len(planned),
            shard=str(shard) if shard else None,
        )
        session = cls.open(project.settings, meta, replace=replace)
        session.project, session.planned = project, planned
        session.whole = shard is None  # a shard's unused snapshots are for the union to judge
        session.check_cost(planned)  # over the cap: not started, no run folder
        session.ensure_folder()
        return session

    @classmethod
    def resume(cls, ref: str, overrides: dict[str, Any]) -> Session:
        """Reopen a run (whichever front started it) and plan only what did not finish."""
        base = load_settings(find_root(Path.cwd()), {"results": overrides.get("results")})
        folder = find_run(ref, base.results_dir)
        meta = read_meta(folder)
        given = {k: v for k, v in overrides.items() if v is not None}
        project = open_project(meta.suites, {**meta.overrides, "mode": meta.mode, **given})
        shard = Shard.parse_optional(meta.shard, "the run's shard")
        session = cls.open(project.settings, meta, folder=folder)
        # the finished cases are folded as they are read, not held (a run may be big)
        done: set[str] = set()
        from .runsets import RunSet, by_item  # a resume only: it loads the comparer

        runs = RunSet([ref], [folder], [meta])
        for result in runs.union(by_item, empty_ok=True):
            if result.ran and result.error is None:
                session.fold(result)
                done.add(result.item_id)
        session.project = project
        session.planned = (
            project.plan_all_variants(shard, skip=done)
            if meta.all_variants
            else project.plan(meta.variant, shard=shard, skip=done, only_defining=True)
        )
        session.finished_before, session.whole = len(done), False
        session.skipped_lines = sorted(runs.skipped.get(0, []))
        session.check_cost(session.planned)
        return session

    def ensure_folder(self) -> Path:
        """The run folder, created (with its run.json) the first time it is needed."""
        if self.folder is None:
            self.folder = create_run(self.settings.results_dir, self.meta, replace=self._replace)
            self.engine.attach_run(self.folder, self.meta.run_id)
        return self.folder

    @property
    def results_path(self) -> Path:
        return results_file(self.ensure_folder())

    # -- running ---------------------------------------------------------------------

    def check_cost(self, cases: Sequence[PlannedCase]) -> None:
        """With a cost cap, a plan whose upper-bound cost is over it does not start."""
        if self.engine.guard is not None:
            self.engine.check_cost(cases)

    def fold(self, result: CaseResult) -> None:
        self.verdicts.add(result.outcome())
        self.figures.add(result)

    async def run(
        self,
        on_result: Callable[[CaseResult], None] | None = None,
        cases: Iterable[PlannedCase] | None = None,
        *,
        close: bool = True,
    ) -> None:
        """Run ``cases`` (default: what was planned); each finished case is written to the
        results file at once, folded into the verdicts, then handed to ``on_result``.
        ``close=False`` keeps the API clients open for more runs on the same event loop."""
        todo = self.planned if cases is None else cases
        if cases is not None and isinstance(cases, Sequence):
            self.check_cost(cases)
        kept = self.keeper(on_result)
        helpers = self._helpers if cases is None else None  # a run of the plan shares it
        if helpers is not None:
            self._helpers = None
        try:
            if helpers is None:
                await self.engine.run(todo, kept, close=close, check_cost=False)
            else:
                await self._run_shared(helpers, kept, close=close)
        finally:
            if helpers is not None:
                helpers.stop(kept)  # an interrupt or an error: keep what the helpers sent
            if close:
                self.close_writer()

    def keeper(self, on_result: Callable[[CaseResult], None] | None = None) -> Deliver:
        """What keeps a finished case: written to the results file at once (a line a
        helper process encoded is written as sent), folded, then handed to ``on_result``."""
        writer = self._open_writer()

        def kept(result: CaseResult, line: str | None = None) -> None:
            if writer is not None:  # at once: an interrupted run loses no finished case
                writer.write_line(line if line is not None else writer.encode(result))
            self.fold(result)
            self.done += 1
            if on_result is not None:
                on_result(result)

        return kept

    # -- a replay shared with helper processes (runs/forked.py) --------------------------

    def share(self, cases: Sequence[PlannedCase] | None = None) -> int:
        """Before any thread starts (a display's): fork helper processes to share a big
        replay of ``cases`` (default: what was planned; runs/forked.py says when, and how).
        The number of processes that will run cases."""
        todo = self.planned if cases is None else cases
        count = processes_for(self.settings, self.engine.mode, len(todo))
        if count > 1 and self._helpers is None and (writer := self._open_writer()) is not None:
            if cases is not None:  # a plan was checked when it was made (start, resume)
                self.check_cost(cases)  # before any fork: a run over the cap does not start
            self._helpers = Helpers.fork(self.engine, todo, writer, count)
        return 1 + len(self._helpers.helpers) if self._helpers is not None else 1

    @property
    def shared(self) -> Helpers | None:
        """The helpers :meth:`share` forked, until a run of them ends."""
        return self._helpers

    def end_shared(
        self, kept: Deliver, run_here: Callable[[list[PlannedCase]], None], *, stop: bool = False
    ) -> None:
        """End a shared replay driven case by case (pytest): wait for the helpers and run
        here what none reported, or (``stop``: an interrupt) stop them; either way keep what
        they sent and fold in their snapshot state."""
        helpers, self._helpers = self._helpers, None
        if helpers is None:
            return
        if stop:
            helpers.stop(kept)
        else:
            helpers.finish_here(kept, run_here)
        self.helpers_failed += helpers.failed
        helpers.merge_snapshots(self.engine.snapshots)

    async def _run_shared(self, helpers: Helpers, kept: Deliver, *, close: bool) -> None:
        await self.engine.run(helpers.own_share(kept), kept, close=False, check_cost=False)
        missing = await helpers.finish(kept)  # what a helper that died left: run here
        self.helpers_failed += helpers.failed
        helpers.merge_snapshots(self.engine.snapshots)
        await self.engine.run(missing, kept, close=close, check_cost=False)

    def _open_writer(self) -> RunWriter | None:
        if self.keep and self._writer is None:
            self._writer = RunWriter(self.ensure_folder(), self.settings.secret_names())
        return self._writer

    def run_sync(self, on_result: Callable[[CaseResult], None] | None = None) -> None:
        asyncio.run(self.run(on_result))

    def close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def aclose(self) -> None:
        """Close the API clients and the results file (a session used with close=False)."""
        self.close_writer()
        await self.engine.aclose()

    # -- what fronts show ----------------------------------------------------------

    @property
    def stats(self) -> LiveStats:
        """Live counters (requests, tokens, 429s) for a progress display."""
        return self.engine.stats

    @property
    def batch_progress(self) -> BatchProgress | None:
        """A batch run's progress (request counts, events), for a display to follow."""
        return self.engine.batch.progress if self.engine.batch is not None else None

    @property
    def stopped(self) -> str | None:
        """Why cases stopped being started (the circuit breaker, the cost cap), if they did."""
        return self.engine.stopped()

    @property
    def skipped_suites(self) -> list[str]:
        """Suites a run of a named variant skipped, because they do not define it."""
        if self.project is None or self.meta.all_variants:
            return []
        return [s.name for s in self.project.lacking(self.meta.variant)]

    def summaries(self) -> list[SuiteSummary]:
        return self.verdicts.summaries()

    @property
    def passed(self) -> bool:
        return self.verdicts.passed and not self.engine.breaker.opened

    def whole_suite_ran(self, suite: str, variant: str | None) -> None:
        """Every case of this suite under this variant ran here (pytest: a suite's items were
        all selected), so its unused snapshots may be reported and deleted."""
        self.ran_suites.add((suite, snapshot_variant(variant)))

    def snapshots(self) -> SnapshotReport:
        """Written snapshots, and unused ones where whole suites ran (deleted on update)."""
        if self.whole:
            for suite, variant in self.planned.planned_parts():
                self.whole_suite_ran(suite.name, suite.target(variant).variant)
        if not self.ran_suites:
            return SnapshotReport(written=list(self.engine.snapshots.written))
        return self.engine.snapshots.finish(
            sorted(self.ran_suites, key=lambda p: (p[0], p[1] or ""))
        )


def ephemeral(settings: Settings, front: str) -> Session:
    """A session that writes no run folder: its results are only handed on."""
    meta = RunMeta(run_id="", front=front, mode=settings.mode)
    return Session.open(settings, meta, keep=False)


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
