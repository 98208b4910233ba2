"""Verdicts, computed here and nowhere else: whether a sample, a case, a suite and a run
passed (thresholds, repeats, k/n, not-run cases). ``evalkit run``, ``evalkit report``, the
pytest session gate (xdist included), the viewer, ``evalkit diff`` and the job summary all
read them.

The rule for a case that did not run, in one place (:func:`not_run_reason`): a case did not
run when the engine did not start it (``status`` "not run: circuit open", "cost cap",
"batch cancelled"), or when any of its samples was never answered for a reason outside the
case: no recording in replay, a request that failed for good on the transport (connection,
timeout, 429 or 5xx after every retry), a batch line that expired, or a check's own call
(a judge's, an embedding's) that was not answered for such a reason. Such a case has no
verdict: it is never a pass, never a failure a threshold may absorb, and the gate fails
while any case did not run, naming them. A request the API refused (400, 401, ...), a
budget that refused it, or a check that failed is a failure: the case ran.

A case that ran has a three-way verdict from its samples (:func:`judge_case`, the rules in
:mod:`evalkit.stats`): ``passed`` when its pass rate is shown at or above
``case_threshold`` at ``confidence``, ``failed`` when shown below, ``inconclusive`` when
its interval straddles the bar. One sample, or a bar of 1.0 or 0, needs no statistics (the
samples decide, never inconclusive), so ``repeat: 1`` suites judge as they always did.
Adaptive repeats (``repeat: {min, max}``) are judged by the sequential design's decision at
the sample where sampling stopped. ``on_inconclusive`` says what an unsettled verdict does
at the gate: ``fail`` (the default: a gate that does not know does not pass), ``pass`` or
``warn`` (passes, and says so). A suite's verdict follows from its cases' the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, computed_field

from ..stats import Verdict, case_verdict, design, samples_to_settle, suite_verdict

NAMED = 10  # not-run cases a suite's line names (the count covers them all)


class _Sample(Protocol):
    """What the not-run rule reads of a sample (a result's, or the viewer's)."""

    @property
    def not_run(self) -> str | None: ...

    @property
    def remedy(self) -> str | None: ...


class _Judged(_Sample, Protocol):
    """What a case's verdict reads of each sample: whether it passed."""

    @property
    def passed(self) -> bool: ...


class _Check(Protocol):
    @property
    def passed(self) -> bool: ...

    @property
    def gates(self) -> bool: ...


class _Result(Protocol):
    """A case result (results/models.py), as the suite verdicts read it."""

    def outcome(self) -> CaseOutcome: ...


class CaseOutcome(BaseModel):
    """What the verdicts need of a case: small enough to travel in a pytest report."""

    suite: str
    case: str = ""
    variant: str | None = None
    passed: bool
    not_run: bool = False
    why: str | None = None  # why it did not run
    samples_passed: int = 0
    samples: int = 0
    threshold: float = 1.0
    verdict: str = ""  # passed | failed | inconclusive ("" from results written before)
    on_inconclusive: str = "fail"
    confidence: float = 0.95


def sample_not_run(sample: _Sample) -> str | None:
    """Why this sample has no verdict (``"no recording"``, ``"transport error"``, ...), or
    None when it ran. Results written before samples carried ``not_run`` said a missing
    recording only by its remedy (``record``): read as "no recording"."""
    if sample.not_run:
        return sample.not_run
    if sample.remedy == "record":
        return "no recording"
    return None


def not_run_reason(status: str, samples: Iterable[_Sample]) -> str | None:
    """Why a case did not run, or None when it ran (see the module's rule)."""
    if status != "done":
        return status.removeprefix("not run:").strip() or status
    for sample in samples:
        why = sample_not_run(sample)
        if why:
            return why
    return None


def sample_passed(checks: Iterable[_Check], error: str | None) -> bool:
    """A sample passes when it was answered and every gating check passed."""
    return error is None and all(c.passed for c in checks if c.gates)


@dataclass(frozen=True)
class Repeats:
    """How a suite samples its cases, as the verdict rules need it (``min == max``: fixed)."""

    min: int = 1
    max: int = 1
    case_threshold: float = 1.0
    confidence: float = 0.95
    on_inconclusive: str = "fail"

    @property
    def adaptive(self) -> bool:
        return self.min < self.max


@dataclass(frozen=True)
class CaseJudgement:
    """A case's verdict, what it means at the gate (``passed``), its observed rate, the
    interval the verdict was read from, and the samples that would settle an unsettled one."""

    verdict: str  # passed | failed | inconclusive
    passed: bool
    pass_rate: float | None = None
    interval: tuple[float, float] | None = None
    settle: int | None = None  # more samples that would settle it, if its rate held


def gate_passes(verdict: str, on_inconclusive: str) -> bool:
    """What a verdict does at the gate."""
    return verdict == Verdict.PASSED or (
        verdict == Verdict.INCONCLUSIVE and on_inconclusive != "fail"
    )


def judge_case(
    samples: Sequence[_Judged], repeats: Repeats, error: str | None = None
) -> CaseJudgement:
    """The verdict of a case that ran (see the module's rules). A case-level problem (its
    recording could not be saved) or no sample at all fails it."""
    if error is not None or not samples:
        return CaseJudgement(Verdict.FAILED, False)
    k, n = sum(s.passed for s in samples), len(samples)
    if repeats.adaptive and repeats.min <= n <= repeats.max:
        step = design(repeats.case_threshold, repeats.min, repeats.max, repeats.confidence).step(
            k, n
        )
        judged = step.to_verdict() if step.stopped else None
    else:
        judged = None
    if judged is None:  # a fixed repeat (or sampling that ended before its design decided)
        judged = case_verdict(k, n, repeats.case_threshold, repeats.confidence)
    verdict = judged.verdict.value
    settle = None
    if judged.verdict is Verdict.INCONCLUSIVE:
        settle = samples_to_settle(k, n, repeats.case_threshold, repeats.confidence, limit=100_000)
    return CaseJudgement(
        verdict,
        gate_passes(verdict, repeats.on_inconclusive),
        k / n,
        (round(judged.interval.low, 6), round(judged.interval.high, 6)),
        settle,
    )


def case_passed(samples: Sequence[_Judged], case_threshold: float, error: str | None) -> bool:
    """A case passes when it ran and its verdict at ``case_threshold`` is passed (fixed
    repeats at 95%: :func:`judge_case` with the suite's settings is the full rule)."""
    if not_run_reason("done", samples) is not None:
        return False
    return judge_case(samples, Repeats(len(samples), len(samples), case_threshold), error).passed


class NotRun(BaseModel):
    """A case with no verdict, and why."""

    case: str
    why: str


class SuiteSummary(BaseModel):
    suite: str
    variant: str | None = None
    total: int
    passed: int
    threshold: float
    repeat: int = 1
    every_sample: int = 0  # cases whose every sample passed: pass^k with k = repeat
    not_run: int = 0
    not_run_cases: list[NotRun] = []  # the first NAMED of them
    inconclusive: int = 0  # cases whose samples could not settle their verdict
    flaky: int = 0  # cases whose samples disagree
    on_inconclusive: str = "fail"
    confidence: float = 0.95

    @property
    def name(self) -> str:
        """The suite, with its variant when it ran under one: ``invoice [v2]``."""
        return self.suite + (f" [{self.variant}]" if self.variant else "")

    @property
    def ran(self) -> int:
        """Cases with a verdict."""
        return self.total - self.not_run

    @property
    def pass_rate(self) -> float:
        """The share of the cases that ran which passed (a not-run case has no verdict, so
        it is in neither count)."""
        return self.passed / self.ran if self.ran else 0.0

    @property
    def failed(self) -> int:
        return self.ran - self.passed - self.inconclusive

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict(self) -> str:
        """``passed`` | ``failed`` | ``inconclusive``: the share of its cases that passed
        against ``threshold``, each inconclusive case counted as either way it may go."""
        if not self.ran:
            return Verdict.FAILED.value
        found = suite_verdict(
            self.passed, self.failed, self.inconclusive, self.threshold, self.confidence
        )
        return found.verdict.value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def gate_passed(self) -> bool:
        """Every case ran, and the suite's verdict passes at the gate (an inconclusive one
        as ``on_inconclusive`` says)."""
        return (
            self.total > 0 and self.not_run == 0 and gate_passes(self.verdict, self.on_inconclusive)
        )

    def gate_word(self) -> str:
        if self.verdict == Verdict.INCONCLUSIVE and self.not_run == 0:
            if self.on_inconclusive == "fail":
                return "INCONCLUSIVE, so FAILED (on_inconclusive: fail)"
            return f"inconclusive, passed (on_inconclusive: {self.on_inconclusive})"
        return "passed" if self.gate_passed else "FAILED"

    def not_run_names(self) -> str:
        """``triage::a (no recording), triage::b (transport error) and 3 more``."""
        named = ", ".join(f"{self.suite}::{n.case} ({n.why})" for n in self.not_run_cases)
        more = self.not_run - len(self.not_run_cases)
        return named + (f" and {more:,} more" if more > 0 else "")

    def line(self) -> str:
        pass_k = ""
        if self.repeat > 1 and self.ran:
            pass_k = f"; pass^{self.repeat} {self.every_sample}/{self.ran} ({self.every_sample / self.ran:.0%}: every sample passed)"
        ran = f"{self.passed}/{self.ran} cases passed ({self.pass_rate:.0%}){pass_k}"
        if self.inconclusive:
            ran += f", {self.inconclusive} inconclusive"
        if self.flaky:
            ran += f", {self.flaky} flaky"
        if self.not_run:
            return (
                f"suite {self.name}: {ran}; {self.not_run} not run: {self.not_run_names()}; "
                f"threshold {self.threshold:.0%}: FAILED (a case that did not run has no "
                "verdict; no threshold covers it)"
            )
        return f"suite {self.name}: {ran}; threshold {self.threshold:.0%}: {self.gate_word()}"


@dataclass
class _SuiteCount:
    total: int = 0
    passed: int = 0
    not_run: int = 0
    every_sample: int = 0
    repeat: int = 1
    threshold: float = 1.0
    not_run_cases: list[NotRun] = field(default_factory=list)
    inconclusive: int = 0
    flaky: int = 0
    on_inconclusive: str = "fail"
    confidence: float = 0.95


@dataclass
class Verdicts:
    """Case outcomes folded into suite verdicts and the run's."""

    suites: dict[tuple[str, str | None], _SuiteCount] = field(default_factory=dict)

    def add(self, outcome: CaseOutcome) -> None:
        count = self.suites.setdefault((outcome.suite, outcome.variant), _SuiteCount())
        count.total += 1
        count.threshold = outcome.threshold
        if outcome.not_run:
            count.not_run += 1
            if len(count.not_run_cases) < NAMED:
                count.not_run_cases.append(
                    NotRun(case=outcome.case or "?", why=outcome.why or "not run")
                )
            return
        verdict = outcome.verdict or (Verdict.PASSED if outcome.passed else Verdict.FAILED)
        count.passed += verdict == Verdict.PASSED
        count.inconclusive += verdict == Verdict.INCONCLUSIVE
        count.flaky += 0 < outcome.samples_passed < outcome.samples
        count.on_inconclusive = outcome.on_inconclusive
        count.confidence = outcome.confidence
        count.every_sample += outcome.samples > 0 and outcome.samples_passed == outcome.samples
        count.repeat = max(count.repeat, outcome.samples)

    def add_all(self, results: Iterable[_Result]) -> Verdicts:
        for result in results:
            self.add(result.outcome())
        return self

    def summaries(self) -> list[SuiteSummary]:
        return [
            SuiteSummary(
                suite=suite,
                variant=variant,
                total=c.total,
                passed=c.passed,
                threshold=c.threshold,
                repeat=c.repeat,
                every_sample=c.every_sample,
                not_run=c.not_run,
                not_run_cases=list(c.not_run_cases),
                inconclusive=c.inconclusive,
                flaky=c.flaky,
                on_inconclusive=c.on_inconclusive,
                confidence=c.confidence,
            )
            for (suite, variant), c in sorted(
                self.suites.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
            )
        ]

    @property
    def not_run(self) -> int:
        return sum(c.not_run for c in self.suites.values())

    @property
    def passed(self) -> bool:
        """Every suite met its threshold with every case run (a run with no case has
        nothing to pass)."""
        summaries = self.summaries()
        return bool(summaries) and all(s.gate_passed for s in summaries)
