"""The session gate: item outcomes (on the xdist controller too) folded into suite verdicts
by the results layer, pytest's exit status set from them, and evalkit's summary printed."""

from __future__ import annotations

from typing import Any

import pytest

from ..results import CaseOutcome, Verdicts
from ..runs.notes import helpers_note
from .items import OUTCOME
from .state import STATE


class Gate:
    def __init__(self, config: pytest.Config):
        self.config = config
        self.verdicts = Verdicts()
        self.other_failures = 0

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":  # setup and teardown reports carry no outcome
            outcome = next((v for k, v in report.user_properties if k == OUTCOME), None)
            if outcome is not None:
                self.verdicts.add(CaseOutcome.model_validate_json(str(outcome)))
                return
        if report.failed:
            self.other_failures += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        summaries = self.verdicts.summaries()
        if not summaries:
            return
        if not self.verdicts.passed:
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and not self.other_failures:
            session.exitstatus = pytest.ExitCode.OK  # every failure is within its threshold

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summaries = self.verdicts.summaries()
        if not summaries:
            return
        terminalreporter.section("evalkit")
        for summary in summaries:
            terminalreporter.write_line(summary.line())
        state = self.config.stash.get(STATE, None)
        if state is not None:
            for run in state.sessions.values():
                if run.folder is not None:
                    terminalreporter.write_line(f"results: {run.results_path}")
            for run in state.sessions.values():
                if helpers := helpers_note(run):
                    terminalreporter.write_line(helpers)
                if run.ran_suites:
                    for line in run.snapshots().lines():
                        terminalreporter.write_line(line)
        tolerated = [s for s in summaries if s.gate_passed and s.passed < s.total]
        if tolerated and self.verdicts.passed and not self.other_failures:
            terminalreporter.write_line(
                "every failed case is within its suite's threshold: the gate passes"
            )
