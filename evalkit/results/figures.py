"""The figures a run reports, defined once and labelled where shown: tokens and cost of a
case are sums over its samples; a case's latency is the mean of its answered samples; a
suite's p50/p95 are over requests (every answered sample)."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import quantiles

from .models import CaseResult
from .verdicts import SuiteSummary


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
