"""Results: typed per-check, per-sample and per-case outcomes, their verdicts, and the
run's results file.

Verdicts are computed here and nowhere else: whether a sample, a case, a suite and a run
passed (thresholds, repeats, k/n, not-run cases). ``evalkit run``, ``evalkit report``, the
pytest session gate (xdist included) and the job summary all read them from here.

The figures a run reports are defined here too, once, and labelled where shown:
tokens and cost of a case are sums over its samples; a case's latency is the mean of its
answered samples; a suite's p50/p95 are over requests (every answered sample).

A run streams each finished case to ``<results>/<run-id>/results.jsonl`` the moment it
finishes (one JSON line, flushed, secrets redacted), so a crash or Ctrl-C loses nothing
that finished; a torn last line is skipped and reported by the reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from statistics import quantiles
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError, display_path
from .io.files import AppendLog
from .io.redaction import Redactor


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


def sample_passed(checks: Iterable[CheckResult], error: str | None) -> bool:
    """A sample passes when it was answered and every gating check passed."""
    return error is None and all(c.passed for c in checks if c.gates)


def case_passed(samples: list[SampleResult], case_threshold: float, error: str | None) -> bool:
    """A case passes when at least ``case_threshold`` of its samples passed."""
    if error is not None or not samples:
        return False
    return sum(s.passed for s in samples) / len(samples) >= case_threshold


class CaseOutcome(BaseModel):
    """What the verdicts need of a case: small enough to travel in a pytest report."""

    suite: str
    variant: str | None = None
    passed: bool
    not_run: bool = False
    samples_passed: int = 0
    samples: int = 0
    threshold: float = 1.0


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

    @property
    def item_id(self) -> str:
        return f"{self.suite}::{self.case}" + (f"[{self.variant}]" if self.variant else "")

    @property
    def ran(self) -> bool:
        return self.status == "done"

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
        return CaseOutcome(
            suite=self.suite,
            variant=self.variant,
            passed=self.passed,
            not_run=not self.ran,
            samples_passed=self.samples_passed,
            samples=len(self.samples),
            threshold=self.threshold,
        )

    def failure_report(self, remedies: Mapping[str, str] | None = None) -> str:
        """What went wrong, with what was expected, what came and where. ``remedies`` maps
        a remedy (``record``) to the front's own words for it."""
        where = f"{display_path(self.file)}:{self.line}" if self.line else display_path(self.file)
        if not self.ran:
            return f"{self.item_id} {self.status} ({where})"
        head = f"{self.item_id} failed ({where})"
        if len(self.samples) > 1:
            head += f": {self.samples_passed}/{len(self.samples)} samples passed, needed {self.case_threshold:.0%}"
        lines = [head]
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


# -- verdicts -----------------------------------------------------------------------


class SuiteSummary(BaseModel):
    suite: str
    variant: str | None = None
    total: int
    passed: int
    threshold: float
    repeat: int = 1
    every_sample: int = 0  # cases whose every sample passed: pass^k with k = repeat
    not_run: int = 0

    @property
    def name(self) -> str:
        return self.suite + (f"[{self.variant}]" if self.variant else "")

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 1.0

    @property
    def gate_passed(self) -> bool:
        return self.total > 0 and self.pass_rate >= self.threshold

    def line(self) -> str:
        verdict = "passed" if self.gate_passed else "FAILED"
        pass_k = ""
        if self.repeat > 1 and self.total:
            pass_k = f"; pass^{self.repeat} {self.every_sample}/{self.total} ({self.every_sample / self.total:.0%}: every sample passed)"
        not_run = f"; {self.not_run} not run" if self.not_run else ""
        return (
            f"suite {self.name}: {self.passed}/{self.total} cases passed ({self.pass_rate:.0%}){pass_k}"
            f"{not_run}; threshold {self.threshold:.0%}: {verdict}"
        )


@dataclass
class _SuiteCount:
    total: int = 0
    passed: int = 0
    not_run: int = 0
    every_sample: int = 0
    repeat: int = 1
    threshold: float = 1.0


@dataclass
class Verdicts:
    """Case outcomes folded into suite verdicts and the run's."""

    suites: dict[tuple[str, str | None], _SuiteCount] = field(default_factory=dict)

    def add(self, outcome: CaseOutcome) -> None:
        count = self.suites.setdefault((outcome.suite, outcome.variant), _SuiteCount())
        count.total += 1
        count.passed += outcome.passed
        count.not_run += outcome.not_run
        count.every_sample += outcome.samples > 0 and outcome.samples_passed == outcome.samples
        count.repeat = max(count.repeat, outcome.samples)
        count.threshold = outcome.threshold

    def add_all(self, results: Iterable[CaseResult]) -> Verdicts:
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
            )
            for (suite, variant), c in sorted(
                self.suites.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
            )
        ]

    @property
    def passed(self) -> bool:
        """Every suite met its threshold (a run with no case has nothing to pass)."""
        summaries = self.summaries()
        return bool(summaries) and all(s.gate_passed for s in summaries)


# -- figures ------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class SuiteFigures:
    """A suite's usage, folded case by case (a long run keeps a few numbers per suite)."""

    cases: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float | None = 0.0
    aux_tokens: int = 0
    aux_cost: float | None = 0.0
    latencies: list[float] = field(default_factory=list)  # one per answered request
    retries: int = 0

    def add(self, result: CaseResult) -> None:
        self.cases += 1
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        cost, aux = result.cost_usd, result.aux_cost_usd
        self.cost = None if cost is None or self.cost is None else self.cost + cost
        self.aux_cost = None if aux is None or self.aux_cost is None else self.aux_cost + aux
        self.aux_tokens += sum(
            a.input_tokens + a.output_tokens for s in result.samples for a in s.aux
        )
        self.retries += result.retries
        self.latencies += [s.latency_ms for s in result.samples if s.answered]

    @property
    def cost_per_1000(self) -> float | None:
        return None if self.cost is None or not self.cases else self.cost / self.cases * 1000

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 95)


@dataclass
class Figures:
    suites: dict[tuple[str, str | None], SuiteFigures] = field(default_factory=dict)

    def add(self, result: CaseResult) -> None:
        self.suites.setdefault((result.suite, result.variant), SuiteFigures()).add(result)

    def of(self, summary: SuiteSummary) -> SuiteFigures:
        return self.suites.get((summary.suite, summary.variant), SuiteFigures())


# -- the results file -----------------------------------------------------------------


class RunWriter:
    """Appends each finished case to the run's results.jsonl, flushed at once."""

    def __init__(self, folder: Path, secrets: tuple[str, ...] = ()):
        self.folder = folder
        self.path = folder / "results.jsonl"
        self.redact = Redactor(secrets)
        try:
            self._log = AppendLog(self.path)
        except OSError as exc:
            raise ConfigError(
                f"cannot write results: {exc.strerror or exc} (is the results folder a file?)",
                self.path,
            ) from None

    def write(self, result: CaseResult) -> None:
        self._log.write(self.redact(result.model_dump_json()))

    def close(self) -> None:
        self._log.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ResultsFile:
    """A results.jsonl read line by line; lines that are not results are skipped and
    remembered (``skipped``: their line numbers), never silently dropped."""

    def __init__(self, path: Path):
        self.path = path / "results.jsonl" if path.is_dir() else path
        self.skipped: list[int] = []

    def lines(self) -> Iterator[tuple[int, str]]:
        """Every non-blank line with its number, as written (the one place a results file
        is opened: a torn last line is the one that does not end in a newline)."""
        try:
            handle = self.path.open(encoding="utf-8", errors="replace", newline="")
        except OSError as exc:
            raise ConfigError(f"cannot read results: {exc.strerror or exc}", self.path) from None
        with handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line

    def __iter__(self) -> Iterator[CaseResult]:
        self.skipped = []
        for number, line in self.lines():
            try:
                yield CaseResult.model_validate_json(line)
            except (ValidationError, ValueError):
                self.skipped.append(number)

    def latest(self) -> list[CaseResult]:
        """One result per case: the last line wins (a resumed run appends its re-runs).
        A file with no readable result is an error, never an empty pass."""
        latest: dict[str, CaseResult] = {}
        for result in self:
            latest[result.item_id] = result
        if not latest:
            lines = f" ({len(self.skipped)} unreadable line(s))" if self.skipped else ""
            raise ConfigError(f"no results in this file{lines}: is it a run's results?", self.path)
        return list(latest.values())

    def warning(self) -> str | None:
        if not self.skipped:
            return None
        shown = ", ".join(map(str, self.skipped[:10])) + (" ..." if len(self.skipped) > 10 else "")
        return f"{display_path(self.path)}: skipped {len(self.skipped)} unreadable line(s): {shown}"


def read_results(path: Path) -> Iterator[CaseResult]:
    """Every readable result of a results.jsonl (or a run folder), in file order."""
    return iter(ResultsFile(path))


def latest_results(path: Path) -> list[CaseResult]:
    return ResultsFile(path).latest()


def dump_outcome(result: CaseResult) -> str:
    return json.dumps(result.outcome().model_dump(mode="json"), separators=(",", ":"))
