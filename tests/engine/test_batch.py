"""Batch mode against the testing server's Files and Batches, through the SDK over HTTP:
submit, poll, record, follow-up rounds, fallbacks, validation errors, interrupt and resume,
`evalkit batch status|cancel`, and a run folder under another key or endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.cli.main import main
from evalkit.engine.batchstate import read_ledger
from evalkit.results import CaseResult
from evalkit.results.folder import latest_results
from evalkit.runs.session import Session
from evalkit.testing import Faults, Rule, Script, TestingServer

from ..conftest import API_KEY, RULES, SUITE, Project

FAST = (
    '[project]\nname = "demo"\nversion = "0"\n\n[tool.evalkit]\n'
    "batch_poll_s = 0.01\nbatch_poll_max_s = 0.02\nmax_retries = 1\nretry_base_s = 0.01\n"
)
MANY = SUITE.split("cases:\n")[0] + "cases:\n  - cases_from: cases/many.jsonl\n"


class Clock:
    """The server's clock, moved by the test (``step``: seconds per look, so batches finish
    after a few polls without anyone sleeping)."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1_750_000_000.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def fast(project: Project) -> Project:
    project.write("pyproject.toml", FAST)
    return project


def serve(monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> TestingServer:
    kwargs.setdefault("clock", Clock(step=1.0))
    kwargs.setdefault("batch_delay_s", 5.0)
    server = TestingServer(kwargs.pop("script", RULES), api_key=API_KEY, **kwargs)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    return server


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestingServer]:
    with serve(monkeypatch) as srv:
        yield srv


def many_cases(project: Project, count: int) -> None:
    rows = [
        {
            "id": f"c{i:03d}",
            "vars": {"body": f"I was charged twice (order {i})"},
            "expect": {"category": "billing"},
        }
        for i in range(count)
    ]
    project.write("suites/cases/many.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    project.write("suites/triage.yaml", MANY)


def runs(project: Project) -> list[Path]:
    return sorted((project.root / ".evalkit" / "runs").iterdir(), key=lambda p: p.stat().st_mtime)


def results(folder: Path) -> dict[str, CaseResult]:
    return {r.case: r for r in latest_results(folder)}


def stats(server: TestingServer) -> dict[str, Any]:
    return server.stats.snapshot()


def test_batch_run_records_at_the_batch_rate_and_replays_offline(
    fast: Project, server: TestingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["run", "--mode", "batch"]) == 0
    s = stats(server)
    assert (s["batches_created"], s["batch_lines_submitted"], s["batch_lines_repeated"]) == (
        1,
        2,
        0,
    )
    assert "/v1/chat/completions" not in s["by_path"]  # nothing went live
    folder = runs(fast)[-1]
    ledger = read_ledger(folder)
    assert [b.status for b in ledger.batches] == ["completed"]
    assert sorted(ledger.batches[0].keys) == sorted(
        r.samples[0].request_key for r in results(folder).values()
    )
    for result in results(folder).values():
        sample = result.samples[0]
        assert (sample.source, sample.rate, result.mode) == ("batch", "batch", "batch")
        # gpt-4.1-mini: $0.40 / $1.60 per 1M tokens, half in a batch
        expected = (sample.input_tokens * 0.20 + sample.output_tokens * 0.80) / 1e6
        assert sample.cost_usd == pytest.approx(expected)
    recording = json.loads((fast.root / "snapshots/recordings/triage/refund.json").read_text())
    (entry,) = recording["interactions"].values()
    assert entry["source"].startswith("batch via evalkit testing server")
    assert API_KEY not in json.dumps(recording)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    assert main(["run"]) == 0
    replayed = results(runs(fast)[-1])
    assert {r.samples[0].source for r in replayed.values()} == {"recording"}


def test_recorded_requests_are_not_sent_again(fast: Project, server: TestingServer) -> None:
    assert main(["run", "--mode", "batch"]) == 0
    assert main(["run", "--mode", "batch"]) == 0
    assert stats(server)["batches_created"] == 1


def test_failed_and_expired_lines_go_into_follow_up_batches_and_nothing_is_lost(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_cases(fast, 40)
    with serve(
        monkeypatch, batch_fail_rate=0.2, batch_expire_rate=0.1, faults=Faults(seed=3)
    ) as server:
        assert main(["run", "--mode", "batch", "--batch-rounds", "6"]) == 0
        s = stats(server)
    done = results(runs(fast)[-1])
    assert len(done) == 40 and all(r.passed for r in done.values())
    assert s["batches_created"] > 1  # follow-ups happened
    # every line sent again was one a batch had failed or expired: nothing answered twice
    ledger = read_ledger(runs(fast)[-1])
    failed_lines = sum(b.total - b.completed for b in ledger.batches)
    assert s["batch_lines_repeated"] == failed_lines == s["batch_lines_submitted"] - 40
    assert all(b.round == i for i, b in enumerate(ledger.batches))


def test_fallback_live_answers_failed_lines_live_at_the_standard_rate(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_cases(fast, 20)
    with serve(monkeypatch, batch_fail_rate=0.3, faults=Faults(seed=1)) as server:
        assert main(["run", "--mode", "batch", "--batch-fallback", "live"]) == 0
        s = stats(server)
    done = results(runs(fast)[-1])
    sources = [r.samples[0] for r in done.values()]
    live = [x for x in sources if x.source == "api"]
    assert live and all(x.rate == "standard" for x in live)
    assert s["batches_created"] == 1 and s["by_path"]["/v1/chat/completions"] == len(live)
    assert all(r.passed for r in done.values())


def test_failing_for_good_fails_the_case_with_the_batch_error(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    many_cases(fast, 10)
    with serve(monkeypatch, batch_fail_rate=0.5, faults=Faults(seed=2)):
        code = main(["run", "--mode", "batch", "--batch-fallback", "fail"])
    assert code == 1
    failed = [r for r in results(runs(fast)[-1]).values() if not r.passed]
    assert failed
    error = failed[0].samples[0].error or ""
    assert "server_error" in error or "answered 500" in error, error


def test_batches_are_split_at_the_request_limit(fast: Project, server: TestingServer) -> None:
    many_cases(fast, 7)
    fast.write("pyproject.toml", FAST + "batch_max_requests = 3\n")
    assert main(["run", "--mode", "batch"]) == 0
    ledger = read_ledger(runs(fast)[-1])
    assert [len(b.keys) for b in ledger.batches] == [3, 3, 1]
    assert stats(server)["batch_lines_repeated"] == 0


def test_repeated_samples_go_in_one_round(fast: Project, server: TestingServer) -> None:
    fast.write(
        "suites/triage.yaml", SUITE.replace("assert:\n  - schema", "repeat: 3\nassert:\n  - schema")
    )
    assert main(["run", "--mode", "batch"]) == 0
    assert (stats(server)["batches_created"], stats(server)["batch_lines_submitted"]) == (1, 6)
    assert all(len(r.samples) == 3 for r in results(runs(fast)[-1]).values())


JUDGE = Script(
    rules=[
        Rule(when=["Rubric: "], reply={"pass": True, "score": 0.9, "reason": "Names it."}),
        *RULES.rules,
    ]
)


def test_a_judge_call_goes_into_the_next_round(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast.write(
        "suites/triage.yaml",
        SUITE.replace(
            "    expect: {category: billing}\n",
            "    expect: {category: billing}\n    assert:\n"
            "      - {type: judge, path: summary, rubric: 'Mentions the charge', model: gpt-4.1-2025-04-14}\n"
            "      - {type: similar, path: summary, value: 'double charge refund', threshold: 0.1}\n",
        ),
    )
    with serve(monkeypatch, script=JUDGE) as server:
        assert main(["run", "--mode", "batch"]) == 0
        s = stats(server)
    first, *then = read_ledger(runs(fast)[-1]).batches
    # first the two cases; once answered, the judge's call and the embeddings of `similar`
    assert (first.model, first.endpoint, len(first.keys)) == (
        "gpt-4.1-mini-2025-04-14",
        "chat.completions",
        2,
    )
    assert sorted((b.model, b.endpoint, len(b.keys)) for b in then) == [
        ("gpt-4.1-2025-04-14", "chat.completions", 1),
        ("text-embedding-3-small", "embeddings", 2),
    ]
    assert "/v1/chat/completions" not in s["by_path"] and "/v1/embeddings" not in s["by_path"]
    refund = results(runs(fast)[-1])["refund"].samples[0]
    assert {(a.kind, a.source, a.rate) for a in refund.aux} == {
        ("judge", "batch", "batch"),
        ("similar", "batch", "batch"),
    }


# -- interrupt and resume ---------------------------------------------------------------


def start_and_interrupt(project: Project, clock: Clock, **overrides: Any) -> Session:
    """Start a batch run and cancel it (as Ctrl-C does) once its batch is submitted."""
    session = Session.start([], {"mode": "batch", **overrides})

    async def go() -> None:
        task = asyncio.create_task(session.run())
        batch = session.engine.batch
        assert batch is not None
        while not batch.progress.batches and not task.done():
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(go())
    return session


def test_interrupted_run_resumes_on_the_same_batches_without_submitting_again(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()  # frozen: the batch waits until the test moves time
    many_cases(fast, 12)
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = start_and_interrupt(fast, clock)
        ledger = read_ledger(session.folder)
        assert [b.status for b in ledger.batches] == ["validating"]
        assert ledger.batches[0].batch_id and len(ledger.batches[0].keys) == 12
        assert not (session.folder / "results.jsonl").read_text().strip()
        clock.now += 50  # half done while nobody watches
        assert main(["batch", "status", session.meta.run_id]) == 0
        assert "in_progress" in capsys.readouterr().out
        clock.now += 60
        assert main(["run", "--resume", session.meta.run_id]) == 0
        s = stats(server)
    assert (s["batches_created"], s["batch_lines_submitted"], s["batch_lines_repeated"]) == (
        1,
        12,
        0,
    )
    done = results(session.folder)
    assert len(done) == 12 and all(
        r.passed and r.samples[0].source == "batch" for r in done.values()
    )


def test_a_batch_whose_id_was_never_written_is_found_by_its_metadata(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = start_and_interrupt(fast, clock)
        # a crash between batches.create and writing its id: the state has no batch id
        state = json.loads((session.folder / "batches.json").read_text())
        state["batches"][0]["batch_id"] = None
        (session.folder / "batches.json").write_text(json.dumps(state))
        clock.now += 200
        assert main(["run", "--resume", session.meta.run_id]) == 0
        assert stats(server)["batches_created"] == 1


def test_cancel_then_resume_submits_the_cancelled_requests_again(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = start_and_interrupt(fast, clock)
        assert main(["batch", "cancel", session.meta.run_id]) == 0
        out = capsys.readouterr().out
        assert "cancelling" in out and f"evalkit run --resume {session.meta.run_id}" in out
        clock.now += 20
        clock.step = 10.0
        assert main(["run", "--resume", session.meta.run_id]) == 0
        s = stats(server)
    assert s["batches_created"] == 2
    ledger = read_ledger(session.folder)
    assert [b.status for b in ledger.batches] == ["cancelled", "completed"]
    assert all(r.passed for r in results(session.folder).values())


def test_a_run_resumed_under_another_key_or_endpoint_says_so(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = start_and_interrupt(fast, clock)
        run_id = session.meta.run_id
        monkeypatch.setenv("OPENAI_API_KEY", "sk-another-key-0000000000")
        assert main(["run", "--resume", run_id]) == 2
        err = capsys.readouterr().err
        assert "belong to another API key" in err and "sk-another" not in err
        assert main(["batch", "status", run_id]) == 2
        assert "belong to another API key" in capsys.readouterr().err
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        with serve(monkeypatch, batch_delay_s=0) as other:
            assert main(["run", "--resume", run_id]) == 2
            err = capsys.readouterr().err
            assert "belong to another endpoint" in err and other.base_url in err
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        clock.now += 200
        assert main(["run", "--resume", run_id]) == 0
        assert stats(server)["batches_created"] == 1


def test_estimate_then_a_capped_batch_run_interrupted_resumed_and_replayed_offline(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole story through the CLI: estimate, run in batch mode under a cap, Ctrl-C
    (SIGINT cancels the run; the batch keeps running), resume, replay with no server."""
    import os
    import signal
    import threading

    many_cases(fast, 6)
    clock = Clock()
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        out = fast.root / "estimate.json"
        assert main(["estimate", "--json", str(out)]) == 0
        estimate = json.loads(out.read_text())["total"]
        assert estimate["requests_to_send"] == 6 and server.stats.snapshot()["requests"] == 0

        def interrupt_once_submitted() -> None:
            while not server.stats.snapshot()["batches_created"]:
                threading.Event().wait(0.01)
            threading.Event().wait(0.1)
            os.kill(os.getpid(), signal.SIGINT)

        thread = threading.Thread(target=interrupt_once_submitted, daemon=True)
        thread.start()
        cap = estimate["cost_batch_upper_usd"] * 1.5
        assert main(["run", "--mode", "batch", "--max-cost", f"{cap:.6f}"]) == 130
        thread.join()
        err = capsys.readouterr().err
        run_id = runs(fast)[-1].name
        assert f"resume with: evalkit run --resume {run_id}" in err
        assert "1 batch keep running on the server" in err
        assert f"evalkit batch cancel {run_id}" in err
        clock.now += 200
        assert main(["run", "--resume", run_id]) == 0
        s = stats(server)
    assert (s["batches_created"], s["batch_lines_submitted"], s["batch_lines_repeated"]) == (
        1,
        6,
        0,
    )
    done = results(runs(fast)[-1])
    assert all(r.passed and r.samples[0].rate == "batch" for r in done.values())
    spent = sum(r.cost_usd or 0 for r in done.values())
    assert 0 < spent <= cap
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there
    assert main(["run"]) == 0


# -- the answerer on its own ------------------------------------------------------------


def test_a_batch_that_fails_validation_names_each_line_s_case_and_runs_the_others(
    fast: Project, server: TestingServer
) -> None:
    from evalkit.config import load_settings
    from evalkit.engine.batch import Batch, BatchFailed
    from evalkit.engine.limits import CircuitBreaker, LiveStats
    from evalkit.engine.live import Live
    from evalkit.project.recordings import Owner
    from evalkit.wire.request import Request

    model = "gpt-4.1-mini-2025-04-14"
    good = Request(
        endpoint="chat.completions",
        body={"model": model, "messages": [{"role": "user", "content": "The site is down"}]},
    )
    bad = Request(endpoint="chat.completions", body={"model": model})  # no messages
    events: list[str] = []

    async def go() -> list[Any]:
        settings = load_settings(fast.root)
        batch = Batch(settings, Live(settings, LiveStats(), CircuitBreaker(20, 0.5)), quiet_s=0.01)
        batch.progress.on_event = events.append
        try:
            return await asyncio.gather(
                batch.answer(Owner("triage", "good"), good),
                batch.answer(Owner("triage", "bad"), bad),
                return_exceptions=True,
            )
        finally:
            await batch.aclose()

    answered, refused = asyncio.run(go())
    assert isinstance(refused, BatchFailed)
    assert str(refused) == (
        "the Batch API refused it: invalid_request: Messages parameter is required."
    )
    report = next(e for e in events if "failed validation" in e)
    assert "line 2 (triage::bad): invalid_request: Messages parameter is required." in report
    assert "technical" in answered.text  # the valid line went into the next round
    assert answered.batch_id and answered.rate == "batch"
    s = stats(server)
    assert (s["batches_created"], s["batch_lines_repeated"]) == (2, 1)


def test_batch_lines_never_stream_and_split_at_the_file_size(fast: Project) -> None:
    from evalkit.engine.batchlines import batch_body, batch_line, split_lines
    from evalkit.wire.request import Request

    streamed = Request(
        endpoint="responses",
        body={"model": "m", "input": "hi", "stream": True, "stream_options": {"x": 1}},
    )
    assert batch_body(streamed) == {"model": "m", "input": "hi"}
    line = json.loads(batch_line(streamed))
    assert (line["custom_id"], line["url"], line["method"]) == (
        streamed.key,
        "/v1/responses",
        "POST",
    )
    requests = [
        Request(endpoint="embeddings", body={"model": "e", "input": [f"text {i}"]})
        for i in range(10)
    ]
    size = len(batch_line(requests[0]).encode()) + 1
    chunks = split_lines(requests, max_requests=100, max_bytes=size * 4)
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert [r for c in chunks for r, _ in c] == requests


def test_an_expired_batch_loses_nothing(fast: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch expires with a quarter of its lines answered: those are kept (source
    batch), the others are answered live; nothing is sent twice."""
    many_cases(fast, 16)
    with serve(monkeypatch, batch_delay_s=10, batch_expire_after_s=3) as server:
        assert main(["run", "--mode", "batch", "--batch-fallback", "live"]) == 0
        s = stats(server)
    (record,) = read_ledger(runs(fast)[-1]).batches
    assert record.status == "expired" and 0 < record.completed < 16
    done = results(runs(fast)[-1])
    sources = sorted(r.samples[0].source for r in done.values())
    assert sources == ["api"] * (16 - record.completed) + ["batch"] * record.completed
    assert s["by_path"]["/v1/chat/completions"] == 16 - record.completed
    assert all(r.passed for r in done.values())


def test_a_batch_cancelled_while_the_run_waits_leaves_its_cases_to_resume(
    fast: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    clock = Clock()
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = Session.start([], {"mode": "batch"})

        async def go() -> None:
            task = asyncio.create_task(session.run())
            batch = session.engine.batch
            assert batch is not None
            while not batch.progress.batches:
                await asyncio.sleep(0.01)
            # `evalkit batch cancel` from another terminal
            other = threading.Thread(target=main, args=(["batch", "cancel", session.meta.run_id],))
            other.start()
            while other.is_alive():
                await asyncio.sleep(0.01)
            clock.now += 20
            await task

        asyncio.run(go())
        done = results(session.folder)
        assert {r.status for r in done.values()} == {"not run: batch cancelled"}
        assert session.engine.batch is not None and session.engine.batch.progress.cancelled == 2
        clock.step = 10
        assert main(["run", "--resume", session.meta.run_id]) == 0
        assert stats(server)["batches_created"] == 2
    assert all(r.passed for r in results(session.folder).values())


def test_a_tool_loop_advances_one_turn_per_batch_round(
    fast: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..integration.test_tool_suites import SCRIPT as AGENT
    from ..integration.test_tool_suites import write

    write(fast)  # two cases: one lookup then an answer, and lookup, refund, answer
    fast.write("pyproject.toml", FAST)
    with serve(monkeypatch, script=AGENT) as server:
        assert main(["run", "--mode", "batch", "--snapshot-update"]) == 0
        s = stats(server)
    rounds = [len(b.keys) for b in read_ledger(runs(fast)[-1]).batches]
    assert rounds == [2, 2, 1]  # turn 1 of both cases, turn 2 of both, turn 3 of the refund
    assert "/v1/chat/completions" not in s["by_path"]  # nothing went live
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["run"]) == 0  # and the whole trajectory replays offline
