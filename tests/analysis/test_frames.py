"""analysis/frames.py: the four frames of real runs, typed as documented, agreeing with
`evalkit report --json` on the same runs (one run, and two shards read as one)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evalkit import analysis
from evalkit.cli.main import main
from evalkit.errors import ConfigError

from .example import Example


def report_json(root: Path, *runs: str) -> dict[str, Any]:
    out = root / "report.json"
    main(["report", *runs, "--json", str(out)])
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def agree_with_report(cases: pd.DataFrame, samples: pd.DataFrame, report: dict[str, Any]) -> None:
    """Per suite: cases, passes, not-run, tokens, cost, p50/p95 latency as report says."""
    figures = {row["suite"]: row for row in report["figures"]}
    assert sorted(figures) == sorted(cases.suite.unique())
    for summary in report["suites"]:
        name = summary["suite"]
        mine = cases[cases.suite == name]
        assert len(mine) == summary["total"]
        assert (mine.verdict == "passed").sum() == summary["passed"]
        assert (mine.verdict == "not run").sum() == summary["not_run"]
        assert (mine.verdict == "inconclusive").sum() == summary["inconclusive"]
        assert mine.flaky.sum() == summary["flaky"]
        row = figures[name]
        assert mine.input_tokens.sum() == row["input_tokens"]
        assert mine.output_tokens.sum() == row["output_tokens"]
        assert mine.cost_usd.sum() == pytest.approx(row["cost_usd"], rel=1e-12)
        assert mine.retries.sum() == row["retries"]
        latency = samples[samples.suite == name].latency_ms.dropna()
        assert latency.quantile(0.5) == pytest.approx(row["p50_ms_per_request"])
        assert latency.quantile(0.95) == pytest.approx(row["p95_ms_per_request"])


def test_a_run_agrees_with_report_json(in_example: Example) -> None:
    cases = analysis.cases_df("base")
    samples = analysis.samples_df("base")
    report = report_json(in_example.root, "base")
    assert report["passed"] and len(cases) == 12
    agree_with_report(cases, samples, report)
    assert set(cases.run) == {"base"}


def test_shards_read_as_one_agree_with_report_of_both(in_example: Example) -> None:
    cases = analysis.cases_df([["s1", "s2"]])
    samples = analysis.samples_df([["s1", "s2"]])
    report = report_json(in_example.root, "s1", "s2")
    agree_with_report(cases, samples, report)
    assert set(cases.run) == {report["label"]} == {"s"}  # report's label for the union
    whole = analysis.cases_df("base")
    assert sorted(cases.case) == sorted(whole.case)
    # the shards as runs of their own: the same rows, told apart by `run`
    apart = analysis.cases_df(["s1", "s2"])
    assert apart.groupby("run", observed=True).size().to_dict() == {"s1": 6, "s2": 6}
    assert apart.input_tokens.sum() == whole.input_tokens.sum()


def test_every_column_has_its_documented_type(in_example: Example) -> None:
    for name, columns in analysis.TABLES.items():
        frame = analysis.table(name, "base").frame
        assert list(frame.columns) == [c.name for c in columns], name
        for column in columns:
            assert str(frame[column.name].dtype) == column.dtype, (name, column.name)
        assert len(frame) > 0


def test_case_figures_of_a_tool_suite_and_of_checks_calls(in_example: Example) -> None:
    cases = analysis.cases_df("base").set_index("case")
    order = cases.loc["refund-delivered"]
    assert (order.suite, order.prompt, order.prompt_version) == ("support", "support", "v1")
    assert order["model"] == "gpt-5.4-mini-2026-03-17" and order["mode"] == "replay"
    assert (order.tool_calls, order.turns) == (2, 3)
    assert order.verdict == "passed" and order.passed and order.samples == 1
    assert (order.interval_lo, order.interval_hi) == (0.05, 1.0)
    assert cases.finished_at.dt.tz is not None and not cases.finished_at.isna().any()
    judged = cases.loc["refund-request"]
    assert judged.aux_tokens == 18 + 95 + 27 and judged.aux_cost_usd > 0
    assert (judged.tool_calls, judged.turns) == (0, 1)


def test_requests_are_turns_and_checks_calls(in_example: Example) -> None:
    requests = analysis.requests_df("base")
    samples = analysis.samples_df("base").set_index("case")
    turns = requests[(requests.case == "refund-delivered") & (requests.kind == "case")]
    assert turns.turn.tolist() == [0, 1, 2]
    assert turns.tool_calls.tolist() == [1, 1, 0]
    assert turns.input_tokens.sum() == samples.loc["refund-delivered"].input_tokens
    assert turns.latency_ms.sum() == pytest.approx(samples.loc["refund-delivered"].latency_ms)
    assert turns.cost_usd.isna().all()  # a tool loop's cost is kept per sample only
    calls = requests[requests.case == "refund-request"].set_index("kind")
    assert sorted(calls.index) == ["case", "judge", "similar"]
    assert calls.loc["judge"].model == "gpt-5.5-2026-04-23"
    assert calls.loc["similar"].model == "text-embedding-3-small"
    assert math.isnan(calls.loc["judge"].latency_ms)
    assert calls.loc["case"].cost_usd == samples.loc["refund-request"].cost_usd
    # every request's tokens: the cases' and the checks' calls, as report counts them
    cases = analysis.cases_df("base")
    assert requests.input_tokens.sum() + requests.output_tokens.sum() == (
        cases.input_tokens.sum() + cases.output_tokens.sum() + cases.aux_tokens.sum()
    )


def test_checks_one_row_per_check_result(in_example: Example) -> None:
    checks = analysis.checks_df("base")
    one = checks[checks.case == "refund-request"]
    assert len(one) == 13
    assert one.check.tolist()[:2] == ["assert[0]", "assert[1]"] and one.check.iloc[-1] == "implicit"
    similar = one[one.type == "similar at summary"].iloc[0]
    assert similar.score > 0.5 and similar.path == "summary" and similar.gates
    assert checks.passed.all()


def test_history_one_row_per_case_per_run(in_example: Example) -> None:
    cases = analysis.cases_df(["base", in_example.runs / "s1"])
    assert list(cases.run.cat.categories) == ["base", "s1"]
    assert len(cases) == 12 + 6
    assert cases.attrs["runs"] == ["base", "s1"]


def test_bad_runs_are_one_line_errors(in_example: Example) -> None:
    with pytest.raises(ConfigError, match=r"no run 'nope': expected a run folder"):
        analysis.cases_df("nope")
    with pytest.raises(ConfigError, match="no run given"):
        analysis.cases_df([])
    with pytest.raises(ConfigError, match="a run is a run id or a run folder"):
        analysis.cases_df([3])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match=r"shard\(s\) 2/2 missing among these runs"):
        analysis.cases_df([["s1", "base"]])  # as report refuses a union missing a shard
    with pytest.raises(ConfigError, match="no table 'turns'"):
        analysis.table("turns", "base")
