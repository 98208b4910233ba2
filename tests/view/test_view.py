"""The viewer's Python side: reading runs (damaged ones too), the payload, safe inlining,
history, and the `evalkit view` command. The page itself is tested in a real browser in
test_view_browser.py."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evalkit.cli.view import add_parser, run
from evalkit.compare.diff import compare
from evalkit.errors import ConfigError
from evalkit.results import CaseResult
from evalkit.results.folder import RunMeta, RunWriter, find_run, write_meta
from evalkit.view import (
    from_results,
    load_run,
    render_comparison,
    render_run,
    render_view,
)
from evalkit.view.history import latest_run, load_history
from evalkit.view.load import check_kind
from evalkit.view.page import json_for_script

XSS = '</script><script>window.__pwned = 1</script><!-- <img src=x onerror="window.__pwned=2">'
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


# -- results as evalkit writes them ---------------------------------------------------------


def check(index: int, type_: str, passed: bool, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"index": index, "type": type_, "passed": passed, "message": message, **extra}


def sample(
    output: str | None,
    passed: bool,
    checks: list[dict[str, Any]] | None = None,
    n: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "sample": n,
        "passed": passed,
        "output": output,
        "checks": checks or [],
        "request_key": f"key-{n}",
        "request_id": f"req_{n}abc",
        "model": "gpt-4.1-mini-2025-04-14",
        "source": "recording",
        "latency_ms": 100.0 + n,
        "input_tokens": 50,
        "cached_tokens": 0,
        "output_tokens": 20,
        "cost_usd": 0.0001,
        "finish_reason": "stop",
        "retries": 0,
        **extra,
    }


def case(
    name: str,
    passed: bool,
    samples: list[dict[str, Any]],
    suite: str = "triage",
    status: str = "done",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "suite": suite,
        "case": name,
        "variant": None,
        "file": f"suites/{suite}.yaml",
        "line": 10,
        "passed": passed,
        "status": status,
        "prompt": "triage@v2",
        "prompt_digest": "sha256:" + "ab" * 32,
        "model_requested": "gpt-4.1-mini-2025-04-14",
        "mode": "replay",
        "case_threshold": 1.0,
        "samples": samples,
        "finished_at": "2026-01-02T03:04:05+00:00",
        **extra,
    }


def billing(category: str = "billing", summary: str = "Double charge, wants a refund") -> str:
    return json.dumps({"category": category, "urgency": "high", "summary": summary})


def head_cases() -> list[dict[str, Any]]:
    """One of each kind: passed (with the rendered request, an image, tool-call turns),
    failed, error, not run, a repeated case, and a model answer that tries to inject markup."""
    return [
        case(
            "refund",
            True,
            [
                sample(
                    billing(),
                    True,
                    [check(0, "schema", True, "output is valid Ticket")],
                    messages=[
                        {"role": "system", "content": "You triage support tickets for Acme."},
                        {
                            "role": "user",
                            "content": [
                                {"type": "text", "text": "Ticket: I was charged twice"},
                                {"type": "image_url", "image_url": {"url": PNG}},
                            ],
                        },
                    ],
                    turns=[
                        {
                            "output": "",
                            "tool_calls": [
                                {
                                    "id": "call_1",
                                    "name": "lookup_order",
                                    "arguments": '{"order_id": "A1234"}',
                                }
                            ],
                            "tool_results": [
                                {"name": "lookup_order", "result": {"status": "paid"}}
                            ],
                            "latency_ms": 40.0,
                            "ttft_ms": 12.0,
                        },
                        {
                            "output": billing(),
                            "tool_calls": [],
                            "latency_ms": 60.0,
                            "ttft_ms": 15.0,
                        },
                    ],
                    tool_calls=[{"id": "call_1", "name": "lookup_order", "arguments": "{}"}],
                    ttft_ms=12.5,
                    recording="snapshots/recordings/triage/refund.json",
                )
            ],
            vars={"body": "I was charged twice"},
        ),
        case(
            "invoice",
            False,
            [
                sample(
                    billing("other", "Asks for an invoice copy"),
                    False,
                    [
                        check(0, "schema", True, "output is valid Ticket"),
                        check(
                            1,
                            "equals at category",
                            False,
                            "expected billing at category, got other",
                            path="category",
                        ),
                        check(
                            2,
                            "similar at summary",
                            True,
                            "similarity 0.9",
                            score=0.9,
                            path="summary",
                        ),
                    ],
                )
            ],
        ),
        case(
            "outage",
            False,
            [
                {
                    "sample": 0,
                    "passed": False,
                    "error": "no recording for this request: the prompt, model or params changed; run with --evalkit-mode=record",
                    "request_key": "k",
                }
            ],
        ),
        case("skipped", False, [], status="not run: circuit open"),
        case(
            "flaky",
            False,
            [
                sample(billing(), True, [check(0, "one_of at urgency", True, "ok")], n=0),
                sample(
                    billing(summary="Refund for double charge"),
                    False,
                    [check(0, "one_of at urgency", False, "expected one of [low], got high")],
                    n=1,
                ),
                sample(billing(), True, [check(0, "one_of at urgency", True, "ok")], n=2),
            ],
        ),
        case(
            "injection",
            True,
            [sample(XSS, True, [check(0, "contains", True, XSS)])],
            vars={"body": XSS},
        ),
        case("other-suite", True, [sample("plain text answer", True)], suite="faq"),
    ]


def base_cases() -> list[dict[str, Any]]:
    """The base side of a comparison: invoice passed here (a regression in head), flaky..."""
    out = []
    for c in head_cases():
        c = json.loads(json.dumps(c))
        if c["case"] == "invoice":
            c["passed"] = True
            c["samples"][0]["passed"] = True
            c["samples"][0]["output"] = billing("billing", "Asks for last month's invoice")
            c["samples"][0]["checks"][1]["passed"] = True
        if c["case"] == "outage":  # fixed in head? no: failing on both sides
            pass
        out.append(c)
    out.append(case("removed", True, [sample(billing(), True)]))
    return out


def write_run(
    folder: Path, cases: list[dict[str, Any]], meta: dict[str, Any] | None = None
) -> Path:
    """A run folder exactly as `evalkit run` writes it (run.json, then RunWriter)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_meta(folder, RunMeta.model_validate(meta or {"run_id": folder.name, "mode": "replay"}))
    with RunWriter(folder) as writer:
        for c in cases:
            writer.write(CaseResult.model_validate(c))
    # RunWriter keeps only CaseResult's fields: add the newer ones as a newer evalkit writes them
    lines = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()]
    merged = [{**c, **line, "samples": c["samples"]} for c, line in zip(cases, lines, strict=True)]
    (folder / "results.jsonl").write_text("".join(json.dumps(m) + "\n" for m in merged))
    return folder


def page_data(page: str) -> Any:
    match = re.search(
        r'<script type="application/json" id="evalkit-data">(.*?)</script>', page, re.S
    )
    assert match, "no data block"
    return json.loads(match.group(1))


# -- reading runs ---------------------------------------------------------------------------


def test_verdicts_and_fields_of_every_kind_of_case(tmp_path: Path) -> None:
    loaded = load_run(write_run(tmp_path / "head", head_cases()))
    by = {c.case: c for c in loaded.view.cases}
    assert {k: c.verdict for k, c in by.items()} == {
        "refund": "passed",
        "invoice": "failed",
        "outage": "error",
        "skipped": "not run",
        "flaky": "failed",
        "injection": "passed",
        "other-suite": "passed",
    }
    refund = by["refund"].samples[0]
    assert refund.ttft_ms == 12.5 and refund.recording == "snapshots/recordings/triage/refund.json"
    assert isinstance(refund.messages, list) and isinstance(refund.turns, list)
    assert by["refund"].vars == {"body": "I was charged twice"}
    assert by["invoice"].samples[0].checks[1].kind == "equals"
    assert [c.line_no for c in loaded.view.cases] == list(range(1, 8))
    assert loaded.view.notes == [] and loaded.view.skipped == []
    assert len(loaded.results) == 7 and all(not s.checks for r in loaded.results for s in r.samples)


def test_suite_statistics_agree_with_evalkit_diff(tmp_path: Path) -> None:
    loaded = load_run(write_run(tmp_path / "head", head_cases()))
    stats = {s.suite: s for s in loaded.view.suites}
    triage = stats["triage"]
    assert (triage.total, triage.passed, triage.failed, triage.errors, triage.not_run) == (
        6,
        2,
        2,
        1,
        1,
    )
    side = compare(loaded.results, loaded.results).suites[1].a  # suites sorted: faq, triage
    assert triage.pass_rate == pytest.approx(side.rate)
    assert (triage.low, triage.high) == pytest.approx((side.low, side.high))
    assert triage.p50_ms == pytest.approx(side.p50_ms) and triage.p95_ms == pytest.approx(
        side.p95_ms
    )
    assert triage.cost_per_1000 == pytest.approx(side.cost_per_1000)  # an error costs nothing
    assert stats["faq"].cost_per_1000 == pytest.approx(0.1)


def test_a_resumed_run_shows_the_last_line_of_each_case(tmp_path: Path) -> None:
    folder = write_run(tmp_path / "r", head_cases())
    rerun = case("outage", True, [sample(billing(), True)])
    with (folder / "results.jsonl").open("a") as handle:
        handle.write(json.dumps(rerun) + "\n")
    loaded = load_run(folder)
    outage = next(c for c in loaded.view.cases if c.case == "outage")
    assert outage.verdict == "passed" and outage.line_no == 8
    assert len(loaded.view.cases) == 7


def test_a_torn_results_file_shows_what_is_readable_and_names_the_skipped_lines(
    tmp_path: Path,
) -> None:
    folder = write_run(tmp_path / "crashed", head_cases())
    text = (folder / "results.jsonl").read_text()
    lines = text.splitlines()
    lines.insert(2, "this is not json")
    lines.insert(3, json.dumps({"hello": "world"}))
    torn = "\n".join(lines) + "\n" + json.dumps(case("late", True, []))[:57]  # a crash mid-write
    (folder / "results.jsonl").write_text(torn)
    loaded = load_run(folder)
    assert len(loaded.view.cases) == 7
    assert [(s.line, s.reason.split(" (")[0]) for s in loaded.view.skipped] == [
        (3, "the results line is not JSON"),
        (4, "not a case result"),
        (10, "cut short"),
    ]
    assert "suite: Field required" in loaded.view.skipped[1].reason
    assert loaded.view.notes and "3 line(s)" in loaded.view.notes[0]
    data = page_data(render_run(folder))
    assert len(data["runs"][0]["cases"]) == 7 and len(data["runs"][0]["skipped"]) == 3


def test_run_folders_that_are_not_quite_runs(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    with pytest.raises(ConfigError, match="not a run folder"):
        find_run(bare, tmp_path)
    with pytest.raises(ConfigError, match=r"no run 'nope'.*runs there: r1"):
        write_run(tmp_path / "r1", head_cases()[:1])
        find_run("nope", tmp_path)
    assert find_run("r1", tmp_path) == tmp_path / "r1"

    no_meta = tmp_path / "no-meta"
    write_run(no_meta, head_cases()[:2])
    (no_meta / "run.json").unlink()
    loaded = load_run(find_run(no_meta, tmp_path))
    assert len(loaded.view.cases) == 2 and "run.json is missing" in loaded.view.notes[0]

    bad_meta = write_run(tmp_path / "bad-meta", head_cases()[:1])
    (bad_meta / "run.json").write_text("{oops")
    assert "run metadata is not JSON" in load_run(bad_meta).view.notes[0]

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "run.json").write_text('{"run_id": "empty"}')
    loaded = load_run(empty)
    assert loaded.view.cases == [] and "results.jsonl is missing" in loaded.view.notes[0]
    assert page_data(render_run(empty))["runs"][0]["notes"]


def test_check_kind() -> None:
    assert check_kind("not contains at summary", "summary") == "contains"
    assert check_kind("schema", None) == "schema"
    assert check_kind("judge at a.b[0]", "a.b[0]") == "judge"


# -- the page ------------------------------------------------------------------------------


def test_data_cannot_end_its_script_block_and_reads_back_unchanged(tmp_path: Path) -> None:
    page = render_run(write_run(tmp_path / "head", head_cases()))
    assert page.count("</script>") == 3  # the data, uPlot and the viewer: nothing else
    assert "<script>window.__pwned" not in page and "<!-- <img" not in page
    data = page_data(page)
    injected = next(c for c in data["runs"][0]["cases"] if c["case"] == "injection")
    assert injected["samples"][0]["output"] == XSS and injected["vars"] == {"body": XSS}
    assert json_for_script('{"a": "\u2028<&>"}') == '{"a": "\\u2028\\u003c\\u0026\\u003e"}'


def test_the_page_allows_only_its_own_scripts_and_no_network(tmp_path: Path) -> None:
    page = render_run(write_run(tmp_path / "head", head_cases()))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    policy = csp.group(1)
    assert "default-src 'none'" in policy and "img-src data:" in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(scripts) == 2
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert not re.search(r"(src|href)=\"https?:", page)


def test_a_comparison_points_each_row_at_both_sides(tmp_path: Path) -> None:
    base = write_run(tmp_path / "base", base_cases())
    head = write_run(tmp_path / "head", head_cases())
    data = page_data(render_comparison(base, head))
    assert data["start"] == {"kind": "cmp", "index": 0}
    cmp = data["comparisons"][0]
    assert (cmp["label_a"], cmp["label_b"], cmp["headline"]) == (
        "base",
        "head",
        "1 regression(s) under head: triage::invoice; 1 not comparable: triage::skipped "
        "(head did not run: circuit open)",
    )
    rows = {r["case"]: r for r in cmp["cases"]}
    assert rows["invoice"]["status"] == "regression"
    assert rows["removed"]["status"] == "only-a" and "b" not in rows["removed"]
    a_cases, b_cases = data["runs"][0]["cases"], data["runs"][1]["cases"]
    for row in cmp["cases"]:
        if "a" in row:
            assert a_cases[row["a"]]["case"] == row["case"]
        if "b" in row:
            assert b_cases[row["b"]]["case"] == row["case"]
    assert {c["path"] for c in rows["invoice"]["changes"]} == {"category", "summary"}
    assert cmp["suites"][1]["regressions"] == ["invoice"]


def test_a_comparison_from_results_in_memory_keeps_the_given_report(tmp_path: Path) -> None:
    a = [CaseResult.model_validate(c) for c in base_cases()]
    b = [CaseResult.model_validate(c) for c in head_cases()]
    report = compare(a, b, "v1", "v2")
    data = page_data(render_comparison(from_results("v1", a), from_results("v2", b), report=report))
    assert [r["label"] for r in data["runs"]] == ["v1", "v2"]
    assert data["comparisons"][0]["headline"] == (
        "1 regression(s) under v2: triage::invoice; 1 not comparable: triage::skipped "
        "(v2 did not run: circuit open)"
    )
    flaky = next(c for c in data["runs"][1]["cases"] if c["case"] == "flaky")
    assert len(flaky["samples"]) == 3 and flaky["samples"][1]["checks"][0]["passed"] is False


def test_shards_of_a_run_are_shown_as_one(tmp_path: Path) -> None:
    cases = head_cases()
    one = write_run(tmp_path / "shard-1", cases[:3])
    two = write_run(tmp_path / "shard-2", cases[3:])
    data = page_data(render_run([one, two]))
    assert len(data["runs"]) == 1 and data["runs"][0]["label"] == "shard-1+shard-2"
    assert len(data["runs"][0]["cases"]) == 7 and data["comparisons"] == []


def test_several_runs_are_each_shown_and_compared(tmp_path: Path) -> None:
    folders = [write_run(tmp_path / f"r{i}", head_cases()) for i in range(3)]
    data = page_data(render_view(folders))
    assert [(c["a"], c["b"]) for c in data["comparisons"]] == [(0, 1), (0, 2), (1, 2)]
    same = [write_run(tmp_path / f"x{i}" / "head", head_cases()[:1]) for i in range(2)]
    assert [r["id"] for r in page_data(render_view(same))["runs"]] == ["head", "head~2"]


# -- history ------------------------------------------------------------------------------


def test_history_orders_runs_by_time_and_links_each_to_its_run(tmp_path: Path) -> None:
    results = tmp_path / "runs"
    times = {"zeta": "2026-01-01T00:00:00+00:00", "alpha": "2026-01-03T00:00:00+00:00"}
    for name, stamp in times.items():
        cases = [{**c, "finished_at": stamp} for c in head_cases()]
        write_run(results / name, cases)
    later = [{**c, "finished_at": "2026-01-02T00:00:00+00:00"} for c in head_cases()[:2]]
    write_run(results / "mid", later)
    (results / "not-a-run").mkdir()
    (results / "view.html").write_text("")
    assert latest_run(results) == results / "alpha"
    loaded = [load_run(results / "mid")]
    history = load_history(results, loaded, page=tmp_path / "out" / "view.html")
    assert [r.id for r in history.runs] == ["zeta", "mid", "alpha"]
    assert [r.loaded for r in history.runs] == [None, 0, None]
    assert history.runs[0].href == "../runs/zeta/"
    mid = {s.suite: s for s in history.runs[1].suites}["triage"]
    assert (mid.total, mid.passed) == (2, 1)
    zeta = {s.suite: s for s in history.runs[0].suites}["triage"]
    assert zeta.pass_rate == pytest.approx(2 / 5) and zeta.p95_ms > 0  # 1 did not run
    limited = load_history(results, [], None, limit=2)
    assert [r.id for r in limited.runs] == ["mid", "alpha"] and limited.notes
    assert limited.runs[0].href.startswith("file:///")


def test_history_follows_a_suite_across_variants(tmp_path: Path) -> None:
    """A suite is one series whichever variant each run used; a run holding several variants
    of a suite keeps them apart."""
    results = tmp_path / "runs"
    one = [{**c, "finished_at": "2026-01-01T00:00:00+00:00"} for c in head_cases()[:2]]
    write_run(results / "a", one)
    two = [{**c, "variant": "v1", "finished_at": "2026-01-02T00:00:00+00:00"} for c in one]
    write_run(results / "b", two)
    write_run(results / "c", [{**c, "finished_at": "2026-01-03T00:00:00+00:00"} for c in one + two])
    history = load_history(results, [load_run(results / "b")])
    assert [[s.suite for s in r.suites] for r in history.runs] == [
        ["triage"],
        ["triage"],
        ["triage", "triage[v1]"],
    ]
    assert [s.suite for s in load_run(results / "b").view.suites] == ["triage[v1]"]


def test_history_reads_damaged_runs_without_failing(tmp_path: Path) -> None:
    results = tmp_path / "runs"
    folder = write_run(results / "a", head_cases())
    with (folder / "results.jsonl").open("a") as handle:
        handle.write('{"suite": "triage", "case": "x", "pass')
    (results / "b").mkdir()
    (results / "b" / "run.json").write_text("{}")
    history = load_history(results)
    assert {r.id: sum(s.total for s in r.suites) for r in history.runs} == {"a": 7, "b": 0}


# -- the command -----------------------------------------------------------------------------


def view_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="evalkit")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["view", *argv])


def test_evalkit_view_writes_the_latest_run_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALKIT_RESULTS", raising=False)
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit]\n")
    with pytest.raises(ConfigError, match=r"no runs in \.evalkit/runs: run `evalkit run` first"):
        run(view_args())
    runs = tmp_path / ".evalkit" / "runs"
    write_run(
        runs / "old", [{**c, "finished_at": "2026-01-01T00:00:00+00:00"} for c in head_cases()]
    )
    write_run(
        runs / "new", [{**c, "finished_at": "2026-02-01T00:00:00+00:00"} for c in head_cases()]
    )
    assert run(view_args()) == 0
    assert "view: .evalkit/runs/view.html" in capsys.readouterr().out
    data = page_data((runs / "view.html").read_text())
    assert [r["id"] for r in data["runs"]] == ["new"]
    assert [r["id"] for r in data["history"]["runs"]] == ["old", "new"]
    assert data["history"]["runs"][0]["href"] == "./old/"

    assert run(view_args("old", "new", "--out", "out/v.html", "--history", "0")) == 0
    data = page_data((tmp_path / "out" / "v.html").read_text())
    assert data["start"] == {"kind": "cmp", "index": 0} and "history" not in data
    assert (
        run(view_args("old", str(runs / "new" / "results.jsonl"), "--merge", "--out", "m.html"))
        == 0
    )
    assert page_data((tmp_path / "m.html").read_text())["runs"][0]["label"] == "old+new"
    with pytest.raises(ConfigError, match="not a run folder"):
        run(view_args(str(tmp_path / "out")))


def test_python_m_evalkit_view_opens_the_page_in_the_browser(tmp_path: Path) -> None:
    """--open hands the page's file URL to the user's browser ($BROWSER here: a script that
    notes what it was given)."""
    write_run(tmp_path / "runs" / "r1", head_cases())
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALKIT_")}
    env["BROWSER"] = str(browser)
    done = subprocess.run(
        [sys.executable, "-m", "evalkit.view", "--results", "runs", "--open"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "view: runs/view.html" in done.stdout
    assert opened.read_text().strip() == (tmp_path / "runs" / "view.html").resolve().as_uri()
    bad = subprocess.run(
        [sys.executable, "-m", "evalkit.view", "nope", "--results", "runs"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("no run 'nope'")
    assert "Traceback" not in bad.stderr


def test_evalkit_view_of_a_real_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example project from `evalkit init`, run from its recordings, then viewed."""
    from evalkit.cli.main import main

    folder = tmp_path / "proj"
    assert main(["init", str(folder)]) == 0
    monkeypatch.chdir(folder)
    for name in [k for k in os.environ if k.startswith(("EVALKIT_", "OPENAI_"))]:
        monkeypatch.delenv(name)
    assert main(["run", "--run-id", "first"]) == 0
    assert run(view_args("first", "--out", "v.html")) == 0
    data = page_data((folder / "v.html").read_text())
    cases = data["runs"][0]["cases"]
    assert cases and all(c["verdict"] == "passed" for c in cases)
    assert all(s["request_id"] for c in cases for s in c["samples"])


def test_history_marks_a_verdict_that_changed_on_the_identical_request(tmp_path: Path) -> None:
    """Flaky in the history: the same case, sent the same request (same hash), passed in one
    run and failed in another. A case whose request changed (an edited prompt) is not flaky;
    nor is one that only did not run."""
    results = tmp_path / "runs"

    def run(name: str, day: int, verdicts: dict[str, tuple[bool, str, str]]) -> None:
        cases = []
        for key, (passed, request, status) in verdicts.items():
            s = sample("{}", passed, request_key=request)
            c = case(key, passed, [s], status=status, finished_at=f"2026-01-0{day}T00:00:00+00:00")
            cases.append(c)
        write_run(results / name, cases)

    run(
        "r1",
        1,
        {
            "same": (True, "k1", "done"),
            "edited": (True, "k1", "done"),
            "gone": (True, "k1", "done"),
        },
    )
    run(
        "r2",
        2,
        {
            "same": (False, "k1", "done"),
            "edited": (False, "k2", "done"),
            "gone": (True, "k1", "done"),
        },
    )
    run(
        "r3",
        3,
        {
            "same": (True, "k1", "done"),
            "edited": (False, "k2", "done"),
            "gone": (False, "k1", "not run: no recording"),
        },
    )
    history = load_history(results)
    assert history.flaky == ["triage::same[]"]
    page = render_view([results / "r3"], results_dir=results, out=tmp_path / "v.html")
    assert '"flaky":["triage::same[]"]' in page.replace(" ", "")
