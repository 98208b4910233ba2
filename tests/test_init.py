"""evalkit init: from an empty folder to a green, offline `pytest --evalkit suites/`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.init import TEMPLATE
from evalkit.testing import SERVER_NAME

REPO = Path(__file__).resolve().parent.parent


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "EVALKIT_"))}
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"  # nothing listens: replay must not need it
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    return env


def test_init_gives_a_green_offline_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "acme-evals"
    assert main(["init", str(folder)]) == 0
    assert "recordings from the bundled testing server" in capsys.readouterr().out
    for rel in (
        "pyproject.toml",
        "suites/triage.yaml",
        "prompts/triage/v2.j2",
        "prompts/evalkit.lock",
        "schemas/triage.py",
        ".github/workflows/evals.yml",
        ".github/workflows/ci.yml",
        "README.md",
    ):
        assert (folder / rel).is_file(), rel
    assert 'name = "acme-evals"' in (folder / "pyproject.toml").read_text()
    assert "## Evals (evalkit)" in (folder / "README.md").read_text()
    assert (folder / ".gitignore").read_text() == ".evalkit/\n"
    recordings = sorted((folder / "snapshots/recordings/triage").glob("*.json"))
    assert len(recordings) == 7 and SERVER_NAME in recordings[0].read_text()

    env = offline_env()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "--evalkit", "suites/", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert tests.returncode == 0, tests.stdout
    assert "7 passed" in tests.stdout
    check = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "check", "--strict"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    if shutil.which("actionlint", path=env["PATH"]):
        lint = subprocess.run(
            ["actionlint", ".github/workflows/evals.yml", ".github/workflows/ci.yml"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        assert lint.returncode == 0, lint.stdout


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'mine'\n")
    assert main(["init", str(tmp_path)]) == 2
    assert "evalkit init would overwrite pyproject.toml" in capsys.readouterr().err
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = 'mine'\n"


@pytest.mark.parametrize(
    "rel",
    [
        "suites/triage.yaml",
        "suites/cases/triage.jsonl",
        "prompts/triage/v1.j2",
        "prompts/triage/v2.j2",
        "schemas/triage.py",
        "scripts/triage-model.yaml",
        ".github/workflows/evals.yml",
    ],
)
def test_template_is_this_repository_example(rel: str) -> None:
    assert (TEMPLATE / rel).read_bytes() == (REPO / rel).read_bytes(), (
        f"{rel}: the init template drifted from the example"
    )


def test_both_workflows_pass_actionlint() -> None:
    actionlint = shutil.which(
        "actionlint", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    )
    if actionlint is None:
        pytest.skip("actionlint is not installed (it comes with the dev extra)")
    lint = subprocess.run(
        [actionlint, ".github/workflows/evals.yml", ".github/workflows/ci.yml"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout
