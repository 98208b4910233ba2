"""Several runs a side (CI shards): `evalkit report RUN...` and `evalkit diff --runs BASE...
-- HEAD...` read the union and gate on it; the comparison is streamed and a big one lists a
bounded number of cases with counts for the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.compare.diff import Comparer, compare
from evalkit.compare.render import to_json, to_markdown
from evalkit.results import CaseResult, SampleResult, SuiteFigures
from evalkit.testing import TestingServer

from ..conftest import Project
from ..project.test_shard import many_cases


def result(
    case: str,
    passed: bool,
    output: str | None = '{"category": "billing"}',
    *,
    suite: str = "triage",
    latency: float = 100.0,
    samples: list[bool] | None = None,
    cost: float | None = 0.001,
) -> CaseResult:
    verdicts = samples if samples is not None else [passed]
    return CaseResult(
        suite=suite,
        case=case,
        passed=passed,
        samples=[
            SampleResult(
                sample=i,
                passed=ok,
                output=output,
                latency_ms=latency + i,
                input_tokens=10,
                output_tokens=5,
                cost_usd=cost,
            )
            for i, ok in enumerate(verdicts)
        ],
    )


def test_the_streamed_comparison_pairs_folds_and_classifies() -> None:
    a = [
        result("same", True),
        result("regressed", True),
        result("fixed", False, '{"category": "other"}'),
        result("reworded", True, '{"category": "billing", "summary": "x"}'),
        result("gone", True, "bye ✓"),
        result("spaces", True, '{"category":"billing"}'),
        result("other", True, suite="faq", latency=50),
        result("regressed", False),  # the last result of a case wins
    ]
    a[1] = result("regressed", True)
    b = [
        result("same", True),
        result("regressed", False, '{"category": "other"}'),
        result("fixed", True),
        result("reworded", True, '{"category": "billing", "summary": "y"}'),
        result("new", True),
        result("spaces", True, '{ "category": "billing" }'),  # the same JSON
        result("other", True, suite="faq", latency=70),
    ]
    report = compare(a[:-1], b, "base", "head")
    status = {c.case: c.status for c in report.cases}
    assert status == {
        "regressed": "regression",
        "fixed": "fix",
        "gone": "only-a",
        "new": "only-b",
        "other": "pass",
        "reworded": "pass",
        "same": "pass",
        "spaces": "pass",
    }
    assert report.complete and report.counts["changed"] == 1  # reworded only
    by = {c.case: c for c in report.cases}
    assert [(ch.path, ch.a, ch.b) for ch in by["reworded"].changes] == [("summary", "x", "y")]
    assert by["gone"].text_diff is not None and "-bye ✓" in by["gone"].text_diff  # read back
    assert not by["spaces"].changes and by["spaces"].text_diff is None
    triage = next(s for s in report.suites if s.suite == "triage")
    assert (triage.paired, triage.regressions, triage.fixes) == (5, ["regressed"], ["fixed"])
    figures = SuiteFigures()
    for r in a[:5]:
        if r.case != "gone":
            figures.add(r)
    assert (triage.a.p50_ms, triage.a.cost_per_1000) == (figures.p50_ms, figures.cost_per_1000)
    faq = next(s for s in report.suites if s.suite == "faq")
    assert (faq.a.p50_ms, faq.b.p50_ms) == (50, 70)
    assert report.failed("regressions") and report.regression_count == 1
    # the last result of a case wins on side A too
    assert compare(a, b).counts.get("regression", 0) == 0


def test_repeats_are_folded_for_the_bootstrap_and_sample_drops() -> None:
    a = [result(f"c{i}", True, samples=[True, True, True]) for i in range(30)]
    b = [result(f"c{i}", True, samples=[True, True, i % 2 == 0]) for i in range(30)]
    report = compare(a, b)
    suite = report.suites[0]
    assert suite.repeat == 3 and suite.bootstrap is not None and suite.bootstrap[0] < 0
    assert len(suite.sample_drops) == 15 and report.counts["changed"] == 15


def test_a_big_comparison_lists_the_first_cases_of_each_kind_and_counts_the_rest() -> None:
    n = 3000
    a = [result(f"c{i:05d}", True) for i in range(n)]
    b = [
        result(f"c{i:05d}", i % 3 != 0, '{"category": "other"}')
        if i % 5 == 0
        else result(f"c{i:05d}", i % 3 != 0)
        for i in reversed(range(n))  # arrival order does not decide what is listed
    ]
    comparer = Comparer("base", "head", limit=40)
    for r in a:
        comparer.add_a(r)
    for r in b:
        comparer.add_b(r)
    report = comparer.finish()
    regressions = [c.case for c in report.cases if c.status == "regression"]
    assert regressions == [f"c{i:05d}" for i in range(0, 120, 3)]  # the first 40 by id
    assert report.counts["regression"] == 1000 and report.regression_count == 1000
    assert len(report.suites[0].regressions) == 1000  # the suite's statistics are whole
    assert not report.complete and report.omitted == n - len(report.cases)
    assert all(c.status != "pass" or c.changes or c.text_diff for c in report.cases)
    markdown = to_markdown(report)
    assert len(markdown) < 65_536  # a PR comment's limit
    assert "1000 regression(s) under head: triage::c00000, triage::c00003," in markdown
    assert "and 990 more" in markdown and "- … and 975 more" in markdown
    assert report.counts["changed"] == 400  # passing both times, another output
    assert "Cases that changed: 80 shown of 1,400 (3,000 cases compared" in markdown
    data = json.loads(to_json(report))
    assert data["counts"]["regression"] == 1000 and data["omitted"] == report.omitted


def test_small_comparisons_list_every_case() -> None:
    report = compare([result("a", True)], [result("a", True)])
    assert "<details><summary>Every case</summary>" in to_markdown(report)


def shard_runs(project: Project, prefix: str, n: int = 4) -> list[str]:
    refs = []
    for k in range(1, n + 1):
        assert main(
            ["run", "--mode", "live", "--shard", f"{k}/{n}", "--run-id", f"{prefix}-{k}"]
        ) in (0, 1)
        refs.append(str(project.root / ".evalkit" / "runs" / f"{prefix}-{k}"))
    return refs


def test_report_and_diff_gate_on_the_union_of_shards(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = many_cases(project)
    base = shard_runs(project, "base")
    assert main(["report", *base]) == 0
    out = capsys.readouterr().out
    assert "evalkit report: base" in out and f"{len(ids)}/{len(ids)} cases passed" in out
    # head: two cases now expect another category
    broken = {ids[3], ids[17]}
    cases = project.root / "suites" / "cases.jsonl"
    rows = [json.loads(line) for line in cases.read_text().splitlines()]
    for row in rows:
        if row["id"] in broken:
            row["expect"] = {"category": "technical"}
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows))
    head = shard_runs(project, "head")
    assert main(["report", *head, "--markdown", "r.md"]) == 1
    assert f"{len(ids) - 2}/{len(ids)} cases passed" in capsys.readouterr().out
    code = main(["diff", "--runs", *base, "--", *head, "--markdown", "d.md", "--html", "d.html"])
    assert code == 1
    markdown = (project.root / "d.md").read_text()
    assert "2 regression(s) under head" in markdown
    assert all(f"triage::{case}" in markdown for case in broken)
    page = (project.root / "d.html").read_text()
    data = json.loads(page.split('id="evalkit-data">', 1)[1].split("</script>", 1)[0])
    assert [r["label"] for r in data["runs"]] == ["base", "head"]
    assert len(data["runs"][1]["cases"]) == len(ids)
    # one shard alone is reported as itself; a union without every shard is refused
    assert main(["report", head[0]]) in (0, 1)
    capsys.readouterr()
    assert main(["report", head[0], head[1], head[3]]) == 2
    assert "shard(s) 3/4 missing" in capsys.readouterr().err
    assert main(["diff", "--runs", *base, "--", head[0], head[2]]) == 2
    # two runs still compare as they always did; three without `--` is ambiguous
    assert main(["diff", "--runs", base[0], head[0]]) in (0, 1)
    assert main(["diff", "--runs", base[0], base[1], head[0]]) == 2
    assert "separated by `--`" in capsys.readouterr().err
    # options may come before the runs, between them, or after the head runs
    assert main(["diff", "--json", "j.json", "--runs", *base, "--", *head]) == 1
    assert main(["diff", "--runs", *base, "--", *head, "--fail-on", "none"]) == 0


def test_the_last_line_of_a_case_wins_across_runs(project: Project, tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(
        result("a", False).model_dump_json() + "\n" + result("b", True).model_dump_json() + "\n"
    )
    second.write_text(result("a", True).model_dump_json() + "\n")
    assert main(["report", str(first), str(second)]) == 0
    assert main(["report", str(second), str(first)]) == 1


def test_an_unfinished_run_fails_its_report(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    many_cases(project, 6)
    assert main(["run", "--mode", "live", "--run-id", "cut"]) == 0
    path = project.root / ".evalkit" / "runs" / "cut" / "results.jsonl"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:4]))
    assert main(["report", "cut"]) == 1
    assert "run cut holds 4 of the 6 cases it planned" in capsys.readouterr().out


def test_shards_of_different_splits_do_not_mix(project: Project, server: TestingServer) -> None:
    many_cases(project, 8)
    assert main(["run", "--mode", "live", "--shard", "1/2", "--run-id", "a"]) == 0
    assert main(["run", "--mode", "live", "--shard", "2/3", "--run-id", "b"]) == 0
    assert main(["report", "a", "b"]) == 2
