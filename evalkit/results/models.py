"""The typed results of a run: per check, per turn, per sample, per case.

A case's line in results.jsonl is a :class:`CaseResult`; everything a front shows is read
from these models (verdicts in :mod:`.verdicts`, figures in :mod:`.figures`), never
recomputed from raw responses. Readers accept extra fields (``extra="ignore"``), so a newer
evalkit's results stay readable by an older one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import display_path
from .verdicts import CaseOutcome, not_run_reason, sample_not_run


class CheckResult(BaseModel):
    index: int | None = None  # the assertion's number in the case; None for implicit checks
    type: str
    path: str | None = None
    passed: bool
    score: float | None = None
    weight: float = 1.0
    message: str = ""
    line: int | None = None

    @property
    def gates(self) -> bool:
        """``weight: 0`` checks are informational: reported, never failing anything."""
        return self.weight > 0

    def label(self) -> str:
        return f"assert[{self.index}]" if self.index is not None else "implicit"


class AuxCall(BaseModel):
    """A call a check made (an embedding batch, a judge verdict): counted apart."""

    kind: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    source: str = ""
    rate: str = "standard"  # the price that applied: standard or batch


class TurnResult(BaseModel):
    """One model turn of a tool loop: what it answered, which tools it called, and the
    scripted results it was given back."""

    turn: int = 0
    output: str | None = None
    tool_calls: list[dict[str, Any]] = []  # {id, name, arguments (parsed when JSON)}
    tool_results: list[dict[str, Any]] = []  # {id, name, result}
    request_key: str = ""
    request_id: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    finish_reason: str | None = None


class SampleResult(BaseModel):
    sample: int = 0
    passed: bool
    output: str | None = None
    error: str | None = None
    remedy: str | None = None  # how a front may suggest fixing `error` ("record")
    # why the sample was never answered for a reason outside the case ("no recording",
    # "transport error"): it has no verdict, nor has its case (results/verdicts.py)
    not_run: str | None = None
    # a gating check had nothing reviewed to compare with (no snapshot yet): its verdict
    # cannot be paired with another run's (compare/diff.py)
    unreviewed: bool = False
    checks: list[CheckResult] = []
    request_key: str = ""
    request_id: str | None = None
    model: str | None = None
    source: str = ""  # "recording", "api" or "batch"
    latency_ms: float = 0.0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    rate: str = "standard"  # the price cost_usd applied: standard, or batch (half, usually)
    finish_reason: str | None = None
    retries: int = 0
    aux: list[AuxCall] = []
    ttft_ms: float | None = None  # streamed: the slowest first token of its turns
    tool_calls: list[dict[str, Any]] = []  # every call of every turn, in order
    turns: list[TurnResult] = []  # kept when the sample made tool calls or several turns

    @property
    def answered(self) -> bool:
        return self.output is not None

    @property
    def score(self) -> float:
        gating = [c for c in self.checks if c.gates]
        total = sum(c.weight for c in gating)
        if not total:
            return 1.0 if self.passed else 0.0
        return (
            sum(c.weight * (c.score if c.score is not None else float(c.passed)) for c in gating)
            / total
        )


class CaseResult(BaseModel):
    model_config = ConfigDict(extra="ignore")

    suite: str
    case: str
    variant: str | None = None
    file: str = ""
    line: int | None = None
    passed: bool
    status: str = "done"  # "done" or "not run: <why>"
    error: str | None = None  # a problem of the whole case (its recording could not be saved)
    prompt: str = ""
    prompt_digest: str = ""
    model_requested: str = ""
    mode: str = ""
    case_threshold: float = 1.0
    threshold: float = 1.0  # the suite's, so any reader judges the run the same way
    samples: list[SampleResult] = []
    messages: list[dict[str, object]] = []  # the rendered request
    recording: str | None = None  # the case's recording file, relative to the project
    finished_at: str = ""
    # the case's verdict from its samples (results/verdicts.py): "" in results written
    # before verdicts were kept, read then from `passed`
    verdict: str = ""
    pass_rate: float | None = None
    interval: tuple[float, float] | None = None  # of the pass rate, at `confidence`
    confidence: float = 0.95
    on_inconclusive: str = "fail"
    settle: int | None = None  # more samples that would settle an inconclusive verdict

    @property
    def item_id(self) -> str:
        return f"{self.suite}::{self.case}" + (f"[{self.variant}]" if self.variant else "")

    @property
    def not_run_reason(self) -> str | None:
        """Why the case has no verdict (results/verdicts.py says when), or None: it ran."""
        return not_run_reason(self.status, self.samples)

    @property
    def ran(self) -> bool:
        return self.not_run_reason is None

    @property
    def case_verdict(self) -> str:
        """``passed`` | ``failed`` | ``inconclusive`` | ``not run``, for any result file."""
        if not self.ran:
            return "not run"
        return self.verdict or ("passed" if self.passed else "failed")

    @property
    def flaky(self) -> bool:
        """Its samples disagree: some passed, some failed."""
        return 0 < self.samples_passed < len(self.samples)

    @property
    def samples_passed(self) -> int:
        return sum(s.passed for s in self.samples)

    @property
    def every_sample_passed(self) -> bool:
        return bool(self.samples) and all(s.passed for s in self.samples)

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens for s in self.samples)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens for s in self.samples)

    @property
    def cost_usd(self) -> float | None:
        """Sum over samples; None when a sample's model has no known price."""
        costs = [s.cost_usd for s in self.samples]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def aux_cost_usd(self) -> float | None:
        """What the checks' own calls (judge, embeddings) cost, apart from the case's."""
        costs = [a.cost_usd for s in self.samples for a in s.aux]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def latency_ms(self) -> float:
        """Mean latency of the answered samples (0 when none was answered)."""
        values = [s.latency_ms for s in self.samples if s.answered]
        return sum(values) / len(values) if values else 0.0

    @property
    def retries(self) -> int:
        return sum(s.retries for s in self.samples)

    def outcome(self) -> CaseOutcome:
        why = self.not_run_reason
        return CaseOutcome(
            suite=self.suite,
            case=self.case,
            variant=self.variant,
            passed=self.passed and why is None,
            not_run=why is not None,
            why=why,
            samples_passed=self.samples_passed,
            samples=len(self.samples),
            threshold=self.threshold,
            verdict="" if why is not None else self.case_verdict,
            on_inconclusive=self.on_inconclusive,
            confidence=self.confidence,
        )

    def verdict_detail(self) -> str:
        """``4/5 samples passed (rate 0.80, 95% interval [0.34, 1.00]) against 90%``, for a
        case with repeats ("" for one sample)."""
        n = len(self.samples)
        if n < 2:
            return ""
        text = f"{self.samples_passed}/{n} samples passed"
        if self.interval is not None:
            low, high = self.interval
            text += f" (rate {self.samples_passed / n:.2f}, {self.confidence:.0%} interval [{low:.2f}, {high:.2f}])"
        text += f" against {self.case_threshold:.0%}"
        if self.flaky:
            text += "; flaky: its samples disagree"
        return text

    def _verdict_line(self, where: str) -> str:
        detail = self.verdict_detail()
        if self.case_verdict == "inconclusive":
            settle = (
                f"; about {self.settle} more samples would settle it if its rate held"
                if self.settle
                else "; its rate is at the bar: no number of samples settles it"
            )
            what = "fails" if self.on_inconclusive == "fail" else "passes"
            return (
                f"{self.item_id} inconclusive ({where}): {detail}{settle} "
                f"(on_inconclusive: {self.on_inconclusive}: it {what} the gate)"
            )
        return f"{self.item_id} failed ({where})" + (f": {detail}" if detail else "")

    def failure_report(self, remedies: Mapping[str, str] | None = None) -> str:
        """What went wrong, with what was expected, what came and where. ``remedies`` maps
        a remedy (``record``) to the front's own words for it."""
        where = f"{display_path(self.file)}:{self.line}" if self.line else display_path(self.file)
        why = self.not_run_reason
        if why is not None:
            return "\n".join([f"{self.item_id} not run: {why} ({where})", *self._errors(remedies)])
        lines = [self._verdict_line(where)]
        if self.error:
            lines.append(f"  {self.error}")
        for sample in self.samples:
            if sample.passed:
                continue
            prefix = f"  sample {sample.sample}: " if len(self.samples) > 1 else "  "
            if sample.error:
                hint = (remedies or {}).get(sample.remedy or "", "")
                lines.append(f"{prefix}{sample.error}{'; ' + hint if hint else ''}")
                continue
            for check in sample.checks:
                if not check.passed and check.gates:
                    at = f" (line {check.line})" if check.line else ""
                    lines.append(f"{prefix}{check.label()} {check.type}{at}: {check.message}")
            if sample.output is not None:
                out = sample.output if len(sample.output) <= 400 else sample.output[:399] + "…"
                lines.append(f"{prefix}output: {out}")
        return "\n".join(lines)

    def _errors(self, remedies: Mapping[str, str] | None) -> list[str]:
        """Each unanswered sample's error once, with the front's words for its remedy."""
        lines: list[str] = []
        for sample in self.samples:
            if not sample_not_run(sample):
                continue
            hint = (remedies or {}).get(sample.remedy or "", "")
            said = (
                [sample.error]
                if sample.error  # else a check's own call was not answered
                else [f"{c.label()} {c.type}: {c.message}" for c in sample.checks if not c.passed]
            )
            for text in said:
                line = f"  {text}{'; ' + hint if hint else ''}"
                if line not in lines:
                    lines.append(line)
        return lines

    def tagged_report(self, remedies: Mapping[str, str] | None = None) -> str:
        """The failure report as a front lists it: ``FAIL item (where)`` or ``NOT RUN item:
        why (where)``, the details below."""
        report = self.failure_report(remedies)
        if self.not_run_reason is not None:
            return "NOT RUN " + report.replace(f"{self.item_id} not run: ", f"{self.item_id}: ", 1)
        if self.case_verdict == "inconclusive":
            return "INCONCLUSIVE " + report.replace(f"{self.item_id} inconclusive", self.item_id, 1)
        return "FAIL " + report.replace(f"{self.item_id} failed", self.item_id, 1)


def dump_outcome(result: CaseResult) -> str:
    """The outcome as compact JSON (what a pytest item hands the session gate)."""
    return result.outcome().model_dump_json()
