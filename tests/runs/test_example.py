"""runs/example.py: `evalkit init`'s example, written then recorded against the bundled
testing server; the recording run leaves nothing but recordings behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.runs.example import SCRIPT, init_project, record_example
from evalkit.testing import SERVER_NAME


def test_init_project_writes_the_files_and_records_a_passing_example(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    example = init_project(folder, "pytest-evalkit>=0.1")
    assert example.folder == folder and example.passed
    assert all(path.is_file() for path in example.files)
    assert folder / "pyproject.toml" in example.files
    assert '"pytest-evalkit>=0.1"' in (folder / "pyproject.toml").read_text()
    recordings = sorted((folder / "snapshots/recordings/triage").glob("*.json"))
    assert len(recordings) == 7
    for path in recordings:
        doc = json.loads(path.read_text())
        assert all(SERVER_NAME in e["source"] for e in doc["interactions"].values())
    assert not (folder / ".evalkit" / "init").exists()  # the recording run is removed


def test_a_broken_example_script_is_reported_as_not_passing(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    init_project(folder, "pytest-evalkit")
    for path in (folder / "snapshots").rglob("*.json"):
        path.unlink()
    script = folder / SCRIPT
    script.write_text("rules: []\n")  # the model answers nothing the suites expect
    assert record_example(folder) is False
    assert not (folder / ".evalkit" / "init").exists()


def test_nothing_is_recorded_when_the_files_would_overwrite(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    with pytest.raises(ConfigError, match=r"evalkit init would overwrite pyproject\.toml"):
        init_project(tmp_path, "pytest-evalkit")
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"
    assert not (tmp_path / "snapshots").exists()
