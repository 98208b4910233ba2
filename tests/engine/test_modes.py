"""Replay, record, rerecord and live, end to end: the real SDK over HTTP against the
bundled server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from evalkit.cli.main import main
from evalkit.results.folder import read_results
from evalkit.testing import SERVER_NAME, TestingServer

from ..conftest import API_KEY, SUITE, Project


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def results_of(project: Project) -> list:
    runs = sorted((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)
    return list(read_results(runs[-1]))


def test_record_then_replay_offline(
    project: Project, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["record"]) == 0
    assert server.stats.by_path == {"/v1/chat/completions": 2}
    files = project.recordings()
    assert [f.name for f in files] == ["outage.json", "refund.json"]
    doc = json.loads(files[1].read_text())
    (entry,) = doc["interactions"].values()
    assert entry["source"] == SERVER_NAME
    assert entry["model"] == "gpt-4.1-mini-2025-04-14"
    assert entry["request_id"].startswith("req_")
    assert (
        entry["request"]["body"]["messages"][1]["content"]
        == "Ticket: I was charged twice, refund please"
    )

    # Replay: no server reachable, no key; nothing may connect.
    connections = server.stats.connections
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{dead_port()}/v1")
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run"]) == 0
    assert server.stats.connections == connections
    assert all(r.passed and r.samples[0].source == "recording" for r in results_of(project))


def test_no_api_key_in_any_file(project: Project, server: TestingServer) -> None:
    assert main(["record"]) == 0
    assert main(["run", "--mode", "live"]) == 0
    assert all(
        h == f"Bearer {API_KEY}" for h in server.stats.auth_headers
    )  # the key was really sent
    written = [
        p
        for p in project.root.rglob("*")
        if p.is_file() and (".evalkit" in p.parts or "snapshots" in p.parts)
    ]
    assert len(written) >= 5
    for path in written:
        text = path.read_text()
        assert API_KEY not in text, path
        assert "authorization" not in text.lower(), path


def test_replay_without_recording_fails_the_case_clearly(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 1
    out = capsys.readouterr().out
    assert "NOT RUN triage::refund: no recording (suites/triage.yaml:" in out
    assert (
        "no recording for this request: this case was never recorded; run with --mode record (or `evalkit record`)"
        in out
    )
    assert "suite triage: 0/0 cases passed (0%); 2 not run: triage::" in out


def test_record_only_calls_for_what_changed(project: Project, server: TestingServer) -> None:
    assert main(["record"]) == 0
    before = {p: p.read_bytes() for p in project.recordings()}
    assert main(["record"]) == 0
    assert server.stats.requests == 2  # everything was replayed
    assert {p: p.read_bytes() for p in project.recordings()} == before

    project.write(
        "suites/triage.yaml", SUITE.replace('"The site is down"', '"The site is down again"')
    )
    assert main(["run"]) == 1  # replay: the edited case has no recording
    assert main(["record"]) == 0
    assert server.stats.requests == 3
    after = {p: p.read_bytes() for p in project.recordings()}
    changed = [p.name for p in after if after[p] != before.get(p)]
    assert changed == ["outage.json"]


def test_rerecord_calls_everything_and_keeps_unchanged_answers_byte_identical(
    project: Project, server: TestingServer
) -> None:
    assert main(["record"]) == 0
    before = {p: p.read_bytes() for p in project.recordings()}
    assert main(["run", "--mode", "rerecord"]) == 0
    assert server.stats.requests == 4
    assert {p: p.read_bytes() for p in project.recordings()} == before


def test_live_records_nothing(project: Project, server: TestingServer) -> None:
    assert main(["run", "--mode", "live"]) == 0
    assert server.stats.requests == 2
    assert project.recordings() == []
    assert all(r.samples[0].source == "api" for r in results_of(project))


def test_env_var_sets_mode(
    project: Project, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_MODE", "record")
    assert main(["run"]) == 0
    assert len(project.recordings()) == 2


def use_responses_api(project: Project) -> None:
    """The conftest suite, sent to the Responses API."""
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "params: {temperature: 0, max_tokens: 200}",
            "api: responses\nparams: {max_output_tokens: 200}",
        ),
    )


def test_responses_api_end_to_end(project: Project, server: TestingServer) -> None:
    use_responses_api(project)
    assert main(["record"]) == 0
    assert server.stats.by_path == {"/v1/responses": 2}
    assert main(["run"]) == 0
    result = results_of(project)[0]
    assert result.samples[0].input_tokens > 0 and result.samples[0].finish_reason == "stop"


def test_results_file_has_observability_fields(project: Project, server: TestingServer) -> None:
    assert main(["record"]) == 0
    results = {r.case: r for r in results_of(project)}
    sample = results["refund"].samples[0]
    assert sample.request_id and sample.request_id.startswith("req_")
    assert sample.model == "gpt-4.1-mini-2025-04-14"
    assert sample.input_tokens > 0 and sample.output_tokens > 0
    assert sample.cost_usd == pytest.approx(
        (sample.input_tokens * 0.40 + sample.output_tokens * 1.60) / 1e6
    )
    assert sample.latency_ms > 0
    assert results["refund"].prompt == "triage@v1"
    assert results["refund"].prompt_digest.startswith("sha256:")


def test_truncation_fails_by_default(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("suites/triage.yaml", SUITE.replace("max_tokens: 200", "max_tokens: 5"))
    assert main(["record"]) == 1
    out = capsys.readouterr().out
    assert (
        "expected the opposite: expected finish_reason 'length', got 'length'" in out
        or "truncated" in out
    )


def test_api_errors_fail_the_case_with_the_server_message(
    project: Project,
    server: TestingServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    assert main(["record"]) == 1
    assert "the API answered 401: Incorrect API key provided." in capsys.readouterr().out
    assert server.stats.requests == 2  # 401 is not retried


def test_missing_key_in_record_mode_is_a_usage_error(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["record"]) == 2
    assert "set OPENAI_API_KEY" in capsys.readouterr().err


def test_repeat_samples_have_their_own_recordings_and_case_threshold(
    project: Project, server: TestingServer
) -> None:
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "vars: {company: Acme}", "vars: {company: Acme}\nrepeat: 3\ncase_threshold: 0.6"
        ),
    )
    # 3 of 3 cannot show a rate of at least 0.6 at 95% (0.6^3 = 0.22): inconclusive, and
    # an inconclusive verdict fails the gate unless on_inconclusive says otherwise
    assert main(["record"]) == 1
    assert server.stats.requests == 6
    doc = json.loads(Path(project.recordings()[0]).read_text())
    assert sorted(e["request"].get("sample", 0) for e in doc["interactions"].values()) == [0, 1, 2]
    results = results_of(project)
    assert all(len(r.samples) == 3 and r.samples_passed == 3 for r in results)
    assert {r.verdict for r in results} == {"inconclusive"}
    assert all(r.settle is not None and r.settle > 0 for r in results)
    project.write(
        "suites/triage.yaml",
        SUITE.replace(
            "vars: {company: Acme}",
            "vars: {company: Acme}\nrepeat: 3\ncase_threshold: 0.6\non_inconclusive: pass",
        ),
    )
    assert main(["run"]) == 0  # replayed, and passed as the suite says an unsettled one does


def test_suite_threshold_tolerates_failures(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = SUITE.replace(
        "expect: {category: technical, urgency: high}", "expect: {category: billing}"
    )
    project.write("suites/triage.yaml", broken)
    assert main(["record"]) == 1
    project.write(
        "suites/triage.yaml",
        broken.replace("vars: {company: Acme}", "vars: {company: Acme}\nthreshold: 0.5"),
    )
    assert main(["run"]) == 0
    assert "suite triage: 1/2 cases passed (50%); threshold 50%: passed" in capsys.readouterr().out


def test_python_api_run(project: Project, server: TestingServer) -> None:
    import evalkit

    results = evalkit.run(mode="record")
    assert sorted(r.item_id for r in results) == ["triage::outage", "triage::refund"]
    assert all(r.passed for r in evalkit.run([project.suite]))


def test_a_run_of_fewer_cases_than_its_concurrency_starts_a_worker_per_case(
    project: Project, server: TestingServer
) -> None:
    """pytest under xdist hands the engine one case at a time: each such run starts one
    worker task, not ``concurrency`` (64 by default) of which all but one find nothing."""
    import asyncio

    from evalkit.engine.run import Engine
    from evalkit.project.open import open_project

    assert main(["record"]) == 0
    opened = open_project(None)
    planned = list(opened.plan())
    assert len(planned) == 2 and opened.settings.concurrency > 2
    tasks: list[int] = []

    def seen(result: object) -> None:
        tasks.append(len(asyncio.all_tasks()))

    for cases in (planned[:1], planned):
        tasks.clear()
        results = asyncio.run(Engine(opened.settings).run(cases, seen))
        assert results == [] and len(tasks) == len(cases)
        assert max(tasks) <= 1 + len(cases)  # the run itself and a worker per case


@pytest.mark.parametrize("api", ["chat.completions", "responses"])
def test_the_server_receives_the_planned_body_as_is(
    project: Project, server: TestingServer, api: str
) -> None:
    """What is sent is exactly the body the recordings are keyed by: the body reaches the
    SDK as JSON (``extra_body``), not as typed params for it to rewrite."""
    from evalkit.project.open import open_project

    if api == "responses":
        use_responses_api(project)
    assert main(["record"]) == 0
    requests = [r for p in open_project(None, {}).plan() for r in p.requests]
    assert {r.endpoint for r in requests} == {api} and len(requests) == 2
    canonical = lambda bodies: sorted(json.dumps(b, sort_keys=True) for b in bodies)  # noqa: E731
    assert canonical(server.stats.bodies) == canonical(r.body for r in requests)
