"""cli/export.py: `evalkit export RUN... --table ... [--format ...] [-o FILE]`: a frame as
CSV, JSON lines or Parquet; written whole, never over a file unasked nor into a run folder;
Parquet without pyarrow is a one-line error."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from evalkit.cli.main import main

from ..analysis.example import Example, example, in_example
from .support import parse, usage_error

__all__ = ["example", "in_example"]  # the example project's runs, as fixtures here


def test_flags_and_their_defaults() -> None:
    args = parse("export", "r1", "r2")
    assert (args.runs, args.table, args.fmt, args.output) == (["r1", "r2"], "cases", None, None)
    assert not args.force and not args.union


def test_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "export") == "the following arguments are required: RUN"
    assert usage_error(capsys, "export", "r", "--table", "turns").startswith(
        "argument --table: invalid choice: 'turns'"
    )


def test_csv_to_stdout_and_every_format_to_a_file(
    in_example: Example, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["export", "base"]) == 0
    out = capsys.readouterr().out
    cases = pd.read_csv(io.StringIO(out))
    assert len(cases) == 12 and list(cases.columns)[:4] == ["run", "suite", "variant", "case"]
    root = in_example.root
    assert main(["export", "base", "--table", "requests", "-o", str(root / "out/r.parquet")]) == 0
    assert capsys.readouterr().out.endswith(
        "requests: 20 rows to " + str(root / "out/r.parquet") + " (parquet)\n"
    )
    back = pd.read_parquet(root / "out/r.parquet")
    assert len(back) == 20 and str(back.cached_tokens.dtype) == "Int64"
    assert (
        main(["export", "s1", "s2", "--union", "--table", "checks", "-o", str(root / "c.jsonl")])
        == 0
    )
    rows = [json.loads(line) for line in (root / "c.jsonl").read_text().splitlines()]
    assert {r["run"] for r in rows} == {"s"} and len(rows) == 105


def test_an_existing_file_or_a_run_folder_is_refused(
    in_example: Example, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "cases.csv"
    target.write_text("mine\n")
    capsys.readouterr()
    assert main(["export", "base", "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"{target} exists: choose another -o, or pass --force to replace it\n"
    assert target.read_text() == "mine\n"
    assert main(["export", "base", "-o", str(target), "--force"]) == 0
    assert target.read_text().startswith("run,suite,")
    inside = in_example.runs / "base" / "cases.csv"
    assert main(["export", "base", "-o", str(inside), "--force"]) == 2
    assert "inside the run folder" in capsys.readouterr().err and not inside.exists()


def test_parquet_without_pyarrow_is_a_clear_error(
    in_example: Example, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    capsys.readouterr()
    assert main(["export", "base", "-o", "x.parquet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--format parquet needs pyarrow, which is not installed: pip install")
    assert not (in_example.root / "x.parquet").exists()
    assert main(["export", "base", "--format", "parquet"]) == 2
    assert "give -o FILE" in capsys.readouterr().err


def test_a_damaged_run_is_exported_with_a_warning(
    in_example: Example, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run = tmp_path / "torn"
    run.mkdir()
    lines = (in_example.runs / "base" / "results.jsonl").read_text().splitlines(keepends=True)
    (run / "results.jsonl").write_text("".join(lines[:2]) + lines[2][:40])
    capsys.readouterr()
    assert main(["export", str(run), "--format", "jsonl"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 2
    assert err.startswith("warning: ") and "skipped 1 unreadable line(s): 3" in err
    assert main(["export", "nope"]) == 2
    assert capsys.readouterr().err.startswith("no run 'nope'")
