"""The pytest front, driven through pytest itself (pytester)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import SUITE, make_project


@pytest.fixture
def recorded(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """A project whose cases are recorded; the server stays up to count any call."""
    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    assert main(["record"]) == 0
    return pytester


def test_items_are_suite_and_case(recorded: pytest.Pytester) -> None:
    result = recorded.runpytest("--evalkit", "suites/triage.yaml", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["suites/triage.yaml::triage::refund", "suites/triage.yaml::triage::outage"]
    )


def test_replay_passes_without_calls(recorded: pytest.Pytester, server: TestingServer) -> None:
    calls = server.stats.requests
    result = recorded.runpytest("--evalkit", "suites/")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*suite triage: 2/2 cases passed (100%); threshold 100%: passed*"])
    assert server.stats.requests == calls


def test_an_in_process_session_leaves_nothing_frozen(recorded: pytest.Pytester) -> None:
    """The collected items are frozen out of the garbage collector for the session and
    thawed when it ends, after pytest's own last collection (an in-process run, as a
    notebook or pytester makes, keeps collecting its garbage)."""
    import gc

    assert gc.get_freeze_count() == 0
    recorded.runpytest_inprocess("--evalkit", "suites/").assert_outcomes(passed=2)
    assert gc.get_freeze_count() == 0


def test_a_session_lets_go_of_its_plans_when_it_ends(recorded: pytest.Pytester) -> None:
    """pytest keeps its items until the process exits; evalkit's planned cases and run
    sessions go when the session ends, so the interpreter's last collections at exit walk
    only what pytest itself keeps."""
    import gc

    from evalkit.project.plan import PlannedCase
    from evalkit.runs.session import Session

    result = recorded.runpytest_inprocess("--evalkit", "suites/", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    gc.collect()
    mine = [
        o
        for o in gc.get_objects()
        if (isinstance(o, PlannedCase) and recorded.path in o.case.file.parents)
        or (isinstance(o, Session) and o.settings.root == recorded.path)
    ]
    assert mine == []
    items = [
        o
        for o in gc.get_objects()
        if type(o).__name__ == "CaseItem" and recorded.path in o.reportinfo()[0].parents
    ]
    assert len(items) == 2  # pytester keeps the items: the plans went, the items stay
    assert sorted(item.reportinfo()[2] for item in items) == ["triage::outage", "triage::refund"]


def test_only_suites_are_collected_unless_test_paths_are_given(recorded: pytest.Pytester) -> None:
    recorded.makepyfile(test_other="def test_other():\n    assert True\n")
    recorded.runpytest("--evalkit", "suites/").assert_outcomes(passed=2)
    recorded.runpytest("--evalkit", "suites/", "test_other.py").assert_outcomes(passed=3)
    recorded.runpytest("--evalkit").assert_outcomes(passed=2)  # no path: the suites folder
    recorded.runpytest("test_other.py").assert_outcomes(passed=1)  # without --evalkit, no suites


def test_k_selection(recorded: pytest.Pytester) -> None:
    result = recorded.runpytest("--evalkit", "suites/", "-k", "outage", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*triage::outage PASSED*"])


def test_failure_is_readable_without_engine_traceback(recorded: pytest.Pytester) -> None:
    recorded.path.joinpath("suites/triage.yaml").write_text(
        SUITE.replace("urgency: high}", "urgency: low}")
    )
    result = recorded.runpytest("--evalkit", "suites/")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*triage::outage failed (suites/triage.yaml:13)*",
            "*assert[[]2] equals at urgency (line 15): expected low at urgency, got high*",
            '*output: {"category": "technical", "urgency": "high", "summary": "Site outage"}*',
            "*suite triage: 1/2 cases passed (50%); threshold 100%: FAILED*",
        ]
    )
    out = result.stdout.str()
    assert "Traceback" not in out and "evalkit/engine" not in out


def test_suite_threshold_is_gated_at_session_end(recorded: pytest.Pytester) -> None:
    failing = SUITE.replace("urgency: high}", "urgency: low}")
    recorded.path.joinpath("suites/triage.yaml").write_text(
        failing.replace("vars: {company: Acme}", "vars: {company: Acme}\nthreshold: 0.5")
    )
    result = recorded.runpytest("--evalkit", "suites/")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*every failed case is within its suite's threshold*"])


def test_missing_recording_fails_with_the_hint(recorded: pytest.Pytester) -> None:
    recorded.path.joinpath("suites/triage.yaml").write_text(
        SUITE.replace("The site is down", "The site is down!")
    )
    result = recorded.runpytest("--evalkit", "suites/")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*no recording for this request: the prompt, model or params changed; run with --evalkit-mode=record*"
        ]
    )


def test_record_mode_from_pytest(recorded: pytest.Pytester, server: TestingServer) -> None:
    recorded.path.joinpath("suites/triage.yaml").write_text(
        SUITE.replace("The site is down", "The site is down!")
    )
    calls = server.stats.requests
    recorded.runpytest("--evalkit", "suites/", "--evalkit-mode", "record").assert_outcomes(passed=2)
    assert server.stats.requests == calls + 1
    recorded.runpytest("--evalkit", "suites/").assert_outcomes(passed=2)


def test_variant_items(recorded: pytest.Pytester) -> None:
    recorded.path.joinpath("prompts/triage/v2.j2").write_text("{{ company }}: {{ body }}\n")
    recorded.path.joinpath("suites/triage.yaml").write_text(
        SUITE + "variants:\n  v2: {prompt: triage@v2}\n"
    )
    assert main(["record", "--variant", "v2"]) == 0
    result = recorded.runpytest("--evalkit", "suites/", "--evalkit-variant", "v2", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*triage::refund[[]v2[]] PASSED*"])
    bad = recorded.runpytest("--evalkit", "suites/", "--evalkit-variant", "v3")
    assert bad.ret == 2
    bad.stdout.fnmatch_lines(["*no suite defines variant 'v3' (variants: triage: v2)*"])


def test_bad_mode_is_a_usage_error(recorded: pytest.Pytester) -> None:
    result = recorded.runpytest("--evalkit", "suites/", "--evalkit-mode", "replya")
    assert result.ret == 2
    result.stdout.fnmatch_lines(
        ["*--evalkit-mode 'replya': use one of replay, record, rerecord, live*"]
    )


def test_junitxml_has_per_case_properties(recorded: pytest.Pytester) -> None:
    recorded.runpytest("--evalkit", "suites/", "--junitxml=report.xml").assert_outcomes(passed=2)
    tree = ET.parse(recorded.path / "report.xml")
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    assert set(cases) == {"refund", "outage"}
    props = {p.get("name"): p.get("value") for p in cases["refund"].iter("property")}
    assert props["evalkit_suite"] == "triage"
    assert props["evalkit_passed"] == "True"
    assert props["evalkit_model"] == "gpt-4.1-mini-2025-04-14"
    assert int(props["evalkit_input_tokens"]) > 0
    assert props["evalkit_request_id"].startswith("req_")


def test_xdist(recorded: pytest.Pytester) -> None:
    result = recorded.runpytest("--evalkit", "suites/", "-n", "2")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*suite triage: 2/2 cases passed*"])


def test_adaptive_repeats_under_xdist_replay_the_serial_verdicts(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`repeat: {min, max}` under xdist: each worker samples its cases adaptively, and the
    verdicts, rates and sample counts are the ones a serial replay of the recordings gives."""
    from evalkit.results.folder import latest_results

    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    suite = pytester.path / "suites" / "triage.yaml"
    suite.write_text(
        suite.read_text().replace(
            "assert:\n", "repeat: {min: 3, max: 30}\ncase_threshold: 0.5\nassert:\n", 1
        )
    )
    assert main(["record"]) == 0
    runs = pytester.path / ".evalkit" / "runs"

    def cases(folders: list[Path]) -> dict[str, tuple[str | None, int, float | None]]:
        return {
            r.case: (r.verdict, len(r.samples), r.pass_rate)
            for folder in folders
            for r in latest_results(folder)
        }

    pytester.runpytest("--evalkit", "suites/").assert_outcomes(passed=2)
    serial = cases([max(runs.iterdir(), key=lambda p: p.stat().st_mtime)])
    pytester.runpytest("--evalkit", "suites/", "-n", "2").assert_outcomes(passed=2)
    workers = [p for p in runs.iterdir() if p.name.endswith(("-gw0", "-gw1"))]  # a folder each
    assert cases(workers) == serial
    assert all(verdict == "passed" and 3 <= n < 30 for verdict, n, _ in serial.values()), serial


def test_results_file_is_written_as_by_evalkit_run(recorded: pytest.Pytester) -> None:
    from evalkit.results.folder import latest_results

    result = recorded.runpytest("--evalkit", "suites/")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*results: *results.jsonl"])
    runs = sorted((recorded.path / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    assert sorted(r.case for r in latest_results(runs[-1])) == ["outage", "refund"]


def test_evalkit_run_resumes_a_run_pytest_started(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One metadata writer for both fronts: a session stopped after one case (here: -k)
    is finished by `evalkit run --resume`, in the session's own mode."""
    from evalkit.results.folder import ResultsFile, read_meta

    make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    result = pytester.runpytest("--evalkit", "suites/", "--evalkit-mode", "record", "-k", "refund")
    result.assert_outcomes(passed=1)
    (folder,) = (pytester.path / ".evalkit" / "runs").iterdir()
    meta = read_meta(folder)
    assert meta.front == "pytest" and meta.mode == "record" and meta.suites
    assert main(["run", "--resume", folder.name]) == 0
    assert sorted(r.case for r in ResultsFile(folder).latest()) == ["outage", "refund"]
    assert len(list((pytester.path / "snapshots" / "recordings" / "triage").iterdir())) == 2
