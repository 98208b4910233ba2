"""What a person sees: a progress bar on a terminal, plain lines in CI logs, the closing table."""

from __future__ import annotations

import io

from rich.console import Console

from evalkit.cli.display import RunDisplay
from evalkit.engine.limits import LiveStats
from evalkit.results import CaseResult, Figures, SampleResult, Verdicts


def case(name: str, passed: bool, retries: int = 0) -> CaseResult:
    sample = SampleResult(
        passed=passed,
        output='{"a": 1}',
        latency_ms=120.0,
        input_tokens=50,
        output_tokens=10,
        cost_usd=0.0001,
        retries=retries,
        checks=[],
    )
    return CaseResult(
        suite="triage",
        case=name,
        passed=passed,
        samples=[sample],
        file="suites/triage.yaml",
        line=3,
    )


def test_plain_progress_lines_and_closing_table_in_ci_logs() -> None:
    out = io.StringIO()
    stats = LiveStats(sent=4, answered=3, rate_limited=1, retries=1)
    display = RunDisplay(3, stats, console=Console(file=out, width=160, force_terminal=False))
    display.PLAIN_EVERY_S = 0.0
    results = [case("a", True), case("b", False, retries=1), case("c", True)]
    figures = Figures()
    with display:
        for result in results:
            display.result(result)
            figures.add(result)
    display.close(Verdicts().add_all(results).summaries(), figures)
    text = out.getvalue()
    assert "progress: 1/3 | 1 pass 0 fail |" in text and "progress: 3/3 | 2 pass 1 fail |" in text
    assert "1×429" in text and "ETA" in text
    assert "FAIL triage::b (suites/triage.yaml:3)" in text
    assert (
        "triage │    2/3 │  67% │      100% │ FAILED │        150/30 │ 0.0003 │             - │            120 │            120 │       1 │       0"
        in text
    )
    assert "API: 4 requests sent, 1 retries, 1×429, 0 failed for good" in text
    assert "suite triage: 2/3 cases passed (67%); threshold 100%: FAILED" in text


def test_progress_bar_on_a_terminal() -> None:
    out = io.StringIO()
    display = RunDisplay(2, LiveStats(), console=Console(file=out, width=120, force_terminal=True))
    with display:
        display.result(case("a", True))
        assert display._progress is not None
        rendered = display.rates()
    assert rendered.startswith("1 pass 0 fail | ") and "req/s" in rendered and "tok/min" in rendered
