"""One sample of one case: answer its request, fetch what its checks need, judge it.

Everything a sample asks for goes through the run's answerer. A check whose own call
fails (a judge server down, an embedding missing from the recordings) fails alone, with
its name in the message; the sample's other checks are still evaluated, and its answer,
tokens and latency are kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..checks import AssertionSpec, CheckContext, CheckFailed, Observation, Outcome, evaluate
from ..errors import CaseError, CircuitOpen
from ..project.plan import PlannedCase
from ..project.recordings import Owner
from ..results import AuxCall, CheckResult, SampleResult, TurnResult, sample_passed
from ..wire.pricing import cost_usd
from ..wire.request import Request
from ..wire.response import Response
from .answerers import Answered, Answerer
from .turns import Trajectory, run_turns


def _refusal(planned: PlannedCase, request: Request) -> str | None:
    for spec in planned.case.asserts:
        reason = spec.check.refuse(spec, request)
        if reason:
            return reason
    return None


def observe(
    planned: PlannedCase, request: Request, trajectory: Trajectory, cost: float | None
) -> Observation:
    final = trajectory.final
    return Observation(
        text=final.text,
        vars={**planned.target.vars, **planned.case.vars},
        case_id=planned.case.id,
        suite=planned.suite.name,
        variant=planned.target.variant,
        sample=request.sample,
        schema=planned.target.schema_model,
        finish_reason=final.finish_reason,
        input_tokens=trajectory.total("input_tokens"),
        cached_tokens=trajectory.total("cached_tokens"),
        output_tokens=trajectory.total("output_tokens"),
        cost_usd=cost,
        latency_ms=trajectory.latency_ms,
        model=planned.target.model,
        ttft_ms=trajectory.ttft_ms,
        turns=len(trajectory.turns),
        tool_calls=trajectory.calls,
        tools={t.name: t for t in planned.target.tools},
        structured=planned.target.declared_structured,
    )


def _cost(trajectory: Trajectory, model: str, ctx: CheckContext) -> float | None:
    total: float | None = 0.0
    for turn in trajectory.turns:
        r = turn.response
        cost = cost_usd(
            model, r.input_tokens, r.cached_tokens, r.output_tokens, ctx.settings.prices, r.rate
        )
        total = None if cost is None or total is None else total + cost
    return total


def _turn_results(trajectory: Trajectory) -> list[TurnResult]:
    if len(trajectory.turns) < 2 and not trajectory.calls:
        return []
    return [
        TurnResult(
            turn=number,
            output=turn.response.text,
            tool_calls=[c.as_data() for c in turn.calls],
            tool_results=[{"id": c.id, "name": c.name, "result": text} for c, text in turn.results],
            request_key=turn.request.key,
            request_id=turn.response.request_id,
            latency_ms=turn.response.latency_ms,
            ttft_ms=turn.response.ttft_ms,
            input_tokens=turn.response.input_tokens,
            output_tokens=turn.response.output_tokens,
            finish_reason=turn.response.finish_reason,
        )
        for number, turn in enumerate(trajectory.turns)
    ]


async def _fetch(
    answerer: Answerer,
    owner: Owner,
    planned: PlannedCase,
    obs: Observation,
    ctx: CheckContext,
) -> tuple[dict[int, list[str]], dict[str, Answered], dict[str, str]]:
    """Ask each check what it needs; answer it all, one batch per check type."""
    needs: dict[int, list[str]] = {}
    by_type: dict[str, dict[str, Request]] = {}
    for index, spec in enumerate(planned.case.asserts):
        try:
            requests = spec.check.needs(spec, obs, ctx)
        except CheckFailed:
            continue  # the check itself will say it cannot look
        needs[index] = [r.key for r in requests]
        for request in requests:
            by_type.setdefault(spec.type, {}).setdefault(request.key, request)
    answered: dict[str, Answered] = {}
    purposes: dict[str, str] = {}
    for kind, wanted in by_type.items():
        todo = [r for key, r in wanted.items() if key not in answered]
        results = await answerer.answer_many(owner, todo, kind)
        for request, result in zip(todo, results, strict=True):
            answered[request.key] = result
            purposes[request.key] = kind
    return needs, answered, purposes


def _unanswered(fetched: Sequence[Answered] | None) -> CaseError | None:
    """The first of a check's own calls that was never answered for a reason outside the
    case (no recording, the transport), if any."""
    return next((f for f in fetched or () if isinstance(f, CaseError) and f.not_run), None)


def _judge(
    spec: AssertionSpec,
    obs: Observation,
    fetched: Sequence[Answered] | None,
    ctx: CheckContext,
    *,
    accept: bool = True,
) -> Outcome:
    """The check's outcome; ``accept``: its after-effects may run (a snapshot accepted)."""
    failed = [f for f in fetched or () if isinstance(f, CaseError)]
    if failed:
        return Outcome(False, f"{spec.type}: its own API call failed: {failed[0]}")
    responses = [f for f in fetched or () if isinstance(f, Response)]
    outcome = evaluate(spec, obs, responses, ctx)
    return spec.check.after(spec, obs, outcome, ctx) if accept else outcome


def _aux(
    answered: dict[str, Answered], purposes: dict[str, str], ctx: CheckContext
) -> list[AuxCall]:
    """The checks' own calls, one entry per check type and model (an embedding batch of
    three texts is one entry)."""
    calls: dict[tuple[str, str], AuxCall] = {}
    for key, response in answered.items():
        if not isinstance(response, Response):
            continue
        model = str(response.model or "")
        cost = cost_usd(
            model,
            response.input_tokens,
            response.cached_tokens,
            response.output_tokens,
            ctx.settings.prices,
            response.rate,
        )
        call = calls.setdefault(
            (purposes[key], model),
            AuxCall(
                kind=purposes[key],
                model=model,
                cost_usd=0.0,
                source=response.via,
                rate=response.rate,
            ),
        )
        call.input_tokens += response.input_tokens
        call.output_tokens += response.output_tokens
        call.cost_usd = None if cost is None or call.cost_usd is None else call.cost_usd + cost
    return list(calls.values())


async def run_sample(
    answerer: Answerer, planned: PlannedCase, request: Request, ctx: CheckContext
) -> SampleResult:
    owner = Owner(planned.suite.name, planned.case.id)
    refusal = None if answerer.recorded(owner, request) else _refusal(planned, request)
    if refusal:
        return SampleResult(
            sample=request.sample, passed=False, error=refusal, request_key=request.key
        )
    try:
        trajectory = await run_turns(answerer, owner, planned, request)
    except CircuitOpen:
        raise
    except CaseError as exc:
        return SampleResult(
            sample=request.sample,
            passed=False,
            error=str(exc),
            remedy=exc.remedy,
            not_run=exc.not_run,
            request_key=request.key,
            retries=getattr(exc, "retries", 0),
            request_id=getattr(exc, "request_id", None),
        )
    final = trajectory.final
    cost = _cost(trajectory, planned.target.model, ctx)
    obs = observe(planned, request, trajectory, cost)
    needs, answered, purposes = await _fetch(answerer, owner, planned, obs, ctx)
    checks: list[CheckResult] = []
    number = 0
    not_run, remedy = trajectory.not_run, trajectory.remedy
    for index, spec in enumerate(planned.case.asserts):
        unanswered = _unanswered([answered[k] for k in needs.get(index, [])])
        if unanswered is not None and not_run is None and spec.weight > 0:
            # a gating check cannot look: the sample has no verdict (errors.CaseError), and
            # nothing of it is accepted (no snapshot written under --snapshot-update)
            not_run, remedy = f"{spec.type}'s own call: {unanswered.not_run}", unanswered.remedy
    unreviewed = False
    for index, spec in enumerate(planned.case.asserts):
        fetched = [answered[k] for k in needs[index]] if index in needs else None
        outcome = _judge(spec, obs, fetched, ctx, accept=not_run is None)
        unreviewed = unreviewed or (outcome.unreviewed and not outcome.passed and spec.weight > 0)
        checks.append(
            CheckResult(
                index=None if spec.implicit else number,
                type=spec.describe(),
                path=spec.path,
                passed=outcome.passed,
                score=outcome.score,
                weight=spec.weight,
                message=outcome.message,
                line=spec.line,
            )
        )
        number += not spec.implicit
    return SampleResult(
        sample=request.sample,
        passed=sample_passed(checks, trajectory.error),
        output=final.text,
        error=trajectory.error,
        remedy=remedy,
        not_run=not_run,
        unreviewed=unreviewed,
        checks=checks,
        request_key=request.key,
        request_id=final.request_id,
        model=final.model,
        source=final.via,
        latency_ms=obs.latency_ms,
        input_tokens=obs.input_tokens,
        cached_tokens=obs.cached_tokens,
        output_tokens=obs.output_tokens,
        cost_usd=cost,
        rate=final.rate,
        finish_reason=final.finish_reason,
        retries=trajectory.retries,
        aux=_aux(answered, purposes, ctx),
        ttft_ms=trajectory.ttft_ms,
        tool_calls=[c.as_data() for c in trajectory.calls],
        turns=_turn_results(trajectory),
    )
