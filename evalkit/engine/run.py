"""Planning and running cases: the one engine both the CLI and the pytest plugin use.

Planning renders every case's requests up front, so a missing variable or a bad template
is a configuration error (exit 2) before any request is sent. Running answers each request
through the mode (recording, API, or recording-then-API), applies the checks, and hands
each finished case to a callback at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import tokens
from ..checks import Observation, Outcome, evaluate
from ..checks.snapshot import serialize
from ..config import Mode, Settings
from ..errors import (
    CaseError,
    CircuitOpen,
    RecordingMissing,
    TemplateError,
    display_path,
)
from ..pricing import cost_usd
from ..requests import Request, build_messages, build_request
from ..results import CaseResult, CheckResult, SampleResult
from ..snapshots import SnapshotStore, snapshot_variant
from ..suite import Case, Suite, Target
from .auxiliary import Auxiliary
from .limits import CircuitBreaker, LiveStats, RateLimiter, RetryPolicy
from .recordings import RecordingStore
from .response import Response

if TYPE_CHECKING:
    from .live import LiveClient

NO_RECORDING = (
    "no recording for this request: the prompt, model or params changed; "
    "run with --evalkit-mode=record (or `evalkit record`)"
)


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
    prompts = suite.prompts
    try:
        messages = build_messages(target, case, prompts)
    except TemplateError as exc:
        raise TemplateError(
            f"{exc.message} (case {case.id!r} at {case.file}:{case.line})", exc.file, exc.line
        ) from None
    requests = tuple(build_request(target, messages, sample) for sample in range(suite.repeat))
    return PlannedCase(suite, case, target, requests, prompts.digest(target.prompt))


def plan(suite: Suite, variant: str | None = None) -> list[PlannedCase]:
    return [plan_case(suite, case, variant) for case in suite.cases]


class BudgetExceeded(CaseError):
    """The estimated input is over the case's input_tokens budget: not worth sending."""


class Engine:
    """Answers planned cases under one mode; holds the single API client of the process."""

    def __init__(
        self, settings: Settings, mode: Mode | None = None, store: RecordingStore | None = None
    ):
        self.settings = settings
        self.mode = mode or settings.mode
        self.store = store or RecordingStore(settings.snapshots_dir / "recordings")
        self.stats = LiveStats()
        self.breaker = CircuitBreaker(settings.breaker_window, settings.breaker_threshold)
        self._limiter = RateLimiter(settings.rpm, settings.tpm)
        self._policy = RetryPolicy(
            settings.max_retries, settings.retry_base_s, settings.retry_cap_s
        )
        self._live: LiveClient | None = None
        self.auxiliary = Auxiliary(self)
        self.snapshots = SnapshotStore(settings.snapshots_dir / "outputs")

    @property
    def live(self) -> LiveClient:
        """The API client, created on first use: replay never imports or builds it."""
        if self._live is None:
            from .live import LiveClient

            self._live = LiveClient(
                self.settings, self.stats, self._limiter, self.breaker, self._policy
            )
        return self._live

    async def aclose(self) -> None:
        if self._live is not None:
            await self._live.aclose()

    async def answer(
        self, planned: PlannedCase, request: Request, *, check_budget: bool = True
    ) -> Response:
        suite, case = planned.suite.name, planned.case.id
        if self.mode in (Mode.REPLAY, Mode.RECORD):
            recorded = self.store.get(suite, case, request)
            if recorded is not None:
                return recorded
            if self.mode is Mode.REPLAY:
                raise RecordingMissing(NO_RECORDING)
        if check_budget:
            self._check_input_budget(planned, request)
        response = await self.live.send(request)
        if self.mode in (Mode.RECORD, Mode.RERECORD):
            self.store.put(suite, case, request, response)
        return response

    def _check_input_budget(self, planned: PlannedCase, request: Request) -> None:
        limits = [
            a.args.max
            for a in planned.case.asserts
            if a.type == "input_tokens" and not a.negate and a.weight > 0
        ]
        if limits:
            estimate = tokens.input_tokens(request.endpoint, request.body)
            if estimate > min(limits):
                raise BudgetExceeded(
                    f"estimated {estimate} input tokens exceed the input_tokens budget "
                    f"({min(limits):g}): the request was not sent"
                )

    def _result(
        self, planned: PlannedCase, samples: list[SampleResult], status: str = "done"
    ) -> CaseResult:
        # Results are assembled from values that are already typed, so they are built with
        # model_construct: validating them again costs more than replaying the case.
        passed_share = sum(s.passed for s in samples) / len(samples) if samples else 0.0
        return CaseResult.model_construct(
            suite=planned.suite.name,
            case=planned.case.id,
            variant=planned.target.variant,
            file=str(planned.case.file),
            line=planned.case.line,
            passed=bool(samples) and passed_share >= planned.suite.case_threshold,
            status=status,
            prompt=str(planned.target.prompt),
            prompt_digest=planned.prompt_digest,
            model_requested=planned.target.model,
            mode=self.mode.value,
            case_threshold=planned.suite.case_threshold,
            samples=samples,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def not_run(self, planned: PlannedCase, why: str) -> CaseResult:
        return self._result(planned, [], status=f"not run: {why}")

    async def run_case(self, planned: PlannedCase) -> CaseResult:
        samples = []
        try:
            for request in planned.requests:
                samples.append(await self._sample(planned, request))
        except CircuitOpen:
            return self.not_run(planned, "circuit open")
        finally:
            self.store.forget(planned.suite.name, planned.case.id)  # saves what was recorded
        return self._result(planned, samples)

    async def _sample(self, planned: PlannedCase, request: Request) -> SampleResult:
        try:
            response = await self.answer(planned, request)
        except CircuitOpen:
            raise
        except CaseError as exc:
            return SampleResult(
                sample=request.sample, passed=False, error=str(exc), request_key=request.key
            )
        cost = cost_usd(
            planned.target.model,
            response.input_tokens,
            response.cached_tokens,
            response.output_tokens,
            self.settings.prices,
        )
        obs = Observation(
            text=response.text,
            vars={**planned.target.vars, **planned.case.vars},
            case_id=planned.case.id,
            suite=planned.suite.name,
            schema=planned.target.schema_model,
            finish_reason=response.finish_reason,
            input_tokens=response.input_tokens,
            cached_tokens=response.cached_tokens,
            output_tokens=response.output_tokens,
            cost_usd=cost,
            latency_ms=response.latency_ms,
            model=planned.target.model,
        )
        try:
            aux = await self.auxiliary.fetch(planned, obs)
        except CircuitOpen:
            raise
        except CaseError as exc:
            return SampleResult(
                sample=request.sample,
                passed=False,
                output=response.text,
                error=str(exc),
                request_key=request.key,
            )
        snapshot_path = None
        if any(spec.type == "snapshot" for spec in planned.case.asserts):
            variant = snapshot_variant(planned.target.variant)
            snapshot_path = self.snapshots.path(
                planned.suite.name, planned.case.id, variant, request.sample
            )
            obs.snapshot, obs.snapshot_path = (
                self.snapshots.read(snapshot_path),
                display_path(snapshot_path),
            )
        checks = []
        for index, spec in enumerate(planned.case.asserts):
            outcome = evaluate(spec, obs)
            if (
                spec.type == "snapshot"
                and not outcome.passed
                and self.settings.update_snapshots
                and snapshot_path
            ):
                self.snapshots.write(snapshot_path, serialize(obs, spec.args))
                outcome = Outcome(
                    True,
                    f"snapshot {'updated' if obs.snapshot is not None else 'written'}: {obs.snapshot_path}",
                )
            checks.append(
                CheckResult.model_construct(
                    index=index,
                    type=spec.describe(),
                    path=spec.path,
                    passed=outcome.passed,
                    score=outcome.score,
                    weight=spec.weight,
                    message=outcome.message,
                    line=spec.line,
                )
            )
        return SampleResult.model_construct(
            sample=request.sample,
            passed=all(c.passed for c in checks if c.weight > 0),
            output=response.text,
            checks=checks,
            request_key=request.key,
            request_id=response.request_id,
            model=response.model,
            source="recording" if response.replayed else "api",
            latency_ms=response.latency_ms,
            input_tokens=response.input_tokens,
            cached_tokens=response.cached_tokens,
            output_tokens=response.output_tokens,
            cost_usd=cost,
            finish_reason=response.finish_reason,
            retries=response.retries,
            aux=aux,
        )

    async def run(
        self,
        cases: Iterable[PlannedCase],
        on_result: Callable[[CaseResult], None] | None = None,
        *,
        close: bool = True,
    ) -> list[CaseResult]:
        """Run cases with bounded concurrency; each result is handed to ``on_result`` as it
        finishes (and only then kept in the returned list when there is no callback, so a
        long run holds only what is in flight). ``close=False`` keeps the API client open
        for further runs on the same event loop."""
        results: list[CaseResult] = []
        emit = on_result if on_result is not None else results.append
        queue = iter(cases)

        async def worker() -> None:
            for planned in queue:  # the workers share one iterator: each case runs once
                if self.breaker.opened:
                    emit(self.not_run(planned, "circuit open"))
                else:
                    emit(await self.run_case(planned))

        if self.mode.calls_api:
            _ = self.live.client  # a missing key is a usage error before any case starts
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


__all__ = ["Engine", "PlannedCase", "plan", "plan_case"]
