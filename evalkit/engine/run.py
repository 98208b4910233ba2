"""The engine both fronts use: planned cases in, one result per case out, as each finishes.

It holds the run's answerer (the mode), the recordings, the snapshot store and the live
counters, runs cases with bounded concurrency, and hands every finished case to a callback
at once, so a long run holds only what is in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..checks import CheckContext
from ..config import Mode, Settings
from ..errors import CircuitOpen, display_path
from ..planning import Plan, PlannedCase
from ..results import CaseResult, SampleResult, case_passed
from ..snapshots import SnapshotStore
from .answerers import Answerer, answerer_for
from .limits import CircuitBreaker, LiveStats
from .recordings import Owner, RecordingStore
from .sampling import run_sample

if TYPE_CHECKING:
    from .live import Live


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
        self.answerer: Answerer = answerer_for(self.mode, self.store, self._make_live)

    def _make_live(self) -> Answerer:
        """The API, built only for modes that call it (replay never imports the SDK)."""
        from .live import Live

        self.live = Live(self.settings, self.stats, self.breaker)
        return self.live

    async def aclose(self) -> None:
        await self.answerer.aclose()

    def _result(
        self,
        planned: PlannedCase,
        samples: list[SampleResult],
        status: str = "done",
        error: str | None = None,
    ) -> CaseResult:
        # Results are assembled from values that are already typed, so they are built with
        # model_construct: validating them again costs more than replaying the case.
        request = planned.requests[0] if planned.requests else None
        body = request.body if request is not None else {}
        messages = body.get("messages", body.get("input", []))
        return CaseResult.model_construct(
            suite=planned.suite.name,
            case=planned.case.id,
            variant=planned.target.variant,
            file=str(planned.case.file),
            line=planned.case.line,
            passed=status == "done" and case_passed(samples, planned.suite.case_threshold, error),
            status=status,
            error=error,
            prompt=str(planned.target.prompt),
            prompt_digest=planned.prompt_digest,
            model_requested=planned.target.model,
            mode=self.mode.value,
            case_threshold=planned.suite.case_threshold,
            threshold=planned.suite.threshold,
            samples=samples,
            messages=messages if isinstance(messages, list) else [],
            recording=display_path(self.store.path(Owner(planned.suite.name, planned.case.id))),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def not_run(self, planned: PlannedCase, why: str) -> CaseResult:
        return self._result(planned, [], status=f"not run: {why}")

    async def run_case(self, planned: PlannedCase) -> CaseResult:
        owner = Owner(planned.suite.name, planned.case.id)
        ctx = CheckContext(self.settings, planned.suite.prompts, self.snapshots)
        samples = []
        try:
            for request in planned.requests:
                samples.append(await run_sample(self.answerer, planned, request, ctx))
        except CircuitOpen:
            self.answerer.done(owner)
            return self.not_run(planned, "circuit open")
        problem = self.answerer.done(owner)  # saves what was recorded
        return self._result(planned, samples, error=problem)

    def preflight(self, cases: Iterable[PlannedCase]) -> None:
        """A missing key or a bad base URL is a usage error before any case starts."""
        if self.live is None:
            return
        if isinstance(cases, Plan):
            self.live.preflight(cases.models())
        elif isinstance(cases, (list, tuple)):
            self.live.preflight([p.target.model for p in cases])

    async def run(
        self,
        cases: Iterable[PlannedCase],
        on_result: Callable[[CaseResult], None] | None = None,
        *,
        close: bool = True,
    ) -> list[CaseResult]:
        """Run cases with bounded concurrency; each result is handed to ``on_result`` as it
        finishes (and only kept in the returned list when there is no callback).
        ``close=False`` keeps the API clients open for further runs on the same loop."""
        results: list[CaseResult] = []
        emit = on_result if on_result is not None else results.append
        queue = iter(cases)

        async def worker() -> None:
            for planned in queue:  # the workers share one iterator: each case runs once
                if self.breaker.opened:
                    emit(self.not_run(planned, "circuit open"))
                else:
                    emit(await self.run_case(planned))

        self.preflight(cases)
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.settings.concurrency):
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
