"""cli/view.py: `evalkit view` flags as the library receives them, what it prints, and
`python -m evalkit.view` with the same arguments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.view.history import DEFAULT_LIMIT

from ..view.test_view import head_cases, write_run
from .support import parse, usage_error


def test_flags_and_defaults() -> None:
    args = parse("view")
    assert (args.runs, args.out, args.open, args.results, args.merge, args.history) == (
        [], None, False, None, False, DEFAULT_LIMIT,
    )  # fmt: skip
    args = parse("view", "a", "b", "--out", "v.html", "--open", "--results", "r", "--merge",
                 "--history", "3")  # fmt: skip
    assert (args.runs, args.out, args.open, args.results, args.merge, args.history) == (
        ["a", "b"], "v.html", True, "r", True, 3,
    )  # fmt: skip


def test_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "view", "--history", "x") == (
        "argument --history: invalid int value: 'x'"
    )


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALKIT_RESULTS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    write_run(tmp_path / "results" / "r1", head_cases())
    return tmp_path / "results"


def test_the_page_is_written_and_its_notes_printed(
    runs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (runs / "r1" / "run.json").unlink()
    assert main(["view", "--results", "results", "--out", "pages/v.html"]) == 0
    assert capsys.readouterr().out == (
        "note: results/r1/run.json is missing: the run's settings are unknown\nview: pages/v.html\n"
    )
    assert (runs.parent / "pages" / "v.html").read_text().startswith("<!doctype html>")


def test_a_negative_history_is_bad_input(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", "--results", "results", "--history", "-1"]) == 2
    assert capsys.readouterr().err == "--history must be 0 or more\n"


def test_python_m_evalkit_view_takes_the_same_arguments(runs: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "evalkit.view", "r1", "--results", "results", "--history", "0"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "view: results/view.html\n"
    bad = subprocess.run(
        [sys.executable, "-m", "evalkit.view", "--history", "x"], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "evalkit view: error: argument --history: invalid int value: 'x'"
    )
