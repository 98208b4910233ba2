"""project/validate.py: `evalkit check`'s findings, returned (never printed) with their
level, file and line, and what was checked."""

from __future__ import annotations

import json

import pytest

from evalkit.config import load_settings
from evalkit.project.validate import CheckReport, Finding, check_project
from evalkit.prompts import PromptStore
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project


@pytest.fixture
def recorded(project: Project, server: TestingServer) -> Project:
    session = Session.start([], {"mode": "record"})
    session.run_sync()
    assert session.passed
    PromptStore(load_settings(project.root).prompts_dir).write_lock()
    return project


def test_a_clean_project_has_no_findings_and_says_what_it_checked(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    report = check_project([], strict=True)
    assert report == CheckReport([], suites=1, plans=2)
    assert (report.errors, report.warnings, report.usage, report.stopped) == (0, 0, False, False)
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_missing_recordings_warn_and_are_errors_when_strict(recorded: Project) -> None:
    recorded.write("prompts/triage/v2.j2", "New: {{ body }} {{ company }}\n")
    recorded.write("suites/triage.yaml", SUITE.replace("triage@v1", "triage@v2"))
    loose = check_project([str(recorded.suite)])
    missing = [f for f in loose.findings if "no recording for the current request" in f.message]
    assert [(f.level, f.file, f.line) for f in missing] == [
        ("warning", "suites/triage.yaml", 10),
        ("warning", "suites/triage.yaml", 13),
    ]
    assert missing[0].message.startswith("triage::refund: ")
    # the old prompt's recordings match nothing now: orphans, always warnings
    orphans = [f for f in loose.findings if "orphan recording" in f.message]
    assert len(orphans) == 2 and len(loose.findings) == 4
    assert (loose.errors, loose.warnings, loose.usage) == (0, 4, False)
    strict = check_project([str(recorded.suite)], strict=True)
    assert [f.level for f in strict.findings] == ["error", "error", "warning", "warning"]
    assert (strict.errors, strict.warnings) == (2, 2)


def test_a_suite_that_does_not_load_stops_the_check_as_bad_input(recorded: Project) -> None:
    recorded.write("suites/triage.yaml", SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"))
    report = check_project([])
    assert report.stopped and report.usage and (report.suites, report.plans) == (0, 0)
    (finding,) = report.findings
    assert (finding.level, finding.file, finding.line) == ("error", "suites/triage.yaml", 3)
    assert "model 'gpt-4.1-mini' is not a pinned snapshot" in finding.message


def test_an_unreadable_recording_is_bad_input_and_the_rest_is_still_checked(
    recorded: Project,
) -> None:
    (recorded.root / "snapshots/recordings/triage/refund.json").write_text("{not json")
    report = check_project([])
    assert not report.stopped and report.usage
    unreadable = [f for f in report.findings if f.usage]
    assert [f.file for f in unreadable] == ["snapshots/recordings/triage/refund.json"]
    assert (report.suites, report.plans) == (1, 2)


def test_a_changed_locked_prompt_is_an_error_at_its_lock_line(recorded: Project) -> None:
    recorded.write("prompts/triage/v1.j2", "changed {{ body }} {{ company }}\n")
    report = check_project([])
    lock = [f for f in report.findings if f.file == "prompts/evalkit.lock"]
    assert [(f.level, f.line) for f in lock] == [("error", 3)]
    assert "locked prompt triage@v1 changed since it was released" in lock[0].message
    assert report.errors >= 1 and not report.usage


def test_orphans_and_drift_are_found(recorded: Project) -> None:
    folder = recorded.root / "snapshots/recordings/triage"
    (folder / "gone.json").write_text((folder / "refund.json").read_text())
    doc = json.loads((folder / "outage.json").read_text())
    for entry in doc["interactions"].values():
        entry["model"] = "gpt-4.1-mini-2025-09-30"
    (folder / "outage.json").write_text(json.dumps(doc))
    report = check_project([])
    texts = [f.text() for f in report.findings]
    assert (
        "snapshots/recordings/triage/gone.json: warning: orphan recording: suite 'triage' has "
        "no case for it; delete the file"
    ) in texts
    drift = [f for f in report.findings if "model drift" in f.message]
    assert [(f.level, f.line) for f in drift] == [("error", 13)]


def test_a_finding_in_compiler_style_and_as_a_workflow_command() -> None:
    placed = Finding("error", "bad", "suites/a.yaml", 4)
    assert placed.text() == "suites/a.yaml:4: bad"
    assert placed.github() == "::error file=suites/a.yaml,line=4::bad"
    warned = Finding("warning", "odd", "suites/a.yaml")
    assert warned.text() == "suites/a.yaml: warning: odd"
    assert warned.github() == "::warning file=suites/a.yaml::odd"
    nowhere = Finding("error", "50% done\r\nnext")
    assert nowhere.text() == "50% done\r\nnext"
    assert nowhere.github() == "::error::50%25 done%0D%0Anext"  # one line, as GitHub reads it
