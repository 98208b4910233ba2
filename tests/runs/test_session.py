"""Resume after the breaker: a case that never got an answer (connection refused, 5xx or a
timeout after every retry) has no verdict, so ``evalkit run --resume`` sends it again; a
case that ran and failed is kept as it was. Whichever front started the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.errors import ApiCallError, TransportError
from evalkit.results.folder import latest_results
from evalkit.testing import Faults, TestingServer

from ..conftest import API_KEY, RULES, Project

FAST = (
    '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\nretry_base_s = 0.01\n'
    "retry_cap_s = 0.02\nmax_retries = 1\nconcurrency = 2\nbreaker_window = 6\n"
)


def cases(n: int, start: int = 0) -> str:
    return "".join(
        f'  - id: c{i:03d}\n    vars: {{body: "ticket {i}: I was charged twice"}}\n'
        "    expect: {category: billing}\n"
        for i in range(start, start + n)
    )


HEAD = (
    "suite: triage\nprompt: triage@v1\nmodel: gpt-4.1-mini-2025-04-14\nparams: {max_tokens: 100}\n"
    "schema: schemas.triage:Ticket\nvars: {company: Acme}\nassert: [schema]\ncases:\n"
    # a case that runs and fails on its own: it is kept as a failure on resume
    '  - id: wrong\n    vars: {body: "I was charged twice"}\n    expect: {category: technical}\n'
)


def serve(monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> TestingServer:
    server = TestingServer(RULES, api_key=API_KEY, **kwargs).start()  # type: ignore[arg-type]
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return server


def last_run(project: Project) -> Path:
    runs = project.root / ".evalkit" / "runs"
    return max(runs.iterdir(), key=lambda p: p.stat().st_mtime_ns)


@pytest.fixture
def half_recorded(project: Project, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Five cases and ``wrong`` recorded; fifteen more added since."""
    project.write("pyproject.toml", FAST)
    project.write("suites/triage.yaml", HEAD + cases(5))
    server = serve(monkeypatch)
    try:
        assert main(["record"]) == 1  # `wrong` fails, as it will every time
    finally:
        server.stop()
    project.write("suites/triage.yaml", HEAD + cases(20))
    return project


FAULTS = {
    "5xx after retries": {"faults": Faults(error_rate=1.0, seed=1)},
    "connection refused": {},  # no server at all
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_resume_sends_again_what_failed_on_the_transport_and_keeps_real_failures(
    half_recorded: Project,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    fault: str,
) -> None:
    down = serve(monkeypatch, **FAULTS[fault]) if FAULTS[fault] else None
    if down is None:
        monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    try:
        assert main(["record"]) == 1
    finally:
        if down is not None:
            down.stop()
    err = capsys.readouterr().err
    assert "circuit breaker open" in err
    folder = last_run(half_recorded)
    first = {r.case: r for r in latest_results(folder)}
    transport = [r for r in first.values() if r.status == "not run: transport error"]
    stopped = [r for r in first.values() if r.status == "not run: circuit open"]
    assert transport and len(transport) + len(stopped) == 15
    assert first["wrong"].ran and not first["wrong"].passed

    healthy = serve(monkeypatch)
    try:
        assert main(["run", "--resume", folder.name]) == 1  # `wrong` still fails
        sent = healthy.stats.requests
    finally:
        healthy.stop()
    out = capsys.readouterr().out
    assert "resuming run" in out and "6 cases already finished, 15 to go" in out
    assert sent == 15  # the transport failures and the stopped ones; never `wrong` again
    again = {r.case: r for r in latest_results(folder)}
    assert all(again[r.case].passed for r in transport + stopped)
    assert "suite triage: 20/21 cases passed" in out


def test_a_run_pytest_began_resumes_its_transport_failures_from_the_cli(
    half_recorded: Project,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = pytester.runpytest(
        "--evalkit", str(half_recorded.root / "suites"), "--evalkit-mode=record"
    )
    assert result.ret == 1
    assert "not run: transport error" in result.stdout.str()
    folder = last_run(half_recorded)
    monkeypatch.chdir(half_recorded.root)
    healthy = serve(monkeypatch)
    try:
        assert main(["run", "--resume", folder.name]) == 1  # `wrong` still fails
        assert healthy.stats.requests == 15
    finally:
        healthy.stop()
    assert "suite triage: 20/21 cases passed" in capsys.readouterr().out


def test_transport_errors_are_the_ones_with_no_verdict() -> None:
    assert TransportError("gave up").not_run == "transport error"
    assert issubclass(TransportError, ApiCallError)
    assert ApiCallError("answered 400").not_run is None  # the API said no: a failure
