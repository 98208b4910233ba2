"""cli/report.py: `evalkit report RUN...` flags, and a report of finished runs (and their
union) printed and written."""

from __future__ import annotations

import json

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import Project
from .support import parse, usage_error


def test_runs_and_output_flags() -> None:
    args = parse("report", "r1", "r2", "--markdown", "r.md", "--html", "r.html", "--json", "r.j")
    assert args.runs == ["r1", "r2"]
    assert (args.markdown, args.html, args.json) == ("r.md", "r.html", "r.j")
    assert (parse("report", "r1").markdown, parse("report", "r1").html) == (None, None)


def test_a_report_needs_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "report") == "the following arguments are required: RUN"
    assert usage_error(capsys, "report", "r", "--json") == (
        "argument --json: expected one argument"
    )


def test_a_run_reported_printed_and_written(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "r1"]) == 0
    capsys.readouterr()
    assert main(["report", "r1", "--json", "out/r.json", "--markdown", "out/r.md"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("evalkit report: r1")
    assert "json report: out/r.json" in out and "markdown report: out/r.md" in out
    report = json.loads((project.root / "out/r.json").read_text())
    assert report["label"] == "r1" and report["passed"] is True


def test_an_unfinished_run_does_not_pass(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "r1"]) == 0
    results = project.root / ".evalkit/runs/r1/results.jsonl"
    results.write_text(results.read_text().splitlines()[0] + "\n")  # one case missing
    capsys.readouterr()
    assert main(["report", "r1"]) == 1
    assert "warning: " in capsys.readouterr().out


def test_an_unwritable_report_file_is_bad_input(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "r1"]) == 0
    (project.root / "taken").write_text("")
    capsys.readouterr()
    assert main(["report", "r1", "--markdown", "taken/r.md"]) == 2
    assert capsys.readouterr().err.startswith("taken/r.md: cannot write the markdown report")
