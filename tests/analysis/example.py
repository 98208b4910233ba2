"""Real run folders for the frames: the repository's example project (a structured suite
with judge and embedding checks, a streamed tool suite) replayed by `evalkit run` from its
committed recordings, whole and as two shards, once per test session; and run folders
written with RunWriter for what the example does not have (repeats, not-run cases, unknown
prices)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from evalkit.cli.main import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = ("pyproject.toml", "suites", "prompts", "schemas", "snapshots", "scripts")


@dataclass(frozen=True)
class Example:
    root: Path  # the project: `results_dir` is root/.evalkit/runs

    @property
    def runs(self) -> Path:
        return self.root / ".evalkit" / "runs"


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Example]:
    """The example project with runs ``base`` (every case), ``s1`` and ``s2`` (its two
    shards), replayed from recordings (no network, no key)."""
    root = tmp_path_factory.mktemp("example")
    for name in EXAMPLE:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy(source, root / name)
    here, env = Path.cwd(), dict(os.environ)
    os.chdir(root)
    os.environ.pop("OPENAI_API_KEY", None)
    os.environ.pop("OPENAI_BASE_URL", None)
    try:
        for argv in (
            ["run", "--run-id", "base"],
            ["run", "--run-id", "s1", "--shard", "1/2"],
            ["run", "--run-id", "s2", "--shard", "2/2"],
        ):
            assert main(argv) == 0, argv
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(env)
    yield Example(root)


@pytest.fixture
def in_example(example: Example, monkeypatch: pytest.MonkeyPatch) -> Example:
    """The current folder is the example project (run ids resolve under its results)."""
    monkeypatch.chdir(example.root)
    return example
