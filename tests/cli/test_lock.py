"""cli/lock.py: `evalkit lock [--root DIR]` locks new prompt versions, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalkit.cli.main import main

from ..conftest import Project
from .support import parse, usage_error


def test_root_defaults_to_the_current_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse("lock").root == "." and parse("lock", "--root", "proj").root == "proj"
    assert usage_error(capsys, "lock", "--root") == "argument --root: expected one argument"


def test_new_versions_are_locked_once(
    project: Project,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)  # --root names the project from anywhere
    assert main(["lock", "--root", str(project.root)]) == 0
    locked = re.fullmatch(r"locked triage@v1 (sha256:[0-9a-f]{64})\n", capsys.readouterr().out)
    assert locked is not None
    assert locked[1] in (project.root / "prompts" / "evalkit.lock").read_text()
    assert main(["lock", "--root", str(project.root)]) == 0
    lock = project.root / "prompts" / "evalkit.lock"
    assert capsys.readouterr().out == f"nothing to lock: every prompt version is in {lock}\n"
    assert not (Path(elsewhere) / "prompts").exists()
