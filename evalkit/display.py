"""What a person watching ``evalkit run`` sees: a progress bar on a terminal, plain
progress lines in CI logs, failures as they happen, and a closing table."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from .engine.limits import LiveStats
from .results import CaseResult, SuiteSummary, percentile


class _Rates(ProgressColumn):
    """pass/fail, requests/s, tokens/min and 429s, read live from the engine's counters."""

    def __init__(self, display: RunDisplay):
        super().__init__()
        self.display = display

    def render(self, task: Task) -> Text:
        return Text(self.display.rates())


class RunDisplay:
    PLAIN_EVERY_S = 5.0

    def __init__(
        self, total: int, stats: LiveStats, *, console: Console | None = None, verbose: bool = False
    ):
        self.total = total
        self.stats = stats
        if console is None:
            console = Console(soft_wrap=True, highlight=False)
            if not console.is_terminal:  # CI logs: wide enough for the closing table
                console = Console(soft_wrap=True, highlight=False, width=160)
        self.console = console
        self.verbose = verbose
        self.done = self.passed = self.failed = self.not_run = 0
        self.started = time.monotonic()
        self._last_plain = self.started
        self._progress: Progress | None = None
        self._task: Any = None
        self.suites: dict[tuple[str, str | None], _Tally] = {}

    def rates(self) -> str:
        s = self.stats
        return (
            f"{self.passed} pass {self.failed} fail"
            + (f" {self.not_run} not run" if self.not_run else "")
            + f" | {s.per_second():.1f} req/s {s.tokens_per_minute():,.0f} tok/min {s.rate_limited}×429"
        )

    def __enter__(self) -> RunDisplay:
        if self.console.is_terminal:
            self._progress = Progress(
                TextColumn("{task.completed}/{task.total}"),
                BarColumn(),
                _Rates(self),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("run", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def say(self, text: str) -> None:
        """A plain line, above the progress bar when there is one."""
        self.console.print(text, markup=False, soft_wrap=True, highlight=False)

    def result(self, result: CaseResult) -> None:
        self.tally(result)
        self.done += 1
        if result.status != "done":
            self.not_run += 1
        elif result.passed:
            self.passed += 1
        else:
            self.failed += 1
        if not result.passed and result.status == "done":
            report = result.failure_report().replace(f"{result.item_id} failed", result.item_id, 1)
            self.say("FAIL " + report)
        elif self.verbose:
            self.say(describe(result))
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
        elif time.monotonic() - self._last_plain >= self.PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            self.say(f"progress: {self.done}/{self.total} | {self.rates()} | ETA {self.eta()}")

    def eta(self) -> str:
        elapsed = time.monotonic() - self.started
        if not self.done:
            return "?"
        left = elapsed / self.done * (self.total - self.done)
        return f"{int(left // 60)}m{int(left % 60):02d}s"

    def tally(self, result: CaseResult) -> None:
        """Fold a result into its suite's totals (results are not kept: a long run's
        closing table costs a few numbers per suite, not every result)."""
        key = (result.suite, result.variant)
        self.suites.setdefault(key, _Tally()).add(result)

    def summaries(self, thresholds: dict[str, float]) -> list[SuiteSummary]:
        return [
            SuiteSummary(
                suite=s,
                variant=v,
                total=t.total,
                passed=t.passed,
                threshold=thresholds.get(s, 1.0),
                repeat=t.repeat,
                every_sample=t.every_sample,
            )
            for (s, v), t in self.suites.items()
        ]

    def close(self, summaries: list[SuiteSummary]) -> None:
        """The closing table: per suite pass rate, tokens, cost, latency, retries."""
        table = Table(title=None, show_edge=False, pad_edge=False)
        for column in (
            "suite",
            "passed",
            "rate",
            "threshold",
            "gate",
            "tokens in/out",
            "cost $",
            "checks' calls",
            "p50 ms",
            "p95 ms",
            "retries",
            "not run",
        ):
            table.add_column(column, justify="left" if column in ("suite", "gate") else "right")
        for summary in summaries:
            t = self.suites[(summary.suite, summary.variant)]
            table.add_row(
                summary.suite + (f"[{summary.variant}]" if summary.variant else ""),
                f"{summary.passed}/{summary.total}",
                f"{summary.pass_rate:.0%}",
                f"{summary.threshold:.0%}",
                "passed" if summary.gate_passed else "FAILED",
                f"{t.input_tokens:,}/{t.output_tokens:,}",
                "n/a" if t.cost is None else f"{t.cost:.4f}",
                "-"
                if not t.aux_tokens
                else f"{t.aux_tokens:,} tok, "
                + ("$n/a" if t.aux_cost is None else f"${t.aux_cost:.4f}"),
                f"{percentile(t.latencies, 50):.0f}",
                f"{percentile(t.latencies, 95):.0f}",
                str(t.retries),
                str(t.not_run),
            )
        self.console.print(table, soft_wrap=False, crop=False)
        elapsed = time.monotonic() - self.started
        s = self.stats
        self.say(
            f"{self.done} cases in {elapsed:.1f}s; API: {s.sent} requests sent, {s.retries} retries, "
            f"{s.rate_limited}×429, {s.failed} failed for good"
        )
        for summary in summaries:
            self.say(summary.line())


class _Tally:
    def __init__(self) -> None:
        self.total = self.passed = self.not_run = self.retries = self.every_sample = 0
        self.repeat = 1
        self.aux_tokens = 0
        self.aux_cost: float | None = 0.0
        self.input_tokens = self.output_tokens = 0
        self.cost: float | None = 0.0
        self.latencies: list[float] = []

    def add(self, result: CaseResult) -> None:
        self.total += 1
        self.passed += result.passed
        self.not_run += result.status != "done"
        self.every_sample += result.every_sample_passed
        self.repeat = max(self.repeat, len(result.samples))
        aux = result.aux_cost_usd
        self.aux_cost = None if aux is None or self.aux_cost is None else self.aux_cost + aux
        self.aux_tokens += sum(
            a.input_tokens + a.output_tokens for s in result.samples for a in s.aux
        )
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        cost = result.cost_usd
        self.cost = None if cost is None or self.cost is None else self.cost + cost
        for sample in result.samples:
            self.retries += sample.retries
            if sample.error is None:
                self.latencies.append(sample.latency_ms)


def describe(result: CaseResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "cost n/a"
    sources = sorted({s.source for s in result.samples if s.source}) or ["-"]
    detail = f"{'+'.join(sources)}, {result.input_tokens} in/{result.output_tokens} out tokens, {cost}, {result.latency_ms:.0f} ms"
    if len(result.samples) > 1:
        detail = f"{result.samples_passed}/{len(result.samples)} samples, {detail}"
    return f"{verdict} {result.item_id}  ({detail})"
