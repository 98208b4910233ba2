"""runs/batches.py: a batch run found by the name a user gives it, with the settings it
started with, then its batches asked about on the testing server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.errors import ConfigError
from evalkit.runs import batches
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import Project
from ..engine.test_batch import FAST, Clock, serve, start_and_interrupt


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(
    project: Project, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Iterator[TestingServer]:
    project.write("pyproject.toml", FAST)
    with serve(monkeypatch, clock=clock, batch_delay_s=100) as srv:
        yield srv


def test_a_run_is_found_by_id_or_folder_with_the_settings_it_started_with(
    project: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(project, clock, batch_rounds=5, concurrency=3)
    for ref in (session.meta.run_id, str(session.folder)):
        run = batches.open_batch_run(ref)
        assert run.folder == session.folder and run.meta.run_id == session.meta.run_id
        assert (run.settings.batch_rounds, run.settings.concurrency) == (5, 3)


def test_another_results_folder_is_searched_when_named(
    project: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(project, clock, results=str(project.root / "elsewhere"))
    with pytest.raises(ConfigError, match="no run"):
        batches.open_batch_run(session.meta.run_id)
    found = batches.status(session.meta.run_id, str(project.root / "elsewhere"))
    assert found.run_id == session.meta.run_id
    assert [b.state for b in found.report.batches] == ["validating"]


def test_status_and_cancel_name_the_run(
    project: Project, server: TestingServer, clock: Clock
) -> None:
    session = start_and_interrupt(project, clock)
    looked = batches.status(session.meta.run_id)
    assert looked.run_id == session.meta.run_id and not looked.report.cancelled
    cancelled = batches.cancel(session.meta.run_id)
    assert cancelled.report.cancelled
    assert [b.state for b in cancelled.report.batches] == ["cancelling"]


def test_a_run_that_did_not_run_in_batch_mode_is_named_in_the_error(
    project: Project, server: TestingServer
) -> None:
    session = Session.start([], {"mode": "record"}, run_id="plain")
    session.run_sync()
    with pytest.raises(ConfigError, match="run 'plain' has no batches: it did not run in batch"):
        batches.status("plain")
    with pytest.raises(ConfigError, match="has no batches"):
        batches.cancel(str(session.results_path.parent.parent / "plain" / "results.jsonl"))
    (session.folder / "run.json").unlink()  # a results file alone: not a run folder
    with pytest.raises(ConfigError, match="has no batches"):
        batches.status(str(session.results_path))
