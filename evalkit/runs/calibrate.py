"""``evalkit calibrate``: each labelled judge run over its labelled outputs, and its record.

A judge check with ``labels:`` (checks/calibration.py) is asked for its verdict on every
labelled output, exactly as it would be asked in a run: the same request (rendered by the
check's own ``needs``), through the session's answerer, so the calls are recorded (beside
the record, ``snapshots/calibrations/<suite>/<judge>.recording.json``), replayed in replay
mode, priced, and kept under ``--max-cost`` (the run's cost guard; an upper bound over the
cap refuses to start). The verdicts are read with the check's own ``decide``, then compared
with the labels (evalkit/stats/agreement.py), and the record is written whole, in a form
that is the same bytes for the same calibration.

Nothing is written for a judge whose calls did not all get an answer: a calibration over
part of the labels would claim an agreement nobody measured. A judge that answers with no
valid verdict counts as failing the output, as it fails the check at run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..checks import AssertionSpec, CheckContext, CheckFailed, Observation, Outcome
from ..checks.calibration import (
    CalibrationRecord,
    Disagreement,
    JudgeIdentity,
    LabelSet,
    record_path,
    write_record,
)
from ..checks.semantic import Judge
from ..config import Mode
from ..errors import CaseError, CircuitOpen, ConfigError, EstimateOverCap, display_path
from ..project.open import Project, open_project
from ..project.recordings import Owner, RecordingStore
from ..project.suite import Suite
from ..results.folder import RunMeta
from ..stats.agreement import Confusion, agreement
from ..wire.pricing import cost_usd
from ..wire.request import Request
from ..wire.response import Response
from .session import Session

RECORDING_SUFFIX = ".recording"


@dataclass(frozen=True)
class LabelledJudge:
    """One judge of one suite with a labels file (the same judge in many cases is one)."""

    suite: Suite
    spec: AssertionSpec
    labels: LabelSet
    identity: JudgeIdentity

    @property
    def judge(self) -> str:
        return self.labels.judge_id

    @property
    def owner(self) -> Owner:
        return Owner(self.suite.name, self.judge + RECORDING_SUFFIX)


@dataclass
class Calibrated:
    """What calibrating one judge gave: its record (None when it could not be measured)."""

    judge: LabelledJudge
    record: CalibrationRecord | None = None
    path: Path | None = None
    error: str | None = None
    cost_usd: float | None = 0.0
    calls: int = 0

    @property
    def below(self) -> bool:
        bar = self.judge.spec.args.min_agreement
        if self.record is None or bar is None:
            return False
        return self.record.agreement is None or self.record.agreement < bar


@dataclass
class CalibrationRun:
    results: list[Calibrated] = field(default_factory=list)
    stopped: str | None = None

    @property
    def passed(self) -> bool:
        return self.stopped is None and all(r.error is None and not r.below for r in self.results)


def labelled_judges(project: Project) -> list[LabelledJudge]:
    """Every judge with labels, once per suite and labels file; two different judges
    naming the same labels file in one suite are an error (a labels file is one judge)."""
    judge = _judge()
    found: dict[tuple[str, str], LabelledJudge] = {}
    for suite in project.suites:
        for case in suite.cases:
            for spec in case.asserts:
                if spec.type != "judge" or spec.args.label_set is None:
                    continue
                item = LabelledJudge(
                    suite, spec, spec.args.label_set, judge.identity(spec, suite.prompts)
                )
                key = (suite.name, item.judge)
                first = found.get(key)
                if first is None:
                    found[key] = item
                elif first.identity != item.identity or first.labels.path != item.labels.path:
                    raise ConfigError(
                        f"two different judges of suite {suite.name!r} are both named "
                        f"{item.judge!r} by their labels files (the other at line "
                        f"{first.spec.line}): give each judge its own labels file",
                        case.file,
                        spec.line,
                    )
    return list(found.values())


def _judge() -> Judge:
    from ..checks import REGISTRY

    check = REGISTRY["judge"]
    assert isinstance(check, Judge)
    return check


def _observation(
    item: LabelledJudge, label_vars: dict[str, Any], case: str, output: str
) -> Observation:
    suite = item.suite
    known = next((c for c in suite.cases if c.id == case), None)
    variables = {**suite.base.vars, **(known.vars if known is not None else {}), **label_vars}
    return Observation(
        text=output,
        vars=variables,
        case_id=case,
        suite=suite.name,
        structured=suite.base.declared_structured,
    )


def _requests(item: LabelledJudge, ctx: CheckContext) -> list[Request | Outcome]:
    """Each label's judge request, or the failing outcome when there is none to send (its
    ``path`` is not in that output)."""
    judge = _judge()
    out: list[Request | Outcome] = []
    for _, label in item.labels.labels:
        obs = _observation(item, label.vars, label.case, label.output)
        try:
            (request,) = judge.needs(item.spec, obs, ctx)
        except CheckFailed as exc:
            out.append(Outcome(False, str(exc)))
            continue
        out.append(request)
    return out


def _check_cap(
    session: Session, items: Sequence[tuple[LabelledJudge, list[Request | Outcome]]]
) -> None:
    """With a cost cap, calls that could cost more than it are not started."""
    settings, engine = session.settings, session.engine
    cap = settings.max_cost_usd
    if cap is None or not engine.mode.calls_api:
        return
    from ..engine.estimate import upper_bound_usd

    upper = 0.0
    for item, requests in items:
        for request in requests:
            if not isinstance(request, Request):
                continue
            replays = engine.mode not in (Mode.RERECORD, Mode.LIVE)
            if replays and engine.store.get(item.owner, request) is not None:
                continue  # recorded: replayed at no cost
            upper += upper_bound_usd(request, settings, engine.rate)
    if upper > cap:
        raise EstimateOverCap(
            f"calibrating could cost up to ${upper:.4f}, over the ${cap:g} cap (--max-cost / "
            "max_cost_usd): nothing was sent. Raise the cap, calibrate fewer suites, or label "
            "fewer outputs."
        )


async def _answer(
    session: Session, item: LabelledJudge, requests: list[Request | Outcome]
) -> list[Response | CaseError | Outcome]:
    answerer = session.engine.answerer
    gate = asyncio.Semaphore(max(1, session.settings.concurrency))

    async def one(request: Request | Outcome) -> Response | CaseError | Outcome:
        if not isinstance(request, Request):
            return request
        async with gate:
            (answered,) = await answerer.answer_many(item.owner, [request], "judge")
            return answered

    try:
        answered = list(await asyncio.gather(*(one(r) for r in requests)))
        if session.engine.mode.calls_api and not any(isinstance(a, CaseError) for a in answered):
            # recorded again whole: what earlier rubrics or labels asked goes
            keys = {r.key for r in requests if isinstance(r, Request)}
            session.engine.store.keep_only(item.owner, keys)
        return answered
    finally:
        answerer.done(item.owner)  # keep what was recorded, whatever happened


def _measure(
    item: LabelledJudge, answered: list[Response | CaseError | Outcome], session: Session
) -> Calibrated:
    judge = _judge()
    result = Calibrated(item)
    pairs: list[tuple[bool, bool]] = []
    disagreements: list[Disagreement] = []
    for (line, label), got in zip(item.labels.labels, answered, strict=True):
        if isinstance(got, CaseError):
            where = f"{display_path(item.labels.path)}:{line}"
            result.error = f"{where}: the judge's call failed: {got}"
            if got.remedy == "record":
                result.error += " (calibrate with --mode record to make the calls)"
            return result
        if isinstance(got, Response):
            result.calls += 1
            cost = cost_usd(
                str(got.model or item.identity.model),
                got.input_tokens,
                got.cached_tokens,
                got.output_tokens,
                session.settings.prices,
                got.rate,
            )
            result.cost_usd = (
                None if cost is None or result.cost_usd is None else result.cost_usd + cost
            )
            try:
                outcome = judge.decide(item.spec, [got])
            except CheckFailed as exc:
                outcome = Outcome(False, str(exc))
        else:
            outcome = got
        pairs.append((label.passed, outcome.passed))
        if label.passed != outcome.passed:
            disagreements.append(
                Disagreement(
                    case=label.case,
                    line=line,
                    label=label.label,
                    verdict="pass" if outcome.passed else "fail",
                    score=outcome.score,
                    reason=outcome.message,
                    output=label.output,
                    note=label.note,
                )
            )
    stats = agreement(Confusion.of(pairs))
    root = session.settings.root
    try:
        labels_name = item.labels.path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        labels_name = item.labels.path.as_posix()
    result.record = CalibrationRecord.build(
        suite=item.suite.name,
        judge=item.judge,
        identity=item.identity,
        labels=labels_name,
        labels_digest=item.labels.digest,
        stats=stats,
        disagreements=disagreements,
    )
    return result


def open_session(project: Project) -> Session:
    """A session whose recordings are the calibrations' own (beside their records)."""
    settings = project.settings
    if settings.mode is Mode.BATCH:
        raise ConfigError(
            "evalkit calibrate does not use the Batch API: use --mode record (or rerecord)"
        )
    store = RecordingStore(settings.snapshots_dir / "calibrations")
    meta = RunMeta(run_id="", front="calibrate", mode=settings.mode)
    return Session.open(settings, meta, keep=False, store=store)


async def calibrate_async(project: Project) -> CalibrationRun:
    items = labelled_judges(project)
    if not items:
        names = ", ".join(s.name for s in project.suites)
        raise ConfigError(
            f"no judge in {names} has `labels:`: add a labels file to a judge check first "
            "(label outputs in `evalkit view`)"
        )
    session = open_session(project)
    run = CalibrationRun()
    try:
        planned = [
            (item, _requests(item, CheckContext(session.settings, item.suite.prompts)))
            for item in items
        ]
        _check_cap(session, planned)
        for item, requests in planned:
            try:
                answered = await _answer(session, item, requests)
            except CircuitOpen as exc:
                run.stopped = getattr(exc, "why", "circuit open")
                run.results.append(Calibrated(item, error=f"not calibrated: {run.stopped}: {exc}"))
                break
            result = _measure(item, answered, session)
            if result.record is not None:
                result.path = record_path(
                    session.settings.snapshots_dir, item.suite.name, item.judge
                )
                try:
                    write_record(result.path, result.record, session.redact)
                except OSError as exc:
                    raise ConfigError(
                        f"cannot write the calibration: {exc.strerror or exc}", result.path
                    ) from None
            run.results.append(result)
    finally:
        await session.aclose()
    return run


def calibrate(
    suites: Sequence[str | Path], overrides: dict[str, Any] | None = None
) -> CalibrationRun:
    """Calibrate every labelled judge of ``suites`` (default: the project's)."""
    project = open_project(suites, overrides or {})
    return asyncio.run(calibrate_async(project))


__all__ = ["Calibrated", "CalibrationRun", "LabelledJudge", "calibrate", "labelled_judges"]
