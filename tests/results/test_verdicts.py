"""A case that did not run has no verdict: the rule (evalkit/results/verdicts.py) and the
fronts that read it (``evalkit run``, ``evalkit report``, ``pytest --evalkit``, the viewer).

The class is generated: every way a case can fail to run (never recorded, edited since it
was recorded, a repeat sample missing, a check's own call missing, the server down in
record mode, results written by an older evalkit) against a threshold that would absorb
one failure, through both fronts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.results import CaseOutcome, CaseResult, CheckResult, SampleResult, Verdicts
from evalkit.results.folder import latest_results
from evalkit.results.verdicts import NAMED, not_run_reason, sample_not_run
from evalkit.testing import TestingServer
from evalkit.view.load import load_run

from ..conftest import SUITE, Project

# -- the rule ----------------------------------------------------------------------------


def result(
    case: str,
    passed: bool = True,
    *,
    status: str = "done",
    samples: list[SampleResult] | None = None,
    threshold: float = 0.8,
) -> CaseResult:
    return CaseResult(
        suite="invoice",
        case=case,
        passed=passed,
        status=status,
        threshold=threshold,
        samples=samples if samples is not None else [SampleResult(passed=passed, output="{}")],
    )


NOT_RUN_SHAPES: dict[str, Callable[[], CaseResult]] = {
    "engine stopped it": lambda: result("x", False, status="not run: circuit open", samples=[]),
    "cost cap": lambda: result("x", False, status="not run: cost cap", samples=[]),
    "no recording": lambda: result(
        "x",
        False,
        samples=[SampleResult(passed=False, error="no recording", remedy="record")],
    ),
    "transport": lambda: result(
        "x",
        False,
        samples=[SampleResult(passed=False, error="gave up", not_run="transport error")],
    ),
    "one sample of three": lambda: result(
        "x",
        False,
        samples=[
            SampleResult(sample=0, passed=True, output="{}"),
            SampleResult(sample=1, passed=True, output="{}"),
            SampleResult(sample=2, passed=False, error="no recording", not_run="no recording"),
        ],
    ),
    "a judge's own call": lambda: result(
        "x",
        False,
        samples=[
            SampleResult(
                passed=False,
                output="{}",
                not_run="judge's own call: no recording",
                checks=[CheckResult(type="judge", passed=False, message="its own API call failed")],
            )
        ],
    ),
}


@pytest.mark.parametrize("shape", sorted(NOT_RUN_SHAPES))
def test_a_threshold_never_absorbs_a_case_that_did_not_run(shape: str) -> None:
    results = [result(f"ok-{i}") for i in range(5)] + [NOT_RUN_SHAPES[shape]()]
    verdicts = Verdicts().add_all(results)
    (summary,) = verdicts.summaries()
    assert (summary.total, summary.ran, summary.passed, summary.not_run) == (6, 5, 5, 1)
    assert summary.pass_rate == 1.0  # over the cases that ran: the missing one has no verdict
    assert not summary.gate_passed and not verdicts.passed
    assert "1 not run: invoice::x (" in summary.line()
    assert summary.line().endswith("no threshold covers it)")
    assert not results[-1].ran and results[-1].outcome().not_run


def test_a_failure_the_threshold_covers_still_passes() -> None:
    """A case that ran and failed (the API refused it, a check failed) is a verdict."""
    refused = result("x", False, samples=[SampleResult(passed=False, error="answered 400")])
    failed = result("y", False)
    for bad in (refused, failed):
        verdicts = Verdicts().add_all([result(f"ok-{i}") for i in range(5)] + [bad])
        (summary,) = verdicts.summaries()
        assert bad.ran and summary.gate_passed and summary.pass_rate == pytest.approx(5 / 6)
        assert summary.line() == ("suite invoice: 5/6 cases passed (83%); threshold 80%: passed")


def test_results_of_an_older_evalkit_say_a_missing_recording_by_its_remedy() -> None:
    line = {
        "suite": "invoice",
        "case": "x",
        "passed": False,
        "status": "done",
        "samples": [{"passed": False, "error": "no recording for ...", "remedy": "record"}],
    }
    old = CaseResult.model_validate(line)
    assert old.not_run_reason == "no recording" and not old.ran
    assert sample_not_run(old.samples[0]) == "no recording"


def test_not_run_reason_of_a_status_and_of_samples() -> None:
    assert not_run_reason("not run: cost cap", []) == "cost cap"
    assert not_run_reason("done", [SampleResult(passed=True)]) is None
    assert not_run_reason("done", []) is None  # nothing planned is not "not run"


def test_the_outcome_crosses_xdist_with_its_name_and_reason() -> None:
    bad = NOT_RUN_SHAPES["transport"]()
    outcome = CaseOutcome.model_validate_json(bad.outcome().model_dump_json())
    assert (outcome.case, outcome.why, outcome.not_run, outcome.passed) == (
        "x",
        "transport error",
        True,
        False,
    )


def test_a_suite_line_names_the_first_cases_and_counts_the_rest() -> None:
    many = [result(f"gone-{i:02}", False, status="not run: circuit open") for i in range(15)]
    (summary,) = Verdicts().add_all(many).summaries()
    assert len(summary.not_run_cases) == NAMED
    assert summary.not_run_names().endswith(f"and {15 - NAMED} more")
    assert "invoice::gone-00 (circuit open)" in summary.line()


def test_the_failure_report_says_not_run_with_the_remedy() -> None:
    bad = NOT_RUN_SHAPES["no recording"]()
    report = bad.tagged_report({"record": "run with --mode record"})
    assert report.startswith("NOT RUN invoice::x: no recording")
    assert "  no recording; run with --mode record" in report
    assert result("y", False).tagged_report().startswith("FAIL invoice::y")


# -- through the fronts --------------------------------------------------------------------

HEAD = SUITE.replace("vars: {company: Acme}", "vars: {company: Acme}\nthreshold: 0.8\nrepeat: 2")
CASES = "".join(
    f'  - id: bill-{i}\n    vars: {{body: "I was charged twice ({i})"}}\n    expect: {{category: billing}}\n'
    for i in range(4)
)
BASE = HEAD.replace("cases:\n", "cases:\n" + CASES)  # 6 cases: refund, outage, bill-0..3
NEW = '  - id: brand-new\n    vars: {body: "charged twice, new wording"}\n'


def _folders(project: Project) -> list[Path]:
    runs = project.root / ".evalkit" / "runs"
    return sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime_ns)


def _never_recorded(project: Project, mp: pytest.MonkeyPatch) -> str:
    project.write("suites/triage.yaml", BASE + NEW)
    return "no recording"


def _edited(project: Project, mp: pytest.MonkeyPatch) -> str:
    project.write("suites/triage.yaml", BASE.replace("charged twice (3)", "charged twice (3)!"))
    return "no recording"


def _sample_missing(project: Project, mp: pytest.MonkeyPatch) -> str:
    path = project.root / "snapshots/recordings/triage/bill-2.json"
    doc = json.loads(path.read_text())
    doc["interactions"] = dict(list(doc["interactions"].items())[:1])  # sample 1 is gone
    path.write_text(json.dumps(doc))
    return "no recording"


def _judge_missing(project: Project, mp: pytest.MonkeyPatch) -> str:
    judged = BASE.replace(
        '"I was charged twice (1)"}\n    expect: {category: billing}\n',
        '"I was charged twice (1)"}\n    expect: {category: billing}\n'
        "    assert:\n      - {type: judge, rubric: 'mentions it', model: gpt-4.1-2025-04-14}\n",
    )
    project.write("suites/triage.yaml", judged)
    return "judge's own call: no recording"


def _server_down(project: Project, mp: pytest.MonkeyPatch) -> str:
    project.write("suites/triage.yaml", BASE + NEW)
    mp.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    mp.setenv("EVALKIT_MODE", "record")
    mp.setenv("EVALKIT_MAX_RETRIES", "0")
    return "transport error"


CAUSES = {
    "never recorded": _never_recorded,
    "edited since": _edited,
    "a repeat sample missing": _sample_missing,
    "a judge's recording missing": _judge_missing,
    "server down in record mode": _server_down,
}


@pytest.fixture
def six(project: Project, server: TestingServer) -> Project:
    """Six recorded cases (two samples each) with a threshold of 0.8: one failure would
    be within it."""
    project.write("suites/triage.yaml", BASE)
    assert main(["record"]) == 0
    return project


def _cause(name: str, project: Project, mp: pytest.MonkeyPatch) -> str:
    return CAUSES[name](project, mp)


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_evalkit_run_and_report_fail_while_a_case_did_not_run(
    six: Project,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cause: str,
) -> None:
    why = _cause(cause, six, monkeypatch)
    capsys.readouterr()
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "1 not run: triage::" in out and f"({why})" in out
    assert "threshold 80%: FAILED" in out and "NOT RUN triage::" in out
    folder = _folders(six)[-1]
    (missing,) = [r for r in latest_results(folder) if not r.ran]
    assert missing.status == f"not run: {why}" and not missing.passed

    assert main(["report", str(folder), "--markdown", str(six.root / "r.md")]) == 1
    out = capsys.readouterr().out
    assert f"NOT RUN {missing.item_id}: {why}" in out and "FAIL " + missing.item_id not in out
    assert "FAILED" in out and " failed (" not in out.split("NOT RUN", 1)[1].split("\n")[0]
    markdown = (six.root / "r.md").read_text()
    assert "### Not run" in markdown and f"triage::{missing.case} ({why})" in markdown

    loaded = load_run(folder)
    verdicts = {c.case: c.verdict for c in loaded.view.cases}
    assert verdicts[missing.case] == "not run"
    assert [s.not_run for s in loaded.view.suites] == [1]


@pytest.mark.parametrize("cause", sorted(CAUSES))
def test_the_pytest_gate_fails_while_a_case_did_not_run(
    six: Project,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    cause: str,
) -> None:
    why = _cause(cause, six, monkeypatch)
    result = pytester.runpytest("--evalkit", str(six.root / "suites"))
    assert result.ret == 1
    out = result.stdout.str()
    assert "1 not run: triage::" in out and f"({why})" in out
    assert "within its suite's threshold" not in out
    assert "not run: " + why in out  # the item's own report
