"""engine/batch_control.py against the testing server's Files and Batches over HTTP: what
`evalkit batch status|cancel` learns of a run's batches, and what it writes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from evalkit.config import Settings, load_settings
from evalkit.engine import batch_control
from evalkit.engine.batchstate import public_url, read_ledger
from evalkit.errors import ConfigError
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import API_KEY, Project
from .test_batch import FAST, Clock, many_cases, serve, start_and_interrupt

MODEL = "gpt-4.1-mini-2025-04-14"


@pytest.fixture
def fast(project: Project) -> Project:
    project.write("pyproject.toml", FAST)
    return project


@pytest.fixture
def clock() -> Clock:
    return Clock()  # frozen: a batch waits until the test moves time


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[TestingServer]:
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as srv:
        yield srv


def settings(project: Project) -> Settings:
    return load_settings(project.root)


def edit_ledger(folder: Path, **changes: object) -> None:
    """Change the first batch of the run's batches.json as a crash or a hand would."""
    path = folder / "batches.json"
    state = json.loads(path.read_text())
    state["batches"][0].update(changes)
    path.write_text(json.dumps(state))


def test_status_gives_each_batch_its_state_and_counts_and_keeps_them(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    many_cases(fast, 12)
    session = start_and_interrupt(fast, clock)
    (record,) = read_ledger(session.folder).batches
    clock.now += 50  # half done while nobody watches

    report = batch_control.status(session.folder, settings(fast))

    (found,) = report.batches
    assert (found.batch_id, found.submission) == (record.batch_id, record.submission)
    assert (found.model, found.endpoint, found.round, found.requests) == (
        MODEL,
        "chat.completions",
        0,
        12,
    )
    assert found.base_url == public_url(server.base_url)
    assert found.state == "in_progress" and found.problem is None
    assert found.counts is not None and found.counts.total == 12
    assert 0 < found.counts.answered < 12 and found.counts.failed == 0
    assert found.created and found.open and found.running
    assert report.running == [found] and not report.cancelled
    assert read_ledger(session.folder).batches[0].status == "in_progress"  # written back
    assert server.stats.snapshot()["batches_created"] == 1  # looked at, never submitted


def test_a_finished_batch_is_not_running(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(fast, clock)
    clock.now += 200
    report = batch_control.status(session.folder, settings(fast))
    (found,) = report.batches
    assert found.state == "completed" and not found.open and report.running == []
    assert found.counts is not None and (found.counts.answered, found.counts.total) == (2, 2)


def test_cancel_cancels_what_runs_and_a_later_status_sees_it_cancelled(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(fast, clock)
    report = batch_control.cancel(session.folder, settings(fast))
    (found,) = report.batches
    assert report.cancelled and found.state == "cancelling" and found.running
    clock.now += 20
    (later,) = batch_control.status(session.folder, settings(fast)).batches
    assert later.state == "cancelled" and not later.open
    assert read_ledger(session.folder).batches[0].status == "cancelled"
    # cancelling again asks nothing to cancel: the batch is over
    (again,) = batch_control.cancel(session.folder, settings(fast)).batches
    assert again.state == "cancelled" and again.problem is None


def test_a_batch_never_submitted_is_reported_without_asking_the_api(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(fast, clock)
    edit_ledger(session.folder, batch_id=None, status="not submitted")
    asked = server.stats.snapshot()["requests"]
    (found,) = batch_control.status(session.folder, settings(fast)).batches
    assert not found.created and found.state == "not submitted" and found.problem is None
    assert found.counts is None and not found.running
    assert server.stats.snapshot()["requests"] == asked


def test_a_batch_whose_id_was_never_written_is_found_by_its_metadata(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(fast, clock)
    batch_id = read_ledger(session.folder).batches[0].batch_id
    edit_ledger(session.folder, batch_id=None)  # a crash between create and writing its id
    (found,) = batch_control.status(session.folder, settings(fast)).batches
    assert found.batch_id == batch_id and found.state == "validating"
    assert read_ledger(session.folder).batches[0].batch_id == batch_id


def test_a_batch_the_api_does_not_know_says_so_and_the_others_are_still_reported(
    fast: Project, server: TestingServer, clock: Clock
) -> None:
    many_cases(fast, 5)
    fast.write("pyproject.toml", FAST + "batch_max_requests = 3\n")
    clock.step = 10.0  # the run's batches finish as it polls
    session = Session.start([], {"mode": "batch"})
    session.run_sync()
    edit_ledger(session.folder, batch_id="batch_unknown000")
    first, second = batch_control.status(session.folder, settings(fast)).batches
    assert first.problem is not None and first.problem.startswith("the API answered 404: ")
    assert "batch_unknown000" in first.problem and first.counts is None
    assert second.problem is None and second.state == "completed" and second.requests == 2


def test_a_server_out_of_reach_is_named_per_batch(
    fast: Project, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as server:
        session = start_and_interrupt(fast, clock)
        url = public_url(server.base_url)
    (found,) = batch_control.status(session.folder, settings(fast)).batches  # server gone
    assert found.problem is not None and found.problem.startswith(f"could not reach {url}: ")
    assert found.state == "validating" and found.running  # the ledger's last word stands


def test_batches_under_another_key_are_refused_before_any_call(
    fast: Project, server: TestingServer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = start_and_interrupt(fast, clock)
    before = (session.folder / "batches.json").read_text()
    asked = server.stats.snapshot()["requests"]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-another-key-0000000000")
    with pytest.raises(ConfigError, match="belong to another API key") as caught:
        batch_control.cancel(session.folder, settings(fast))
    assert "sk-another" not in str(caught.value) and API_KEY not in str(caught.value)
    assert (session.folder / "batches.json").read_text() == before
    assert server.stats.snapshot()["requests"] == asked


def test_a_run_without_batches_is_bad_input(fast: Project, server: TestingServer) -> None:
    session = Session.start([], {"mode": "record"})
    session.run_sync()
    with pytest.raises(ConfigError, match="has no batches: it did not run in batch mode"):
        batch_control.status(session.folder, settings(fast))
    with pytest.raises(ConfigError, match="has no batches"):
        batch_control.status(session.results_path, settings(fast))
