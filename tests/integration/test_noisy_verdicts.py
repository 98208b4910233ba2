"""Verdicts that hold when the model is noisy, end to end: a scripted noisy model (the
testing server's ``p`` rules), adaptive repeats that stop where the sequential design
settles, verdicts kept in results.jsonl, replayed offline to the same verdicts, and what
``on_inconclusive`` does at the gate of both fronts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.results import CaseResult
from evalkit.results.folder import latest_results
from evalkit.testing import Rule, Script, TestingServer

from ..conftest import API_KEY, SUITE, Project, make_project

RIGHT = {"category": "billing", "urgency": "high", "summary": "Double charge"}
WRONG = {"category": "other", "urgency": "low", "summary": "Unclear"}


def noisy(p: float, seed: int = 11) -> Script:
    """Right with probability p on every request about a double charge."""
    return Script(
        seed=seed,
        rules=[
            Rule(when=["charged twice"], p=p, reply=RIGHT),
            Rule(when=["charged twice"], reply=WRONG),
        ],
    )


CASES = "".join(
    f'  - id: c{i}\n    vars: {{body: "I was charged twice ({i})"}}\n    expect: {{category: billing}}\n'
    for i in range(4)
)


def suite(repeat: str, extra: str = "") -> str:
    head = SUITE.split("cases:")[0]
    return (
        head.replace("vars: {company: Acme}", f"vars: {{company: Acme}}\nrepeat: {repeat}\n{extra}")
        + "cases:\n"
        + CASES
    )


def results(project: Project) -> dict[str, CaseResult]:
    folder = max((project.root / ".evalkit/runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return {r.case: r for r in latest_results(folder)}


@pytest.fixture
def fast(project: Project) -> Project:
    project.write("pyproject.toml", "[tool.evalkit]\nconcurrency = 1\nmax_retries = 0\n")
    return project


def record_against(project: Project, script: Script, monkeypatch: pytest.MonkeyPatch) -> int:
    with TestingServer(script, api_key=API_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        code = main(["record"])
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # replay needs nothing
    monkeypatch.delenv("OPENAI_API_KEY")
    return code


def test_a_good_model_passes_and_stops_before_max(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Always right: passed well before max (the design passes 19 of 19 at 0.8). A model
    right 97% of the time passes about 94% of its cases (benchmarks/noisy.py measures it)."""
    fast.write("suites/triage.yaml", suite("{min: 3, max: 30}", "case_threshold: 0.8\n"))
    assert record_against(fast, noisy(1.0), monkeypatch) == 0
    recorded = results(fast)
    assert {r.verdict for r in recorded.values()} == {"passed"}
    for r in recorded.values():
        assert 3 <= len(r.samples) < 30  # a clear case stops early
        assert r.pass_rate == r.samples_passed / len(r.samples)
        assert r.interval is not None and r.interval[0] >= 0.8  # shown at or above the bar
    # each sample is recorded, and nothing beyond where sampling stopped was asked
    doc = json.loads((fast.root / "snapshots/recordings/triage/c0.json").read_text())
    assert len(doc["interactions"]) == len(recorded["c0"].samples)
    # replayed offline: the same samples, the same verdicts
    assert main(["run"]) == 0
    replayed = results(fast)
    assert {k: (r.verdict, len(r.samples), r.interval) for k, r in replayed.items()} == {
        k: (r.verdict, len(r.samples), r.interval) for k, r in recorded.items()
    }


def test_a_bad_model_fails_early(fast: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    fast.write("suites/triage.yaml", suite("{min: 3, max: 30}", "case_threshold: 0.8\n"))
    assert record_against(fast, noisy(0.3), monkeypatch) == 1
    found = results(fast)
    assert {r.verdict for r in found.values()} == {"failed"}
    assert all(len(r.samples) < 30 for r in found.values())
    assert all(r.interval is not None and r.interval[1] < 0.8 for r in found.values())


RULES = {"fail": (1, False), "pass": (0, False), "warn": (0, True)}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_on_inconclusive_decides_the_gate_in_the_cli(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rule: str
) -> None:
    """3 of 3 cannot show a rate of at least 0.6 at 95% (0.6^3 = 0.22): inconclusive."""
    fast.write(
        "suites/triage.yaml",
        suite("3", f"case_threshold: 0.6\non_inconclusive: {rule}\n"),
    )
    assert record_against(fast, noisy(1.0), monkeypatch) == RULES[rule][0]
    out = capsys.readouterr().out
    assert "INCONCLUSIVE triage::c0" in out and "more samples would settle it" in out
    assert "4 inconclusive" in out
    found = results(fast)
    assert {r.verdict for r in found.values()} == {"inconclusive"}
    assert all(r.settle and r.settle > 0 for r in found.values())


@pytest.mark.parametrize("rule", sorted(RULES))
def test_on_inconclusive_decides_the_gate_under_pytest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    project = make_project(pytester.path)
    monkeypatch.chdir(pytester.path)
    project.write("pyproject.toml", "[tool.evalkit]\nconcurrency = 1\n")
    project.write(
        "suites/triage.yaml", suite("3", f"case_threshold: 0.6\non_inconclusive: {rule}\n")
    )
    assert record_against(project, noisy(1.0), monkeypatch) == RULES[rule][0]
    result = pytester.runpytest("--evalkit", "suites/", "-p", "no:cacheprovider")
    code, warned = RULES[rule]
    assert result.ret == code
    text = result.stdout.str()
    assert "4 inconclusive" in text
    assert ("InconclusiveCase" in text) == warned


def test_a_fixed_repeat_gets_an_interval_and_flaky_marks(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fast.write("suites/triage.yaml", suite("10", "case_threshold: 0.5\non_inconclusive: pass\n"))
    record_against(fast, noisy(0.7, seed=3), monkeypatch)
    found = results(fast)
    assert all(len(r.samples) == 10 for r in found.values())
    flaky = [r for r in found.values() if r.flaky]
    assert flaky  # at 0.7, ten samples disagree
    out = capsys.readouterr().out.splitlines()
    line = next(text for text in out if text.startswith("suite triage:"))
    assert f"{len(flaky)} flaky" in line


def test_batch_mode_runs_adaptive_repeats_in_rounds(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast.write("suites/triage.yaml", suite("{min: 3, max: 30}", "case_threshold: 0.8\n"))
    with TestingServer(noisy(1.0), api_key=API_KEY, batch_delay_s=0) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        assert main(["run", "--mode", "batch"]) == 0
        batches = server.stats.snapshot()["batches_created"]
    found = results(fast)
    assert {r.verdict for r in found.values()} == {"passed"}
    assert batches >= 2  # min samples first, then more rounds while undecided
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["run"]) == 0  # replayed from what the batches recorded
    assert {k: len(r.samples) for k, r in results(fast).items()} == {
        k: len(r.samples) for k, r in found.items()
    }


@pytest.mark.parametrize(
    ("repeat", "said"),
    [
        ("{min: 5, max: 2}", "repeat min (5) is above its max (2)"),
        ("{min: 3}", "max: Field required"),
        ("0", "repeat is a number of samples from 1 to 1000"),
        ("{min: 3, max: 30, step: 2}", "unknown field 'step'"),
    ],
)
def test_bad_repeats_are_file_line_errors(
    project: Project, capsys: pytest.CaptureFixture[str], repeat: str, said: str
) -> None:
    project.write("suites/triage.yaml", suite(repeat))
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "suites/triage.yaml:" in err and said in err


def test_results_lines_keep_the_verdict_fields(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast.write("suites/triage.yaml", suite("{min: 3, max: 12}", "case_threshold: 0.8\n"))
    record_against(fast, noisy(1.0), monkeypatch)
    folder = max((fast.root / ".evalkit/runs").iterdir(), key=lambda p: p.stat().st_mtime)
    line = json.loads(Path(folder / "results.jsonl").read_text().splitlines()[0])
    for key in ("verdict", "pass_rate", "interval", "samples", "confidence", "on_inconclusive"):
        assert key in line
