"""The live engine against the testing server's limits and faults: nothing lost, retries
counted truly, 429s shared, fatal errors not retried, the breaker, signals and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.results.folder import latest_results, read_results
from evalkit.testing import Faults, TestingServer

from ..conftest import API_KEY, RULES, Project

FAST = '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\nretry_base_s = 0.01\nretry_cap_s = 0.05\nconcurrency = {concurrency}\n'


def many(project: Project, n: int, concurrency: int = 8, extra: str = "") -> None:
    project.write("pyproject.toml", FAST.format(concurrency=concurrency) + extra)
    cases = "".join(
        f'  - id: c{i:03d}\n    vars: {{body: "ticket {i}: I was charged twice"}}\n    expect: {{category: billing}}\n'
        for i in range(n)
    )
    project.write(
        "suites/triage.yaml",
        "suite: triage\nprompt: triage@v1\nmodel: gpt-4.1-mini-2025-04-14\nparams: {max_tokens: 100}\n"
        "schema: schemas.triage:Ticket\nvars: {company: Acme}\nassert: [schema]\ncases:\n" + cases,
    )


def run_folder(project: Project) -> Path:
    return max((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)


def serve(monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> TestingServer:
    server = TestingServer(RULES, api_key=API_KEY, keep_bodies=False, **kwargs).start()  # type: ignore[arg-type]
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return server


def test_faults_are_retried_counted_and_nothing_is_lost(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    many(project, 60)
    server = serve(
        monkeypatch, faults=Faults(error_rate=0.15, malformed_rate=0.1, drop_rate=0.1, seed=3)
    )
    try:
        assert main(["run", "--mode", "record"]) == 0
    finally:
        server.stop()
    results = latest_results(run_folder(project))
    assert len(results) == 60 and all(r.passed for r in results)
    retries = sum(s.retries for r in results for s in r.samples)
    assert server.stats.faults > 5
    assert retries == server.stats.faults  # every fault cost exactly one counted retry
    assert server.stats.requests == 60 + server.stats.faults  # the SDK retried nothing on its own
    assert len(project.recordings()) == 60


def test_hangs_time_out_and_are_retried(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    many(project, 12, extra="timeout_s = 1.0\n")
    server = serve(monkeypatch, faults=Faults(hang_rate=0.2, hang_s=3.0, seed=5))
    try:
        assert main(["run", "--mode", "live"]) == 0
    finally:
        server.stop()
    assert server.stats.faults >= 1
    assert (
        sum(s.retries for r in latest_results(run_folder(project)) for s in r.samples)
        == server.stats.faults
    )


def test_429s_are_learned_and_shared(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    many(project, 80, concurrency=16)
    server = serve(monkeypatch, rpm=6000, burst=0.0)  # 100 requests/s, the budget starts empty
    try:
        assert main(["run", "--mode", "live"]) == 0
    finally:
        server.stop()
    results = latest_results(run_folder(project))
    assert all(r.passed for r in results)
    assert server.stats.rate_limited >= 1
    # One request probes the limits before the rest are sent; then they are paced:
    assert server.stats.rate_limited <= 4, server.stats.snapshot()  # slow start: no opening wave
    assert server.stats.answered == 80


def test_fatal_errors_are_not_retried_and_the_breaker_stops_the_run(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    many(project, 100, concurrency=4)
    server = serve(monkeypatch)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-revoked")
    try:
        assert main(["run", "--mode", "live"]) == 1
    finally:
        server.stop()
    assert server.stats.requests <= 20 + 4  # the window, plus what was already in flight
    err = capsys.readouterr().err
    assert (
        "circuit breaker open: " in err
        and "the API answered 401: Incorrect API key provided." in err
    )
    assert "evalkit run --resume" in err
    results = latest_results(run_folder(project))
    assert len(results) == 100
    assert sum(r.status == "not run: circuit open" for r in results) >= 70


def test_dead_endpoint_opens_the_breaker(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    many(project, 60, concurrency=4, extra="max_retries = 1\n")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    assert main(["run", "--mode", "live"]) == 1
    assert "could not connect to http://127.0.0.1:9/v1" in capsys.readouterr().err


def test_input_budget_is_checked_before_sending(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    many(project, 2)
    text = project.suite.read_text().replace(
        "assert: [schema]", "assert: [schema]\nbudget: {input_tokens: 5}"
    )
    project.write("suites/triage.yaml", text)
    server = serve(monkeypatch)
    try:
        assert main(["run", "--mode", "live"]) == 1
    finally:
        server.stop()
    assert server.stats.requests == 0
    assert (
        "input tokens exceed the input_tokens budget (5): the request was not sent"
        in capsys.readouterr().out
    )


def test_a_replay_judges_recorded_usage_and_refuses_only_what_is_unrecorded(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An answer that comes from a recording sends nothing, so a budget's refusal to send
    is moot: its recorded usage is judged (the same verdict, the estimate being a lower
    bound of it) and no token is counted. A case with no recording is still refused, as a
    live run would refuse it, not "never recorded"."""
    from evalkit.wire import tokens

    many(project, 2)
    written = project.suite.read_text()
    budget = lambda n: written.replace(  # noqa: E731
        "assert: [schema]", f"assert: [schema]\nbudget: {{input_tokens: {n}}}"
    )
    project.write("suites/triage.yaml", budget(10_000))
    server = serve(monkeypatch)
    try:
        assert main(["run", "--mode", "record"]) == 0
    finally:
        server.stop()
    project.write("suites/triage.yaml", budget(5))  # a budget is not part of the request
    capsys.readouterr()

    def counted(name: str) -> None:
        raise AssertionError(f"a replay loaded the {name} tokenizer")

    with monkeypatch.context() as patched:
        patched.setattr(tokens, "_encoding", counted)
        assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert out.count("expected input_tokens <= 5, got ") == 2
    assert "not sent" not in out and "no recording" not in out
    project.recordings()[0].unlink()
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "exceed the input_tokens budget (5): the request was not sent" in out
    assert out.count("expected input_tokens <= 5, got ") == 1
    assert "never recorded" not in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_keeps_what_finished_and_resume_runs_the_rest(
    project: Project, monkeypatch: pytest.MonkeyPatch, sig: signal.Signals
) -> None:
    many(project, 30, concurrency=2)
    server = serve(monkeypatch, latency_ms=100)
    try:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "evalkit.cli", "run", "--mode", "record"],
            cwd=project.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        results = None
        while time.monotonic() < deadline:
            found = (
                list((project.root / ".evalkit" / "runs").glob("*/results.jsonl"))
                if (project.root / ".evalkit").exists()
                else []
            )
            if found and len(found[0].read_text().splitlines()) >= 4:
                results = found[0]
                break
            time.sleep(0.05)
        assert results is not None
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        kept = list(read_results(results))
        assert 4 <= len(kept) < 30
        run_id = results.parent.name
        assert f"resume with: evalkit run --resume {run_id}" in err
        sent_before = server.stats.requests
        assert main(["run", "--resume", run_id]) == 0
        final = latest_results(results.parent)
        assert sorted(r.case for r in final) == [f"c{i:03d}" for i in range(30)]
        assert all(r.passed for r in final)
        # only the cases not finished were sent again (plus at most what was in flight)
        assert server.stats.requests - sent_before <= 30 - len(kept)
    finally:
        server.stop()
