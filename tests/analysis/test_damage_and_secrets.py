"""Frames of damaged, resumed and hand-made runs: what is readable is loaded, what is not is
said in `evalkit report`'s words; the last line of a case wins; repeats, not-run cases and
unknown prices are shown as the results layer judges them; no key reaches a frame."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest

from evalkit import analysis
from evalkit.cli.main import main
from evalkit.errors import ConfigError, DamagedRun
from evalkit.results import CaseResult, CheckResult, SampleResult
from evalkit.results.folder import RunMeta, RunWriter, create_run

from .example import Example

KEY = "sk-live-0123456789abcdefXYZ"


def sample(i: int, passed: bool, *, cost: float | None = 0.001, **more: object) -> SampleResult:
    return SampleResult(
        sample=i,
        passed=passed,
        output="ok" if passed else "no",
        model="gpt-4.1-mini-2025-04-14",
        source="api",
        latency_ms=100.0 + i,
        input_tokens=10,
        output_tokens=5,
        cost_usd=cost,
        checks=[CheckResult(index=0, type="contains", passed=passed, message="m", line=7)],
        **more,  # type: ignore[arg-type]
    )


def write(folder: Path, results: list[CaseResult], cases: int = 0) -> Path:
    run = create_run(folder, RunMeta(run_id="hand", cases=cases or len(results)))
    with RunWriter(run) as writer:
        for result in results:
            writer.write(result)
    return run


def test_a_damaged_run_loads_what_is_readable_and_warns_as_report(
    in_example: Example, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = in_example.runs / "base" / "results.jsonl"
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "run.json").write_text((in_example.runs / "base" / "run.json").read_text())
    lines = results.read_text().splitlines(keepends=True)
    (damaged / "results.jsonl").write_text(
        "".join(lines[:3]) + "not json\n" + "".join(lines[3:]) + lines[4][:50]  # torn last
    )
    with pytest.warns(DamagedRun) as said:
        cases = analysis.cases_df(damaged)
    assert len(cases) == 12  # the torn line was a re-run of case 5: its first line stands
    main(["report", str(damaged), "--json", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text())
    assert [str(w.message) for w in said] == report["warnings"]
    assert "skipped 2 unreadable line(s): 4, 14" in report["warnings"][0]
    # a run that holds fewer cases than it planned says so, as report does
    (damaged / "results.jsonl").write_text("".join(lines[:5]))
    with pytest.warns(DamagedRun, match=r"holds 5 of the 12 cases it planned"):
        assert len(analysis.cases_df(damaged)) == 5


def test_no_readable_result_is_report_s_error(tmp_path: Path) -> None:
    run = create_run(tmp_path, RunMeta(run_id="empty"))
    (run / "results.jsonl").write_text("garbage\n")
    with pytest.raises(ConfigError, match=r"no results in this file \(1 unreadable line"):
        analysis.cases_df(run)


def test_the_last_line_of_a_case_wins_in_every_frame(tmp_path: Path) -> None:
    first = CaseResult(suite="s", case="a", passed=False, samples=[sample(0, False)])
    other = CaseResult(suite="s", case="b", passed=True, samples=[sample(0, True)])
    again = CaseResult(suite="s", case="a", passed=True, samples=[sample(0, True)])
    run = write(tmp_path, [first, other, again], cases=2)
    cases = analysis.cases_df(run)
    assert cases.case.tolist() == ["b", "a"] and cases.verdict.tolist() == ["passed"] * 2
    for name in ("samples", "checks"):
        frame = analysis.table(name, run).frame
        assert len(frame) == 2 and frame.passed.all(), name
    assert analysis.requests_df(run).answered.tolist() == [True, True]


def test_repeats_not_run_and_unknown_prices(tmp_path: Path) -> None:
    noisy = CaseResult(
        suite="s",
        case="noisy",
        passed=False,
        case_threshold=0.9,
        samples=[sample(i, i != 2) for i in range(5)],
        verdict="inconclusive",
        pass_rate=0.8,
        interval=(0.28, 0.99),
        settle=40,
    )
    missing = CaseResult(
        suite="s",
        case="missing",
        passed=False,
        samples=[SampleResult(passed=False, error="no recording", remedy="record")],
    )
    unpriced = CaseResult(
        suite="s", case="unpriced", passed=True, samples=[sample(0, True, cost=None)]
    )
    old = CaseResult(
        suite="s", case="old", passed=True, samples=[sample(0, True)]
    )  # no verdict kept
    batched = sample(0, True)
    batched.source, batched.rate = "batch", "batch"
    line = CaseResult(suite="b", case="batched", passed=True, samples=[batched])
    run = write(tmp_path, [noisy, missing, unpriced, old, line])
    cases = analysis.cases_df(run).set_index("case")
    row = cases.loc["noisy"]
    assert (row.verdict, row.samples, row.samples_passed, row.settle) == ("inconclusive", 5, 4, 40)
    assert (row.pass_rate, row.interval_lo, row.interval_hi) == (0.8, 0.28, 0.99)
    assert row.flaky and not row.passed and row.latency_ms == pytest.approx(102.0)
    row = cases.loc["missing"]
    assert (row.verdict, row.not_run, row.passed) == ("not run", "no recording", False)
    assert math.isnan(row.pass_rate) and math.isnan(row.latency_ms) and row.turns == 0
    assert math.isnan(cases.loc["unpriced"].cost_usd)
    assert cases.loc["old"].verdict == "passed"
    samples = analysis.samples_df(run)
    assert samples[samples.case == "missing"].not_run.tolist() == ["no recording"]
    assert samples.groupby("case", observed=True).size().to_dict() == {
        "noisy": 5,
        "missing": 1,
        "unpriced": 1,
        "old": 1,
        "batched": 1,
    }
    requests = analysis.requests_df(run).set_index("case")
    assert requests.loc["batched"][["kind", "source", "rate"]].tolist() == [
        "case",
        "batch",
        "batch",
    ]
    assert not requests.loc["missing"].answered and math.isnan(requests.loc["missing"].latency_ms)


def test_no_key_reaches_a_frame_or_an_exported_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_secret = "env-secret-value-42424242"
    monkeypatch.setenv("OPENAI_API_KEY", env_secret)
    leaky = CaseResult(
        suite="s",
        case=f"case-{KEY}",
        passed=False,
        error=f"401 from the server: Authorization: Bearer {KEY}",
        samples=[sample(0, False, error=f"key {env_secret} refused")],
    )
    run = create_run(tmp_path, RunMeta(run_id="leaky", cases=1))
    # written by hand, as a results file copied from elsewhere would be: not redacted
    (run / "results.jsonl").write_text(leaky.model_dump_json() + "\n")
    assert KEY in (run / "results.jsonl").read_text()
    for name in analysis.TABLES:
        frame = analysis.table(name, run).frame
        text = frame.to_csv() + frame.astype(str).to_string()
        assert KEY not in text and env_secret not in text, name
    cases = analysis.cases_df(run)
    assert cases.case.iloc[0] == "case-***" and "Bearer ***" in cases.error.iloc[0]
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and nothing to warn of
        for fmt in ("csv", "jsonl", "parquet"):
            out = tmp_path / f"out.{fmt}"
            assert main(["export", str(run), "--table", "samples", "-o", str(out)]) == 0
            data = out.read_bytes()
            assert KEY.encode() not in data and env_secret.encode() not in data
