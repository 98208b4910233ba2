"""Diff honesty: a pair whose verdicts cannot be compared (a side that did not run, a
reviewed snapshot missing on one side) is "not comparable", with the reason; never a
regression or a fix; counted and listed; and a gate that could not compare a pair whose head
did not pass is not a pass. The rule (evalkit/compare/diff.py) and its renderings, then
through ``evalkit diff A B`` and ``evalkit diff --runs``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from evalkit.cli.main import main
from evalkit.compare.diff import compare
from evalkit.compare.render import print_terminal, to_json, to_markdown
from evalkit.results import CaseResult, SampleResult
from evalkit.testing import TestingServer

from ..conftest import SUITE, Project
from ..view.test_view import page_data


def side(
    case: str,
    passed: bool,
    *,
    status: str = "done",
    unreviewed: bool = False,
    remedy: str | None = None,
) -> CaseResult:
    samples = (
        []
        if status != "done"
        else [
            SampleResult(
                passed=passed,
                output='{"a": 1}',
                unreviewed=unreviewed,
                remedy=remedy,
                error="no recording" if remedy else None,
            )
        ]
    )
    return CaseResult(suite="s", case=case, passed=passed, status=status, samples=samples)


# (A, B) → (status, reason or None, blocks the gate)
PAIRS = {
    "B never recorded": (
        side("c", True),
        side("c", False, remedy="record"),
        ("not-comparable", "B did not run: no recording", True),
    ),
    "B stopped by the breaker": (
        side("c", True),
        side("c", False, status="not run: circuit open"),
        ("not-comparable", "B did not run: circuit open", True),
    ),
    "A did not run, B passed": (
        side("c", False, status="not run: cost cap"),
        side("c", True),
        ("not-comparable", "A did not run: cost cap", False),
    ),
    "A did not run, B failed": (
        side("c", False, status="not run: cost cap"),
        side("c", False),
        ("not-comparable", "A did not run: cost cap", True),
    ),
    "B lacks its snapshot": (
        side("c", True),
        side("c", False, unreviewed=True),
        ("not-comparable", "no reviewed snapshot under B", True),
    ),
    "A lacks its snapshot": (
        side("c", False, unreviewed=True),
        side("c", True),
        ("not-comparable", "no reviewed snapshot under A", False),
    ),
    "both lack it": (
        side("c", False, unreviewed=True),
        side("c", False, unreviewed=True),
        ("fail", None, False),
    ),
    "a real regression": (side("c", True), side("c", False), ("regression", None, False)),
    "a real fix": (side("c", False), side("c", True), ("fix", None, False)),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_pair_is_compared_only_when_both_verdicts_exist(name: str) -> None:
    a, b, (status, reason, blocking) = PAIRS[name]
    others_a = [side(f"ok{i}", True) for i in range(3)]
    others_b = [side(f"ok{i}", True) for i in range(3)]
    report = compare([*others_a, a], [*others_b, b])
    (case,) = [c for c in report.cases if c.case == "c"]
    (suite,) = report.suites
    assert (case.status, case.reason) == (status, reason)
    assert report.blocking == int(blocking)
    if status == "not-comparable":
        assert report.regression_count == 0 and suite.fixes == []
        assert suite.paired == 3  # left out of the paired statistics
        assert [(n.case, n.reason, n.blocking) for n in suite.not_comparable] == [
            ("c", reason, blocking)
        ]
        assert report.counts["not-comparable"] == 1
        assert f"1 not comparable: s::c ({reason})" in report.headline()
    assert report.failed("regressions") == (blocking or status == "regression")
    assert report.failed("pass-rate") == (blocking or status == "regression")
    assert not report.failed("none")


def test_the_renderings_list_what_was_not_compared() -> None:
    a, b, _ = PAIRS["B never recorded"]
    report = compare([a, side("d", True)], [b, side("d", True)], "base", "head")
    console = Console(record=True, width=200)
    print_terminal(report, console)
    text = console.export_text()
    assert "not comparable (head did not run: no recording)" in text
    assert "REGRESSION" not in text
    assert text.strip().endswith(
        "no regressions under head among the cases compared; 1 not comparable: s::c "
        "(head did not run: no recording)"
    )
    markdown = to_markdown(report)
    assert markdown.startswith("## evalkit diff: `base` → `head`\n\n❌")
    assert "### Not comparable (never a regression or a fix)" in markdown
    assert "- `s::c`: head did not run: no recording (the head did not pass: the gate fails)" in (
        markdown
    )
    data = json.loads(to_json(report))
    assert data["suites"][0]["not_comparable"] == [
        {"case": "c", "reason": "head did not run: no recording", "blocking": True}
    ]


# -- through the CLI --------------------------------------------------------------------

VARIANTS = SUITE + "variants:\n  v1: {vars: {company: Acme}}\n  v2: {vars: {company: Initech}}\n"
SNAP = VARIANTS.replace("  - schema\n", "  - schema\n  - snapshot\n")


def test_a_variant_that_never_ran_is_not_a_regression_and_fails_the_gate(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", VARIANTS)
    assert main(["record", "--variant", "v1"]) == 0  # v2 never recorded
    capsys.readouterr()
    assert main(["diff", "v1", "v2", "--json", str(project.root / "d.json")]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" not in out and "regression(s) under v2:" not in out
    assert out.count("not comparable (v2 did not run: no recording)") == 2
    assert "2 not comparable" in out
    data = json.loads((project.root / "d.json").read_text())
    assert data["counts"] == {"not-comparable": 2}
    assert main(["diff", "v1", "v2", "--fail-on", "none"]) == 0
    assert main(["diff", "v2", "v1"]) == 0  # the head passed: nothing could have regressed


def test_a_variant_without_its_own_snapshot_is_neither_a_fix_nor_a_regression(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", SNAP)
    assert main(["record", "--all-variants"]) == 1  # no snapshot is reviewed yet
    assert main(["run", "--variant", "v1", "--snapshot-update"]) == 0  # only v1 is reviewed
    capsys.readouterr()
    assert main(["diff", "v1", "v2"]) == 1
    out = capsys.readouterr().out
    assert "not comparable (no reviewed snapshot under v2)" in out
    assert "REGRESSION" not in out
    # base lacks it, head passes: no fix is claimed, and nothing blocks the gate
    assert main(["diff", "v2", "v1", "--json", str(project.root / "d.json")]) == 0
    assert "not comparable (no reviewed snapshot under v2)" in capsys.readouterr().out
    assert json.loads((project.root / "d.json").read_text())["counts"] == {"not-comparable": 2}


def test_diff_runs_with_a_head_that_did_not_run_fails(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["record", "--run-id", "base"]) == 0
    project.write("suites/triage.yaml", SUITE.replace("refund please", "refund please!"))
    assert main(["run", "--run-id", "head"]) == 1  # refund has no recording now
    capsys.readouterr()
    html = tmp_path / "d.html"
    assert main(["diff", "--runs", "base", "head", "--html", str(html)]) == 1
    out = capsys.readouterr().out
    assert "not comparable (head did not run: no recording)" in out
    assert "REGRESSION" not in out
    payload = page_data(html.read_text())
    (row,) = [c for c in payload["comparisons"][0]["cases"] if c["case"] == "refund"]
    assert row["status"] == "not-comparable"
    assert row["reason"] == "head did not run: no recording"
