"""docs/guides/analysis.md runs as written: its Python blocks, in order, against real run
folders (the example project replayed from its recordings, `base`, and `head`: that run a
week later with the triage suite on a bigger model, two support cases slower and three
triage cases failing), each printing what the page shows after it; and its column tables
are the frames' columns and types."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from evalkit.analysis import TABLES
from evalkit.results import CaseResult
from evalkit.results.folder import RunMeta, RunWriter, create_run, latest_results
from evalkit.wire.pricing import cost_usd

from ..analysis.example import Example, example

__all__ = ["example"]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "analysis.md"
BLOCK = re.compile(r"^```(python|text)\n(.*?)^```", re.DOTALL | re.MULTILINE)
QUESTIONS = "## Three questions, answered from frames"
BIGGER = "gpt-5.5-2026-04-23"
SLOWER = {"where-is-my-order": 1.6, "follow-up": 1.35}
WRONG = {"dashboard-outage": 2, "invoice-copy": 2, "api-errors": 1}  # checks failing


def head_of(base: list[CaseResult]) -> list[CaseResult]:
    """``base`` a week later: what the page's three questions find."""
    out = []
    for result in base:
        r = result.model_copy(deep=True)
        when = datetime.fromisoformat(r.finished_at) + timedelta(days=7)
        r.finished_at = when.isoformat()
        for s in r.samples:
            if r.suite == "triage":
                r.model_requested = s.model = BIGGER
                s.cost_usd = cost_usd(BIGGER, s.input_tokens, s.cached_tokens, s.output_tokens)
            factor = SLOWER.get(r.case, 1.0)
            s.latency_ms = round(s.latency_ms * factor, 1)
            for t in s.turns:
                t.latency_ms = round(t.latency_ms * factor, 1)
            wrong = [c for c in s.checks if c.type.startswith("equals at")][: WRONG.get(r.case, 0)]
            for check in wrong:
                check.passed, check.message = False, f"expected other at {check.path}"
            if wrong:
                s.passed = r.passed = False
                r.verdict, r.pass_rate, r.interval = "failed", 0.0, (0.0, 0.95)
        out.append(r)
    return out


@pytest.fixture
def two_runs(example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    runs = root / ".evalkit" / "runs"
    runs.mkdir(parents=True)
    shutil.copy(example.root / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(example.runs / "base", runs / "base")
    head = create_run(runs, RunMeta(run_id="head", cases=12))
    with RunWriter(head) as writer:
        for result in head_of(latest_results(runs / "base")):
            writer.write(result)
    monkeypatch.chdir(root)
    return root


def blocks() -> list[tuple[str, str | None]]:
    """The Python blocks of the page's worked questions (from QUESTIONS on), each with the
    text block right after it (what it prints)."""
    page = PAGE.read_text()
    text = page[page.index(QUESTIONS) :]
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(text)]
    out: list[tuple[str, str | None]] = []
    for i, (kind, body, _, end) in enumerate(found):
        if kind != "python":
            continue
        after = found[i + 1] if i + 1 < len(found) else None
        shown = (
            after[1] if after and after[0] == "text" and not text[end : after[2]].strip() else None
        )
        out.append((body, shown))
    return out


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_the_page_s_code_runs_and_prints_what_it_shows(two_runs: Path) -> None:
    namespace: dict[str, object] = {}
    found = blocks()
    assert len(found) >= 4
    for body, shown in found:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(body, str(PAGE), "exec"), namespace)  # the page's own code
        if shown is not None:
            assert lines(printed.getvalue()) == lines(shown), body


def test_the_column_tables_are_the_frames_columns() -> None:
    text = PAGE.read_text()
    for name, columns in TABLES.items():
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", section, re.MULTILINE)
        assert [(n, t.strip()) for n, t in rows] == [(c.name, c.dtype) for c in columns], name
