"""snapshot: a changed output fails with a readable diff until --snapshot-update accepts it."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project, make_project

SNAP = SUITE.replace("  - schema\n", "  - schema\n  - {type: snapshot, exclude: [urgency]}\n")


def change_recorded_summary(project: Project, case: str, summary: str) -> None:
    """What a re-recording after a model change would do: a different answer on file."""
    path = project.root / f"snapshots/recordings/triage/{case}.json"
    doc = json.loads(path.read_text())
    for entry in doc["interactions"].values():
        message = entry["response"]["choices"][0]["message"]
        content = json.loads(message["content"])
        content["summary"] = summary
        message["content"] = json.dumps(content)
    path.write_text(json.dumps(doc))


def test_snapshot_lifecycle_from_the_cli(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", SNAP)
    assert main(["record"]) == 1
    assert (
        "no snapshot yet (snapshots/outputs/triage/refund.json): review the output and accept it with --snapshot-update"
        in capsys.readouterr().out
    )
    assert main(["run", "--snapshot-update"]) == 0
    assert "2 snapshot(s) written or updated" in capsys.readouterr().out
    stored = (project.root / "snapshots/outputs/triage/refund.json").read_text()
    assert (
        stored == '{\n  "category": "billing",\n  "summary": "Double charge, wants refund"\n}\n'
    )  # urgency excluded
    assert main(["run"]) == 0

    change_recorded_summary(project, "refund", "Customer double-charged")
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert (
        "output differs from the reviewed snapshot snapshots/outputs/triage/refund.json (- snapshot, + output)"
        in out
    )
    assert '-   "summary": "Double charge, wants refund"' in out
    assert '+   "summary": "Customer double-charged"' in out
    assert main(["run", "--snapshot-update"]) == 0
    assert main(["run"]) == 0

    project.write(
        "suites/triage.yaml",
        SNAP.replace(
            '  - id: outage\n    vars: {body: "The site is down"}\n    expect: {category: technical, urgency: high}\n',
            "",
        ),
    )
    capsys.readouterr()
    assert main(["run"]) == 0
    assert (
        "1 snapshot(s) unused: snapshots/outputs/triage/outage.json (delete them with --snapshot-update)"
        in capsys.readouterr().out
    )
    assert main(["run", "--snapshot-update"]) == 0
    assert "1 unused snapshot(s) deleted" in capsys.readouterr().out
    assert not (project.root / "snapshots/outputs/triage/outage.json").exists()


def test_snapshot_update_from_pytest(
    pytester: pytest.Pytester, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    project.write("suites/triage.yaml", SNAP)
    assert main(["record", "--snapshot-update"]) == 0
    change_recorded_summary(project, "outage", "Everything is on fire")
    failed = pytester.runpytest("--evalkit", "suites/")
    failed.assert_outcomes(passed=1, failed=1)
    failed.stdout.fnmatch_lines(
        ['*-   "summary": "Site outage"*', '*+   "summary": "Everything is on fire"*']
    )
    pytester.runpytest("--evalkit", "suites/", "--snapshot-update").assert_outcomes(passed=2)
    pytester.runpytest("--evalkit", "suites/").assert_outcomes(passed=2)


def test_a_variant_run_never_touches_other_snapshots(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", SNAP + "variants:\n  alt: {vars: {company: Initech}}\n")
    assert main(["record", "--all-variants", "--snapshot-update"]) == 0
    base = project.root / "snapshots/outputs/triage/refund.json"
    alt = project.root / "snapshots/outputs/triage/@alt/refund.json"
    assert base.is_file() and alt.is_file()
    capsys.readouterr()
    assert main(["run", "--variant", "alt", "--snapshot-update"]) == 0
    assert "unused" not in capsys.readouterr().out
    assert base.is_file() and alt.is_file()
