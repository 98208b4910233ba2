"""view/write.py: the page `evalkit view` writes, for the runs a user names (by default the
latest), and the bad input it refuses before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.view import WrittenView, write_view

from .test_view import head_cases, page_data, write_run


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALKIT_RESULTS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    folder = tmp_path / ".evalkit" / "runs"
    write_run(
        folder / "old", [{**c, "finished_at": "2026-01-01T00:00:00+00:00"} for c in head_cases()]
    )
    write_run(
        folder / "new", [{**c, "finished_at": "2026-02-01T00:00:00+00:00"} for c in head_cases()]
    )
    return folder


def test_the_latest_run_goes_to_the_results_folder_by_default(results: Path) -> None:
    written = write_view()
    assert written == WrittenView(results / "view.html", [])
    data = page_data(written.path.read_text())
    assert [r["id"] for r in data["runs"]] == ["new"]
    assert [r["id"] for r in data["history"]["runs"]] == ["old", "new"]


def test_named_runs_merged_into_one_without_history(results: Path, tmp_path: Path) -> None:
    written = write_view(
        ["old", str(results / "new" / "results.jsonl")],
        out="pages/m.html",
        merged=True,
        history=0,
    )
    assert written.path == Path("pages/m.html")
    data = page_data((tmp_path / "pages" / "m.html").read_text())
    assert [r["label"] for r in data["runs"]] == ["old+new"] and "history" not in data


def test_another_results_folder(results: Path, tmp_path: Path) -> None:
    write_run(tmp_path / "elsewhere" / "only", head_cases())
    written = write_view(results="elsewhere")
    assert written.path == tmp_path / "elsewhere" / "view.html"
    assert [r["id"] for r in page_data(written.path.read_text())["runs"]] == ["only"]


def test_what_loading_noticed_comes_back_as_notes(results: Path) -> None:
    (results / "old" / "run.json").unlink()
    written = write_view(["old"], out="v.html")
    assert written.notes == [
        ".evalkit/runs/old/run.json is missing: the run's settings are unknown"
    ]


def test_bad_input_is_refused_and_nothing_is_written(results: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no run 'nope'"):
        write_view(["nope"])
    with pytest.raises(ConfigError, match="--history must be 0 or more"):
        write_view(history=-1)
    assert not (results / "view.html").exists()
    (tmp_path / "afile").write_text("")
    with pytest.raises(ConfigError, match="cannot write the page") as caught:
        write_view(out="afile/v.html")
    assert caught.value.file == "afile/v.html"


def test_no_run_yet_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALKIT_RESULTS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    with pytest.raises(ConfigError, match=r"no runs in \.evalkit/runs: run `evalkit run` first"):
        write_view()
