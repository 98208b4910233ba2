"""cli/init.py: `evalkit init [DIR] [--source SPEC]` flags and what it says (the whole
example, recorded and run offline, is tests/integration/test_init.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli.main import main

from .support import parse, usage_error


def test_the_folder_defaults_to_here_and_source_to_this_install() -> None:
    args = parse("init")
    assert (args.dir, args.source) == (".", None)
    args = parse("init", "acme", "--source", ">=0.2")
    assert (args.dir, args.source) == ("acme", ">=0.2")


def test_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "init", "--source") == "argument --source: expected one argument"
    assert usage_error(capsys, "init", "a", "b") == "unrecognized arguments: b"


def test_a_source_that_is_nothing_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "p"), "--source", "no-such-folder"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "neither a URL, a folder nor a version" in err
    assert not (tmp_path / "p").exists()


def test_a_folder_with_a_project_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert main(["init", str(tmp_path), "--source", ">=0.1"]) == 2
    err = capsys.readouterr().err
    assert "evalkit init would overwrite pyproject.toml" in err
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\n"


def test_a_version_source_is_portable_and_the_example_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path / "acme"), "--source", ">=0.2"]) == 0
    out, err = capsys.readouterr()
    assert "pyproject.toml installs evalkit as 'pytest-evalkit>=0.2' (from --source)" in out
    assert out.rstrip().endswith("then read README.md") and err == ""
