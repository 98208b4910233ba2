"""Results: typed per-check, per-sample and per-case outcomes, and the run's results file.

A run streams each finished case to ``<results>/<run-id>/results.jsonl`` the moment it
finishes (one JSON line, flushed), so a crash or Ctrl-C loses nothing that finished.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from statistics import quantiles

from pydantic import BaseModel, ConfigDict

from .errors import display_path


class CheckResult(BaseModel):
    index: int
    type: str
    path: str | None = None
    passed: bool
    score: float | None = None
    weight: float = 1.0
    message: str = ""
    line: int | None = None


class AuxCall(BaseModel):
    """A call a check made (an embedding batch, a judge verdict): counted apart."""

    kind: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    source: str = ""


class SampleResult(BaseModel):
    sample: int = 0
    passed: bool
    output: str | None = None
    error: str | None = None
    checks: list[CheckResult] = []
    request_key: str = ""
    request_id: str | None = None
    model: str | None = None
    source: str = ""  # "recording" or "api"
    latency_ms: float = 0.0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    finish_reason: str | None = None
    retries: int = 0
    aux: list[AuxCall] = []

    @property
    def score(self) -> float:
        gating = [c for c in self.checks if c.weight > 0]
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
    prompt: str = ""
    prompt_digest: str = ""
    model_requested: str = ""
    mode: str = ""
    case_threshold: float = 1.0
    samples: list[SampleResult] = []
    finished_at: str = ""

    @property
    def item_id(self) -> str:
        return f"{self.suite}::{self.case}" + (f"[{self.variant}]" if self.variant else "")

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
        costs = [s.cost_usd for s in self.samples]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def aux_cost_usd(self) -> float | None:
        """What the checks' own calls (judge, embeddings) cost, apart from the case's."""
        costs = [a.cost_usd for s in self.samples for a in s.aux]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    @property
    def latency_ms(self) -> float:
        return max((s.latency_ms for s in self.samples), default=0.0)

    def failure_report(self) -> str:
        """What went wrong, with what was expected, what came and where."""
        where = f"{display_path(self.file)}:{self.line}" if self.line else display_path(self.file)
        if self.status != "done":
            return f"{self.item_id} {self.status} ({where})"
        head = f"{self.item_id} failed ({where})"
        if len(self.samples) > 1:
            head += f": {self.samples_passed}/{len(self.samples)} samples passed, needed {self.case_threshold:.0%}"
        lines = [head]
        for sample in self.samples:
            if sample.passed:
                continue
            prefix = f"  sample {sample.sample}: " if len(self.samples) > 1 else "  "
            if sample.error:
                lines.append(f"{prefix}{sample.error}")
                continue
            for check in sample.checks:
                if not check.passed and check.weight > 0:
                    at = f" (line {check.line})" if check.line else ""
                    lines.append(f"{prefix}assert[{check.index}] {check.type}{at}: {check.message}")
            if sample.output is not None:
                out = sample.output if len(sample.output) <= 400 else sample.output[:399] + "…"
                lines.append(f"{prefix}output: {out}")
        return "\n".join(lines)


class SuiteSummary(BaseModel):
    suite: str
    variant: str | None = None
    total: int
    passed: int
    threshold: float
    repeat: int = 1
    every_sample: int = 0  # cases whose every sample passed: pass^k with k = repeat

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 1.0

    @property
    def gate_passed(self) -> bool:
        return self.pass_rate >= self.threshold

    def line(self) -> str:
        verdict = "passed" if self.gate_passed else "FAILED"
        name = self.suite + (f"[{self.variant}]" if self.variant else "")
        pass_k = ""
        if self.repeat > 1 and self.total:
            pass_k = f"; pass^{self.repeat} {self.every_sample}/{self.total} ({self.every_sample / self.total:.0%}: every sample passed)"
        return (
            f"suite {name}: {self.passed}/{self.total} cases passed ({self.pass_rate:.0%}){pass_k}; "
            f"threshold {self.threshold:.0%}: {verdict}"
        )


def summarize(results: Iterable[CaseResult], thresholds: dict[str, float]) -> list[SuiteSummary]:
    groups: dict[tuple[str, str | None], list[CaseResult]] = {}
    for result in results:
        groups.setdefault((result.suite, result.variant), []).append(result)
    return [
        SuiteSummary(
            suite=suite,
            variant=variant,
            total=len(items),
            passed=sum(r.passed for r in items),
            threshold=thresholds.get(suite, 1.0),
            repeat=max((len(r.samples) for r in items), default=1),
            every_sample=sum(r.every_sample_passed for r in items),
        )
        for (suite, variant), items in groups.items()
    ]


def percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=100, method="inclusive")[q - 1]


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


class RunWriter:
    """Appends each finished case to the run's results.jsonl, flushed at once."""

    def __init__(self, folder: Path, meta: dict[str, object]):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.json").write_text(
            json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8"
        )
        self.path = folder / "results.jsonl"
        self._handle = self.path.open("a", encoding="utf-8")

    def write(self, result: CaseResult) -> None:
        self._handle.write(result.model_dump_json() + "\n")
        self._handle.flush()  # survives a crash or Ctrl-C of this process

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_results(path: Path) -> Iterator[CaseResult]:
    """Read a results.jsonl (or a run folder); a torn last line from a crash is skipped."""
    if path.is_dir():
        path = path / "results.jsonl"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                try:
                    yield CaseResult.model_validate_json(line)
                except ValueError:
                    continue


def latest_results(path: Path) -> list[CaseResult]:
    """One result per case: the last line wins (a resumed run appends its re-runs)."""
    latest: dict[str, CaseResult] = {}
    for result in read_results(path):
        latest[result.item_id] = result
    return list(latest.values())
