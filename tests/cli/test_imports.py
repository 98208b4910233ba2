"""cli/imports.py: `evalkit import promptfoo|openai-evals` flags as the importers receive
them, and the exit codes (0 all carried over, 1 something left out, 2 unreadable)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evalkit.cli.main import main

from ..importers.support import DATA, _fresh_generated_modules
from .support import parse, usage_error

__all__ = ["_fresh_generated_modules"]


def test_promptfoo_flags() -> None:
    args = parse("import", "promptfoo", "pf.yaml", "--out", "proj", "--pin", "a=a-1", "--pin",
                 "b=b-2")  # fmt: skip
    assert (args.source, args.config, args.out, args.pin) == (
        "promptfoo", "pf.yaml", "proj", ["a=a-1", "b=b-2"],
    )  # fmt: skip
    args = parse("import", "promptfoo", "pf.yaml")
    assert (args.out, args.pin) == (".", [])


def test_openai_evals_flags() -> None:
    args = parse("import", "openai-evals", "s.jsonl", "--suite", "quiz", "--match", "includes",
                 "--model", "gpt-4o-mini", "--out", "proj")  # fmt: skip
    assert (args.source, args.samples, args.suite, args.match, args.model, args.out) == (
        "openai-evals", "s.jsonl", "quiz", "includes", "gpt-4o-mini", "proj",
    )  # fmt: skip
    args = parse("import", "openai-evals", "s.jsonl", "--suite", "quiz")
    assert (args.match, args.model, args.out) == ("exact", None, ".")


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "the following arguments are required: SOURCE"),
        (["openai-evals", "s.jsonl"], "the following arguments are required: --suite"),
        (
            ["openai-evals", "s.jsonl", "--suite", "q", "--match", "fuzzy"],
            "argument --match: "
            "invalid choice: 'fuzzy' (choose from 'exact', 'starts_with', 'includes')",
        ),
        (["promptfoo"], "the following arguments are required: CONFIG"),
    ],
)
def test_bad_flags(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "import", *argv) == reason


def test_samples_imported_in_full_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"input": "Capital of France?", "ideal": "Paris"}) + "\n")
    assert main(["import", "openai-evals", str(samples), "--suite", "quiz", "--out",
                 str(tmp_path / "proj")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "wrote " in out and out.rstrip().endswith("&& evalkit check && evalkit record")
    assert (tmp_path / "proj" / "suites" / "quiz.yaml").is_file()


def test_something_left_out_exits_1_and_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(DATA / "leftovers", tmp_path / "pf")
    config = tmp_path / "pf" / "promptfooconfig.yaml"
    pin = "gpt-4.1-mini=gpt-4.1-mini-2025-04-14"
    assert (
        main(["import", "promptfoo", str(config), "--out", str(tmp_path / "p"), "--pin", pin]) == 1
    )
    assert "left out (not carried over):" in capsys.readouterr().err


def test_an_unreadable_input_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "openai-evals", str(tmp_path / "none.jsonl"), "--suite", "q",
                 "--out", str(tmp_path / "p")]) == 2  # fmt: skip
    out, err = capsys.readouterr()
    assert out == "" and "none.jsonl" in err and not (tmp_path / "p").exists()
    assert main(["import", "promptfoo", "c.yaml", "--pin", "nonsense"]) == 2
    assert capsys.readouterr().err.strip()
