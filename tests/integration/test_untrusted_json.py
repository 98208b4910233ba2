"""Unbounded or mistyped JSON reaching a front: exit 2 with ``file:line: message``, never a
traceback, never a replay that passes (evalkit/io/jsonfile.py is the one reader)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.cli.main import main
from evalkit.testing import TestingServer

from ..conftest import Project

DEEP = "[" * 10_000 + "]" * 10_000


def _fails_clearly(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "RecursionError" not in err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_a_recording_whose_usage_is_not_token_counts_is_refused(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record"]) == 0
    path = project.recordings()[0]
    good = json.loads(path.read_text())
    usages: list[Any] = [[1, 2], "many", {"prompt_tokens": "12"}, {"prompt_tokens": 1e300}]
    usages += [{"completion_tokens": -3}, {"prompt_tokens": True}]
    usages += [{"prompt_tokens": 1, "prompt_tokens_details": {"cached_tokens": 0.5}}]
    for usage in usages:
        data = json.loads(json.dumps(good))
        for entry in data["interactions"].values():
            entry["response"]["usage"] = usage
        path.write_text(json.dumps(data))
        _fails_clearly(capsys, ["run"], path.name, "usage", "re-record this case")
    text = json.dumps(good).replace('"prompt_tokens": ', '"prompt_tokens": 1e400, "x": ', 1)
    path.write_text(text)
    _fails_clearly(capsys, ["run"], f"{path.name}:1: the recording holds the number 1e400")
    path.write_text(json.dumps(good))
    assert main(["run"]) == 0  # the untouched recording still replays


def test_deep_run_metadata_and_results_lines(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = project.root / ".evalkit" / "runs" / "g"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(DEEP)
    _fails_clearly(capsys, ["run", "--resume", "g"], "run.json: the run metadata is nested")
    (folder / "run.json").write_text('{"run_id": "g"}')
    (folder / "results.jsonl").write_text(DEEP + "\n" + '{"suite": "s", "cost": 1e999}\n')
    err = _fails_clearly(capsys, ["report", str(folder)], "results.jsonl", "unreadable line")
    assert "no results" in err


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("deep.jsonl", '{"id": "a", "vars": {"body": "x"}}\n' + DEEP + "\n", "deep.jsonl:2:"),
        ("inf.jsonl", '{"id": "a", "vars": {"body": 1e400}}\n', "inf.jsonl:1: this line holds"),
    ],
)
def test_cases_from_jsonl(
    project: Project, capsys: pytest.CaptureFixture[str], name: str, text: str, where: str
) -> None:
    project.write(f"suites/{name}", text)
    project.write("suites/triage.yaml", project.suite.read_text() + f"  - cases_from: {name}\n")
    _fails_clearly(capsys, ["check"], where)
    _fails_clearly(capsys, ["run"], where)


def test_importers_refuse_deep_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.json").write_text(DEEP)
    config = tmp_path / "promptfooconfig.yaml"
    config.write_text(
        "prompts: ['{{ q }}']\nproviders: [openai:gpt-4o-mini-2024-07-18]\ntests: file://t.json\n"
    )
    out = tmp_path / "out"
    _fails_clearly(capsys, ["import", "promptfoo", str(config), "--out", str(out)], "t.json")
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"input": "x", "ideal": "y"}\n{"input": "x", "ideal": 1e400}\n')
    argv = ["import", "openai-evals", str(samples), "--suite", "quiz", "--out", str(out)]
    _fails_clearly(capsys, argv, "samples.jsonl:2: this line holds the number 1e400")
