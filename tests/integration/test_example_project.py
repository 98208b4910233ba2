"""The example project in this repository: it replays offline, and its recordings are
exactly what the bundled testing server answers (so they say honestly where they came from)."""

from __future__ import annotations

import json
import runpy
import shutil
import sys
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.testing import SERVER_NAME

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo_cwd(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    monkeypatch.setenv("EVALKIT_RESULTS", str(REPO / ".evalkit" / "test-runs"))
    return REPO


def test_example_replays_and_passes(repo_cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "suite triage: 7/7 cases passed (100%)" in out
    assert "suite support: 5/5 cases passed (100%)" in out


def test_v1_fails_exactly_the_invoice_case(
    repo_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "suites/triage.yaml", "--variant", "v1"]) == 1
    out = capsys.readouterr().out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("FAIL")] == [
        "triage::invoice-copy[v1]"
    ]


def test_check_strict_passes(repo_cwd: Path) -> None:
    assert main(["check", "--strict"]) == 0


def test_recordings_name_the_testing_server() -> None:
    files = sorted((REPO / "snapshots" / "recordings").rglob("*.json"))
    assert len(files) == 12  # 7 triage cases, 5 support cases
    for path in files:
        for entry in json.loads(path.read_text())["interactions"].values():
            assert entry["source"] == SERVER_NAME


def test_recordings_are_what_the_testing_server_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/record_example.py's record(), run in process on a copy of the project."""
    for name in ("suites", "prompts", "schemas", "scripts", "snapshots", "pyproject.toml"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    shutil.rmtree(tmp_path / "snapshots" / "recordings")
    monkeypatch.setenv("EVALKIT_RESULTS", str(tmp_path / "runs"))
    monkeypatch.chdir(tmp_path)
    for name in [n for n in sys.modules if n.split(".")[0] == "schemas"]:
        monkeypatch.delitem(sys.modules, name)  # the copy's own schemas package
    script = runpy.run_path(str(tmp_path / "scripts" / "record_example.py"))
    assert script["record"]() == 0
    for path in sorted((REPO / "snapshots" / "recordings").rglob("*.json")):
        fresh = tmp_path / path.relative_to(REPO)
        committed, recorded = json.loads(path.read_text()), json.loads(fresh.read_text())
        for entry in (*committed["interactions"].values(), *recorded["interactions"].values()):
            entry.pop("latency_ms")
            entry.pop("ttft_ms", None)
        assert committed == recorded, path.name
