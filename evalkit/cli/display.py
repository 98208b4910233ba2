"""What a person watching ``evalkit run`` sees: a progress bar on a terminal, plain
progress lines in CI logs, failures as they happen, and a closing table. It only shows:
verdicts and figures come from the results layer."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text

from ..io.redaction import Redactor
from ..results import CaseResult, Figures, SuiteSummary
from ..runs.report import print_summary_table

if TYPE_CHECKING:
    from ..runs.session import LiveStats  # the engine's counters, read, never driven


class _Rates(ProgressColumn):
    """pass/fail, requests/s, tokens/min and 429s, read live from the engine's counters."""

    def __init__(self, display: RunDisplay):
        super().__init__()
        self.display = display

    def render(self, task: Task) -> Text:
        note = task.fields.get("note")
        return Text(note if isinstance(note, str) else self.display.rates())


def console_for_output(width: int = 160) -> Console:
    """A console for reports: wide enough for tables when not on a terminal (CI logs)."""
    console = Console(soft_wrap=True, highlight=False)
    if not console.is_terminal:
        console = Console(soft_wrap=True, highlight=False, width=width)
    return console


class RunDisplay:
    PLAIN_EVERY_S = 5.0

    def __init__(
        self,
        total: int,
        stats: LiveStats,
        *,
        console: Console | None = None,
        verbose: bool = False,
        remedies: Mapping[str, str] | None = None,
    ):
        self.total = total
        self.stats = stats
        self.console = console or console_for_output()
        self.verbose = verbose
        self.remedies = remedies or {}
        self.redact = Redactor()  # compiled once: a run may print many lines
        self.done = self.passed = self.failed = self.not_run = 0
        self.started = time.monotonic()
        self._last_plain = self.started
        self._progress: Progress | None = None
        self._task: Any = None

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

    def add_bar(self, label: str) -> Callable[[int, int, str], None]:
        """Another bar under the cases' (a batch's request counts), as an ``update(done,
        total, note)`` function; without a terminal, a plain line at most every few seconds."""
        progress = self._progress
        if progress is not None:
            tasks: list[Any] = []

            def update(done: int, total: int, note: str) -> None:
                if not tasks:  # shown from the first counts on
                    tasks.append(progress.add_task(label, total=total or None, note=note))
                progress.update(tasks[0], completed=done, total=total or None, note=note)

            return update
        last: list[Any] = [time.monotonic() - self.PLAIN_EVERY_S, None]

        def plain(done: int, total: int, note: str) -> None:
            now, shown = time.monotonic(), (done, total, note)
            if shown != last[1] and (
                (total and done >= total) or now - last[0] >= self.PLAIN_EVERY_S
            ):
                last[:] = [now, shown]
                self.say(f"{note}: {done:,}/{total:,}")

        return plain

    def say(self, text: str) -> None:
        """A plain line (secrets redacted), above the progress bar when there is one."""
        self.console.print(self.redact(text), markup=False, soft_wrap=True, highlight=False)

    def result(self, result: CaseResult) -> None:
        self.done += 1
        if not result.ran:
            self.not_run += 1
        elif result.passed:
            self.passed += 1
        else:
            self.failed += 1
        # a case the engine did not start (breaker, cost cap) is named by the run's notes;
        # an inconclusive one is named even when on_inconclusive lets it pass
        unsettled = result.case_verdict == "inconclusive"
        if (not result.passed or unsettled) and (result.ran or result.samples):
            self.say(result.tagged_report(self.remedies))
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

    def close(self, summaries: list[SuiteSummary], figures: Figures) -> None:
        """The closing table: per suite pass rate, tokens, cost, latency, retries."""
        print_summary_table(self.console, summaries, figures)
        elapsed = time.monotonic() - self.started
        s = self.stats
        self.say(
            f"{self.done} cases in {elapsed:.1f}s; API: {s.sent} requests sent, {s.retries} retries, "
            f"{s.rate_limited}×429, {s.failed} failed for good"
        )
        for summary in summaries:
            self.say(summary.line())


def describe(result: CaseResult) -> str:
    verdict = {"inconclusive": "INCONCLUSIVE", "passed": "PASS"}.get(result.case_verdict, "FAIL")
    cost = f"${result.cost_usd:.6f}" if result.cost_usd is not None else "cost n/a"
    sources = sorted({s.source for s in result.samples if s.source}) or ["-"]
    detail = (
        f"{'+'.join(sources)}, {result.input_tokens} in/{result.output_tokens} out tokens, {cost}, "
        f"{result.latency_ms:.0f} ms"
    )
    if len(result.samples) > 1:
        detail = f"{result.verdict_detail()}, {detail} (mean per sample)"
    return f"{verdict} {result.item_id}  ({detail})"
