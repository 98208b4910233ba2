"""A reviewed snapshot is only ever accepted or deleted for a case that ran.

The snapshot store holds the snapshots of a case that did not run (``hold``, called by the
engine for every case with no verdict): under ``--snapshot-update`` such a case keeps its
snapshot, "unused snapshot(s) deleted" never names it, and a changed output it could not
judge is never accepted. Generated over the ways a case does not run, through ``evalkit
run`` and ``pytest --evalkit``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from evalkit.checks.snapshot_store import SnapshotStore
from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project, make_project

SNAP = SUITE.replace("  - schema\n", "  - schema\n  - snapshot\n")
REFUND = "snapshots/outputs/triage/refund.json"
OUTAGE = "snapshots/outputs/triage/outage.json"


def _edited(project: Project, mp: pytest.MonkeyPatch) -> None:
    """The case was edited: its request has no recording any more (replay)."""
    project.write("suites/triage.yaml", SNAP.replace("refund please", "refund please!"))


def _recording_deleted(project: Project, mp: pytest.MonkeyPatch) -> None:
    (project.root / "snapshots/recordings/triage/refund.json").unlink()


def _judge_unrecorded(project: Project, mp: pytest.MonkeyPatch) -> None:
    """The case's answer is recorded, but its judge's is not, and the answer changed."""
    path = project.root / "snapshots/recordings/triage/refund.json"
    doc = json.loads(path.read_text())
    for entry in doc["interactions"].values():
        message = entry["response"]["choices"][0]["message"]
        content = json.loads(message["content"])
        content["summary"] = "a different summary nobody reviewed"
        message["content"] = json.dumps(content)
    path.write_text(json.dumps(doc))
    project.write(
        "suites/triage.yaml",
        SNAP.replace(
            "    expect: {category: billing}\n",
            "    expect: {category: billing}\n"
            "    assert:\n      - {type: judge, rubric: 'mentions it', model: gpt-4.1-2025-04-14}\n",
        ),
    )


def _server_down(project: Project, mp: pytest.MonkeyPatch) -> None:
    """Record mode with the server down: nothing is answered (every case edited)."""
    project.write(
        "suites/triage.yaml",
        SNAP.replace("refund please", "refund please!").replace("is down", "is down!"),
    )
    mp.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    mp.setenv("EVALKIT_MODE", "record")
    mp.setenv("EVALKIT_MAX_RETRIES", "0")


NOT_RUN: dict[str, Callable[[Project, pytest.MonkeyPatch], None]] = {
    "edited (replay)": _edited,
    "recording deleted": _recording_deleted,
    "judge unrecorded": _judge_unrecorded,
    "server down (record)": _server_down,
}


@pytest.fixture
def reviewed(project: Project, server: TestingServer) -> Project:
    project.write("suites/triage.yaml", SNAP)
    assert main(["record", "--snapshot-update"]) == 0
    assert (project.root / REFUND).is_file() and (project.root / OUTAGE).is_file()
    return project


def _snapshots(project: Project) -> dict[str, str]:
    return {
        str(p.relative_to(project.root)): p.read_text()
        for p in sorted((project.root / "snapshots/outputs").rglob("*.json"))
    }


@pytest.mark.parametrize("cause", sorted(NOT_RUN))
def test_evalkit_run_snapshot_update_keeps_the_snapshot_of_a_case_that_did_not_run(
    reviewed: Project,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cause: str,
) -> None:
    before = _snapshots(reviewed)
    NOT_RUN[cause](reviewed, monkeypatch)
    capsys.readouterr()
    assert main(["run", "--snapshot-update"]) == 1  # the gate fails: a case did not run
    out = capsys.readouterr().out
    assert "NOT RUN triage::refund" in out
    assert "refund.json" not in "".join(
        line for line in out.splitlines() if "unused" in line or "deleted" in line
    )
    assert _snapshots(reviewed)[REFUND] == before[REFUND]  # neither deleted nor accepted
    if cause == "server down (record)":
        assert "unused" not in out and "deleted" not in out  # nothing ran: nothing is offered
        assert _snapshots(reviewed) == before


@pytest.mark.parametrize("cause", sorted(NOT_RUN))
def test_pytest_snapshot_update_keeps_the_snapshot_of_a_case_that_did_not_run(
    pytester: pytest.Pytester,
    server: TestingServer,
    monkeypatch: pytest.MonkeyPatch,
    cause: str,
) -> None:
    project = make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    project.write("suites/triage.yaml", SNAP)
    assert main(["record", "--snapshot-update"]) == 0
    before = _snapshots(project)
    NOT_RUN[cause](project, monkeypatch)
    result = pytester.runpytest("--evalkit", "suites/", "--snapshot-update")
    assert result.ret == 1
    out = result.stdout.str()
    assert "triage::refund not run:" in out
    assert "refund.json" not in "".join(
        line for line in out.splitlines() if "unused" in line or "deleted" in line
    )
    assert _snapshots(project)[REFUND] == before[REFUND]


def test_a_removed_case_s_snapshot_is_deleted_only_when_every_other_case_ran(
    reviewed: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """The deletion itself still works for a case that is gone, next to one that ran."""
    without_outage = SNAP.replace(
        '  - id: outage\n    vars: {body: "The site is down"}\n'
        "    expect: {category: technical, urgency: high}\n",
        "",
    )
    reviewed.write("suites/triage.yaml", without_outage)
    capsys.readouterr()
    assert main(["run", "--snapshot-update"]) == 0
    assert "1 unused snapshot(s) deleted: snapshots/outputs/triage/outage.json" in (
        capsys.readouterr().out
    )
    assert not (reviewed.root / OUTAGE).exists() and (reviewed.root / REFUND).is_file()


def test_hold_keeps_every_sample_of_the_case(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, update=True)
    folder = store.folder_for("triage", None)
    folder.mkdir(parents=True)
    for name in ("refund.json", "refund.sample-1.json", "outage.json", "refund-2.json"):
        (folder / name).write_text("{}")
    store.hold("triage", "refund", None)
    report = store.finish([("triage", None)])
    assert sorted(p.name for p in report.unused) == ["outage.json", "refund-2.json"]
    assert (folder / "refund.json").is_file() and (folder / "refund.sample-1.json").is_file()
