"""Flaky in the history, as `evalkit report` says it: a verdict that changed between runs of
the identical request; an edited prompt (another request hash) or a not-run is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.runs.history import flaky_in_folder

from ..view.test_view import case, sample, write_run


def _run(folder: Path, day: int, verdicts: dict[str, tuple[bool, str, str]]) -> None:
    cases = [
        case(
            key,
            passed,
            [sample("{}", passed, request_key=request)],
            status=status,
            finished_at=f"2026-01-0{day}T00:00:00+00:00",
        )
        for key, (passed, request, status) in verdicts.items()
    ]
    write_run(folder, cases)


def test_report_names_a_case_flaky_in_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / ".evalkit" / "runs"
    _run(runs / "r1", 1, {"same": (True, "k1", "done"), "edited": (True, "k1", "done")})
    _run(runs / "r2", 2, {"same": (False, "k1", "done"), "edited": (False, "k2", "done")})
    _run(
        runs / "r3",
        3,
        {"same": (True, "k1", "done"), "edited": (True, "k2", "not run: no recording")},
    )
    assert flaky_in_folder(runs) == ["triage::same[]"]
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    monkeypatch.chdir(tmp_path)
    main(["report", "r3"])
    out = capsys.readouterr().out
    assert "flaky in the history: triage::same[]" in out
    assert "edited" not in out.split("flaky in the history")[1].splitlines()[0]
