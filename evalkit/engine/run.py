"""The engine both fronts use: planned cases in, one result per case out, as each finishes.

It holds the run's answerer (the mode), the recordings, the snapshot store and the live
counters, runs cases with bounded concurrency, and hands every finished case to a callback
at once, so a long run holds only what is in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence, Sized
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..checks import CheckContext
from ..checks.snapshot_store import SnapshotStore
from ..config import Mode, Settings
from ..errors import CircuitOpen
from ..project.plan import Plan, PlannedCase
from ..project.recordings import Owner, RecordingStore
from ..project.suite import Suite
from ..results import CaseResult, SampleResult
from ..results.verdicts import Repeats, judge_case, not_run_reason, sample_not_run
from ..stats import Decision, design
from ..wire.pricing import Rate
from ..wire.request import Request
from .answerers import Answerer, answerer_for
from .limits import CircuitBreaker, LiveStats
from .sampling import run_sample

if TYPE_CHECKING:
    from .batch import Batch
    from .costcap import CostGuard
    from .live import Live


def repeats_of(suite: Suite) -> Repeats:
    """How ``suite`` samples, as the verdict rules read it."""
    return Repeats(
        suite.min_samples,
        suite.repeat,
        suite.case_threshold,
        suite.confidence,
        suite.on_inconclusive,
    )


_CASES_PER_TURN = 16  # finished cases between turns the engine gives the event loop


class Engine:
    """Answers planned cases under one mode."""

    def __init__(
        self, settings: Settings, mode: Mode | None = None, store: RecordingStore | None = None
    ):
        self.settings = settings
        self.mode = mode or settings.mode
        self.store = store or RecordingStore(settings.snapshots_dir / "recordings")
        self.stats = LiveStats()
        self.breaker = CircuitBreaker(settings.breaker_window, settings.breaker_threshold)
        self.snapshots = SnapshotStore(
            settings.snapshots_dir / "outputs", update=settings.update_snapshots
        )
        self.live: Live | None = None
        self.batch: Batch | None = None
        self.guard: CostGuard | None = None
        self.answerer: Answerer = answerer_for(
            self.mode,
            self.store,
            self._make_live,
            batch=self._make_batch,
            guard=self._make_guard if settings.max_cost_usd is not None else None,
        )

    def _make_live(self) -> Answerer:
        """The API, built only for modes that call it (replay never imports the SDK)."""
        from .live import Live

        self.live = Live(self.settings, self.stats, self.breaker)
        return self.live

    # -- batch runs and the cost cap (engine/batch.py, engine/costcap.py) --------------

    def _make_batch(self) -> Answerer:
        from .batch import Batch

        self._make_live()
        assert self.live is not None
        self.batch = Batch(self.settings, self.live)
        return self.batch

    def _make_guard(self, inner: Answerer) -> Answerer:
        from .costcap import CostGuard

        self.guard = CostGuard(inner, self.settings, self.rate)
        return self.guard

    @property
    def rate(self) -> Rate:
        """The rate a request sent by this run is charged at (at most)."""
        batch = self.mode is Mode.BATCH and self.settings.batch_fallback != "live"
        return "batch" if batch else "standard"

    def attach_run(self, folder: Path, run_id: str) -> None:
        """Keep the batch state and the spend in the run folder (a resumed run re-attaches
        to its batches and counts what it spent)."""
        if self.batch is not None:
            from .batchstate import BatchLedger

            self.batch.attach(BatchLedger(folder, run_id), run_id)
        if self.guard is not None:
            self.guard.attach(folder)

    def check_cost(self, cases: Sequence[PlannedCase]) -> None:
        """With a cost cap: a run whose upper-bound cost is over it does not start."""
        from .estimate import check_cap

        spent = self.guard.total_spent if self.guard is not None else 0.0
        check_cap(cases, self.settings, self.store, self.mode, self.rate, spent)

    def stopped(self) -> str | None:
        """Why the run starts no more cases: the circuit breaker, or the cost cap."""
        if self.breaker.opened:
            return "circuit open"
        if self.guard is not None and self.guard.tripped:
            return "cost cap"
        return None

    async def aclose(self) -> None:
        await self.answerer.aclose()

    def _result(
        self,
        planned: PlannedCase,
        samples: list[SampleResult],
        status: str = "done",
        error: str | None = None,
    ) -> CaseResult:
        # Results are built through validation: pydantic-core checks these typed values
        # faster than model_construct's Python loop assigns them (11 vs 18 us a case result).
        why = not_run_reason(status, samples)
        if why is not None:  # one definition of "did not run" (results/verdicts.py)
            status = f"not run: {why}"
        if why is not None or not all(s.answered for s in samples):
            self.snapshots.hold(planned.suite.name, planned.case.id, planned.target.variant)
        judged = judge_case(samples, repeats_of(planned.suite), error) if why is None else None
        request = planned.requests[0] if planned.requests else None
        body = request.body if request is not None else {}
        messages = body.get("messages", body.get("input", []))
        return CaseResult(
            suite=planned.suite.name,
            case=planned.case.id,
            variant=planned.target.variant,
            file=str(planned.case.file),
            line=planned.case.line,
            passed=judged.passed if judged is not None else False,
            status=status,
            error=error,
            prompt=str(planned.target.prompt),
            prompt_digest=planned.prompt_digest,
            model_requested=planned.target.model,
            mode=self.mode.value,
            case_threshold=planned.suite.case_threshold,
            threshold=planned.suite.threshold,
            verdict=judged.verdict if judged is not None else "",
            pass_rate=judged.pass_rate if judged is not None else None,
            interval=judged.interval if judged is not None else None,
            confidence=planned.suite.confidence,
            on_inconclusive=planned.suite.on_inconclusive,
            settle=judged.settle if judged is not None else None,
            samples=samples,
            messages=messages if isinstance(messages, list) else [],
            recording=self.store.relative(
                Owner(planned.suite.name, planned.case.id), self.settings.root
            ),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def not_run(self, planned: PlannedCase, why: str) -> CaseResult:
        return self._result(planned, [], status=f"not run: {why}")

    async def run_case(self, planned: PlannedCase) -> CaseResult:
        owner = Owner(planned.suite.name, planned.case.id)
        ctx = CheckContext(self.settings, planned.suite.prompts, self.snapshots)
        try:
            samples = await self._samples(planned, ctx)
        except CircuitOpen as exc:
            self.answerer.done(owner)
            return self.not_run(planned, getattr(exc, "why", "circuit open"))
        problem = self.answerer.done(owner)  # saves what was recorded
        return self._result(planned, samples, error=problem)

    async def _samples(self, planned: PlannedCase, ctx: CheckContext) -> list[SampleResult]:
        """The case's samples, one after another; in batch mode at once, so a repeat waits
        for one batch round, not one per sample. Adaptive repeats stop at the sample where
        the sequential design settles the verdict (:meth:`_adaptive`)."""
        if planned.suite.adaptive:
            return await self._adaptive(planned, ctx)
        return await self._some(planned, planned.requests, ctx)

    async def _some(
        self, planned: PlannedCase, requests: Sequence[Request], ctx: CheckContext
    ) -> list[SampleResult]:
        if self.mode is not Mode.BATCH or len(requests) < 2:
            return [await run_sample(self.answerer, planned, r, ctx) for r in requests]
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(run_sample(self.answerer, planned, r, ctx)) for r in requests
                ]
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _adaptive(self, planned: PlannedCase, ctx: CheckContext) -> list[SampleResult]:
        """``repeat: {min, max}``: sample until the sequential design's decision is not
        "continue" (evalkit/stats/sequential.py), so clear cases cost ``min`` samples and
        only borderline ones up to ``max``. The decision depends on the counts alone, so a
        replay of the recorded samples stops where the recording run stopped.

        Live, samples are taken one at a time. A batch round can take hours, so batch mode
        asks for ``min`` samples first, then as many again as it has (doubling): the
        verdict is still read at the first sample where the design stops, and samples the
        round brought beyond it are left out of the case."""
        suite = planned.suite
        rule = design(suite.case_threshold, suite.repeat_min, suite.repeat, suite.confidence)
        samples: list[SampleResult] = []
        passes = 0
        while len(samples) < len(planned.requests):
            done = len(samples)
            size = 1 if self.mode is not Mode.BATCH else (done or suite.repeat_min)
            for sample in await self._some(planned, planned.requests[done : done + size], ctx):
                samples.append(sample)
                if sample_not_run(sample) is not None:
                    return samples  # the case did not run: sampling on cannot give it a verdict
                passes += sample.passed
                if rule.decide(passes, len(samples)) is not Decision.CONTINUE:
                    return samples
        return samples

    def preflight(self, cases: Iterable[PlannedCase]) -> None:
        """A missing key or a bad base URL is a usage error before any case starts (so is
        a batch run resumed under another key or endpoint)."""
        if self.live is not None:
            if isinstance(cases, Plan):
                self.live.preflight(cases.models())
            elif isinstance(cases, (list, tuple)):
                self.live.preflight([p.target.model for p in cases])
        if self.batch is not None:
            self.batch.preflight()

    async def run(
        self,
        cases: Iterable[PlannedCase],
        on_result: Callable[[CaseResult], None] | None = None,
        *,
        close: bool = True,
        check_cost: bool = True,
    ) -> list[CaseResult]:
        """Run cases with bounded concurrency; each result is handed to ``on_result`` as it
        finishes (and only kept in the returned list when there is no callback).
        ``close=False`` keeps the API clients open for further runs on the same loop.
        ``check_cost=False``: the caller checked the cost cap already. In batch mode every
        case is in flight at once (concurrency bounds live calls, and a batch waits for all)."""
        results: list[CaseResult] = []
        emit = on_result if on_result is not None else results.append
        queue = iter(cases)

        async def worker() -> None:
            # the workers share one iterator: each case runs once
            for done, planned in enumerate(queue, 1):
                why = self.stopped()
                if why:
                    emit(self.not_run(planned, why))
                else:
                    emit(await self.run_case(planned))
                # A replayed case never waits on I/O, so without this a replay would never
                # hand the loop a turn: Ctrl-C (a signal handler on the loop) would wait for
                # the whole run.
                if done % _CASES_PER_TURN == 0:
                    await asyncio.sleep(0)

        self.preflight(cases)
        # A replay waits on nothing, so more workers would only interleave: one runs the
        # cases in order and hands the loop a turn every few cases (so Ctrl-C is seen soon).
        workers = 1 if self.mode is Mode.REPLAY else self.settings.concurrency
        if isinstance(cases, Sized):  # no more workers than cases (pytest under xdist: one)
            workers = len(cases) if self.mode is Mode.BATCH else min(workers, len(cases))
        if check_cost and self.guard is not None and isinstance(cases, Sequence):
            self.check_cost(cases)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(worker())
        except BaseExceptionGroup as group:
            raise group.exceptions[0] from None  # an engine bug or interrupt, not a case failure
        finally:
            if close:
                await self.aclose()
        return results

    def run_sync(
        self,
        cases: Iterable[PlannedCase],
        on_result: Callable[[CaseResult], None] | None = None,
    ) -> list[CaseResult]:
        return asyncio.run(self.run(cases, on_result))


__all__ = ["Engine"]
