"""Verdicts, computed here and nowhere else: whether a sample, a case, a suite and a run
passed (thresholds, repeats, k/n, not-run cases). ``evalkit run``, ``evalkit report``, the
pytest session gate (xdist included), the viewer and the job summary all read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from .models import CaseOutcome, CaseResult, CheckResult, SampleResult


def sample_passed(checks: Iterable[CheckResult], error: str | None) -> bool:
    """A sample passes when it was answered and every gating check passed."""
    return error is None and all(c.passed for c in checks if c.gates)


def case_passed(samples: list[SampleResult], case_threshold: float, error: str | None) -> bool:
    """A case passes when at least ``case_threshold`` of its samples passed."""
    if error is not None or not samples:
        return False
    return sum(s.passed for s in samples) / len(samples) >= case_threshold


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
