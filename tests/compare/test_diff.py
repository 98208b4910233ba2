"""evalkit diff and evalkit report, on the example project and on synthetic results."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.compare.diff import compare, output_changes
from evalkit.results import CaseResult, SampleResult
from evalkit.view.browser import FLAGS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("EVALKIT_RESULTS", str(tmp_path / "runs"))
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    return tmp_path


def test_example_v1_to_v2_is_a_fix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "diff",
                "v1",
                "v2",
                "suites/triage.yaml",
                "--markdown",
                str(repo / "d.md"),
                "--json",
                str(repo / "d.json"),
                "--html",
                str(repo / "d.html"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "triage::invoice-copy │ fix" in out
    assert "exact McNemar p = 1 (not significant)" in out and "no regressions under v2" in out
    data = json.loads((repo / "d.json").read_text())
    assert [c["case"] for c in data["cases"] if c["status"] == "fix"] == ["invoice-copy"]
    suite = data["suites"][0]
    assert (suite["a"]["passed"], suite["b"]["passed"], suite["paired"]) == (6, 7, 7)
    markdown = (repo / "d.md").read_text()
    assert markdown.startswith("## evalkit diff: `v1` → `v2`\n\n✅ **no regressions under v2**")
    assert "<details><summary>Every case</summary>" in markdown
    assert '`triage::invoice-copy`: category: "other" → "billing"' in markdown


def test_a_regression_exits_1_naming_exactly_those_cases(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    triage = "suites/triage.yaml"
    assert main(["diff", "v2", "v1", triage]) == 1
    out = capsys.readouterr().out
    assert out.strip().endswith("1 regression(s) under v1: triage::invoice-copy")
    assert main(["diff", "v2", "v1", triage, "--fail-on", "none"]) == 0
    assert main(["diff", "v2", "v1", triage, "--fail-on", "pass-rate"]) == 1
    assert main(["diff", "v1", "v2", triage, "--fail-on", "pass-rate"]) == 0


def test_a_prompt_that_skips_a_tool_is_a_regression(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The support agent: v2's prompt makes the model answer without looking the order up."""
    assert main(["diff", "v1", "v2", "suites/support.yaml", "--markdown", str(repo / "s.md")]) == 1
    out = capsys.readouterr().out
    assert any("where-is-my-order" in line and "REGRESSION" in line for line in out.splitlines())
    assert "tool lookup_order dropped" in out and "turns -1" in out
    assert "tool lookup_order dropped" in (repo / "s.md").read_text()


def test_ad_hoc_override(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "base", "prompt=triage@v1", "suites/triage.yaml"]) == 1
    assert "1 regression(s) under prompt=triage@v1: triage::invoice-copy" in capsys.readouterr().out
    assert main(["diff", "base", "prompt=triage@v9", "suites/triage.yaml"]) == 2
    assert main(["diff", "base", "model=gpt-4.1"]) == 2


def test_runs_and_report(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "suites/triage.yaml", "--variant", "v2"]) == 0
    assert main(["run", "suites/triage.yaml", "--variant", "v1"]) == 1
    first, second = sorted(
        (repo / "runs").iterdir(), key=lambda p: (p / "results.jsonl").stat().st_mtime_ns
    )
    capsys.readouterr()
    assert main(["diff", "--runs", str(first), str(second / "results.jsonl")]) == 1
    assert "triage::invoice-copy │ REGRESSION" in capsys.readouterr().out
    assert (
        main(["diff", "--runs", first.name, second.name]) == 1
    )  # run ids under the results folder
    assert main(["report", str(second), "--html", str(repo / "r.html")]) == 1
    assert 'id="evalkit-data"' in (repo / "r.html").read_text()  # the viewer, on this run


def result(
    case: str,
    passed: list[bool],
    output: str = '{"a": 1}',
    cost: float = 0.001,
    latency: float = 100.0,
) -> CaseResult:
    samples = [
        SampleResult(
            sample=i,
            passed=p,
            output=output,
            cost_usd=cost,
            latency_ms=latency,
            input_tokens=10,
            output_tokens=5,
        )
        for i, p in enumerate(passed)
    ]
    return CaseResult(
        suite="s", case=case, passed=sum(passed) / len(passed) >= 0.5, samples=samples
    )


def test_statistics_cost_latency_and_repeats() -> None:
    a = [result(f"c{i}", [True, True, True]) for i in range(10)]
    b = [
        result(
            f"c{i}",
            [False, False, True] if i < 6 else [True, True, True],
            cost=0.002,
            latency=300.0,
        )
        for i in range(10)
    ]
    report = compare(a, b, "old", "new")
    (suite,) = report.suites
    # per case, 3/3 → 1/3 is within noise (one-sided Fisher p = 0.2): verdict flips, not
    # regressions; the suite's six drops together are a regression beyond noise
    assert suite.regressions == [] and suite.fixes == []
    assert suite.flips == [f"c{i}" for i in range(6)]
    assert suite.noise is not None and suite.noise.decision == "regression"
    assert suite.noise.p_regression < 0.05
    assert suite.mcnemar_p == pytest.approx(0.03125)  # over the verdicts that differ
    assert suite.a.cost_per_1000 == pytest.approx(3.0) and suite.b.cost_per_1000 == pytest.approx(
        6.0
    )
    assert suite.b.p50_ms == 300.0 and suite.a.p95_ms == 100.0
    assert suite.repeat == 3 and suite.bootstrap is not None
    mean, low, high, p = suite.bootstrap
    assert mean == pytest.approx(-0.4) and low < mean < high < 0 and p < 0.05
    first = report.cases[0]
    assert first.status == "flip" and first.d_cost_usd == pytest.approx(0.003)
    assert first.noise_p == pytest.approx(0.2) and first.settle is not None and first.settle > 0


def test_output_changes() -> None:
    changes, text = output_changes(
        '{"a": 1, "items": [{"n": "x"}]}', '{"a": 2, "items": [{"n": "x"}, {"n": "y"}]}'
    )
    assert [(c.path, c.a, c.b) for c in changes] == [("a", 1, 2), ("items[1].n", None, "y")]
    assert text is None
    changes, text = output_changes("hello\nworld", "hello\nthere")
    assert changes == [] and text is not None and "-world" in text and "+there" in text
    assert output_changes("same", "same") == ([], None)


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium package is not installed"
)
def test_html_report_renders_in_a_real_browser(repo: Path) -> None:
    assert main(["diff", "v2", "v1", "--html", str(repo / "d.html")]) == 1
    profile = repo / "chrome-profile"
    flags = ["--headless", *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run(
        ["chromium", *flags, "--dump-dom", (repo / "d.html").as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "v2 → v1: 1 regression(s) under v1" in dom.stdout  # the viewer, on the comparison
    assert "invoice-copy" in dom.stdout
    shot = repo / "d.png"
    subprocess.run(
        [
            "chromium",
            *flags,
            f"--screenshot={shot}",
            "--window-size=1200,900",
            (repo / "d.html").as_uri(),
        ],
        capture_output=True,
        timeout=60,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000


def test_a_verdict_flip_within_noise_is_not_a_regression() -> None:
    """Per case: 10/10 → 0/10 is beyond noise (a regression); 3/3 → 1/3 is not (a flip,
    with the samples that would settle it). The suite's paired test weighs them together."""
    a = [result("big", [True] * 10), result("small", [True] * 3)]
    b = [result("big", [False] * 10), result("small", [True, False, False])]
    report = compare(a, b, "old", "new")
    by_case = {c.case: c for c in report.cases}
    assert by_case["big"].status == "regression" and by_case["big"].noise_p is not None
    assert by_case["big"].noise_p < 0.001
    assert by_case["small"].status == "flip" and by_case["small"].settle
    (suite,) = report.suites
    assert suite.regressions == ["big"] and suite.flips == ["small"]
    assert suite.noise is not None and suite.noise.decision == "regression"
    assert report.failed("regressions")
    assert "1 verdict(s) flipped within noise" in report.headline()


def test_only_flips_within_noise_do_not_fail_the_gate() -> None:
    a = [result("c", [True] * 3)]
    b = [result("c", [True, False, False])]
    report = compare(a, b)
    assert report.regression_count == 0 and report.flip_count == 1
    assert not report.failed("regressions")
    (suite,) = report.suites
    assert suite.noise is not None and suite.noise.decision == "within noise"
    assert suite.noise.settle is None or suite.noise.settle > 0
