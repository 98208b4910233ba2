"""evalkit check: each mistake, made on purpose, is reported with its file and line."""

from __future__ import annotations

import json
import sys

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import SCHEMA, SUITE, Project


@pytest.fixture
def recorded(project: Project, server: TestingServer) -> Project:
    assert main(["record"]) == 0
    assert main(["lock"]) == 0
    return project


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_clean_project_passes(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = check(capsys, "--strict")
    assert code == 0 and "0 error(s), 0 warning(s)" in out


def test_schema_outside_strict_rules_names_field_file_and_line(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.write(
        "schemas/triage.py",
        SCHEMA.replace(
            "    summary: str\n", "    summary: str\n    meta: dict[str, str]\n    extra: Any\n"
        ).replace("from typing import Literal", "from typing import Any, Literal"),
    )
    for name in [n for n in sys.modules if n.split(".")[0] == "schemas"]:
        del sys.modules[name]  # a new process would import the edited file
    code, out = check(capsys)
    assert code == 1
    assert (
        "schemas/triage.py:10: schema schemas.triage:Ticket: field Ticket.meta is a free-form mapping (dict)"
        in out
    )
    assert (
        "schemas/triage.py:11: schema schemas.triage:Ticket: field Ticket.extra has no type (Any)"
        in out
    )


def test_stale_recording_after_a_prompt_edit(
    recorded: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded.write("prompts/triage/v2.j2", "New: {{ body }} {{ company }}\n")
    recorded.write("suites/triage.yaml", SUITE.replace("triage@v1", "triage@v2"))
    code, out = check(capsys)
    assert code == 0  # a warning without --strict
    assert (
        "suites/triage.yaml:10: warning: triage::refund: no recording for the current request"
        in out
    )
    code, out = check(capsys, "--strict")
    assert code == 1 and "suites/triage.yaml:13: triage::outage: no recording" in out


def test_orphan_recordings(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    path = recorded.root / "snapshots/recordings/triage/refund.json"
    (recorded.root / "snapshots/recordings/triage/gone.json").write_text(path.read_text())
    doc = json.loads(path.read_text())
    (entry,) = doc["interactions"].values()
    old = json.loads(json.dumps(entry))
    old["request"]["body"]["temperature"] = 1
    doc["interactions"]["0" * 32] = old
    path.write_text(json.dumps(doc))
    code, out = check(capsys)
    assert code == 0
    assert (
        "snapshots/recordings/triage/gone.json: warning: orphan recording: suite 'triage' has no case for it"
        in out
    )
    assert (
        "suites/triage.yaml:10: warning: triage::refund: orphan recording 000000000000 matches no current request"
        in out
    )


def test_model_drift(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    path = recorded.root / "snapshots/recordings/triage/outage.json"
    doc = json.loads(path.read_text())
    for entry in doc["interactions"].values():
        entry["model"] = "gpt-4.1-mini-2025-09-30"
    path.write_text(json.dumps(doc))
    code, out = check(capsys)
    assert code == 1
    assert (
        "suites/triage.yaml:13: triage::outage: model drift: gpt-4.1-mini-2025-04-14 was requested but gpt-4.1-mini-2025-09-30 answered"
        in out
    )


def test_github_annotations(recorded: Project, capsys: pytest.CaptureFixture[str]) -> None:
    recorded.write("prompts/triage/v1.j2", "changed {{ body }} {{ company }}\n")
    code, out = check(capsys, "--format", "github")
    assert code == 1
    assert (
        "::error file=prompts/evalkit.lock,line=3::locked prompt triage@v1 changed since it was released"
        in out
    )
    recorded.write("suites/triage.yaml", SUITE.replace("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"))
    code, out = check(capsys, "--format", "github")
    assert code == 2
    assert (
        "::error file=suites/triage.yaml,line=3::model 'gpt-4.1-mini' is not a pinned snapshot"
        in out
    )
