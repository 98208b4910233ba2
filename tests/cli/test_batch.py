"""cli/batch.py: `evalkit batch status|cancel RUN` flags, the line printed per batch, and
both actions on a batch run against the testing server's Batches API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalkit.cli.batch import line
from evalkit.cli.main import main
from evalkit.runs.batches import BatchStatus, RequestCounts
from evalkit.runs.session import Session
from evalkit.testing import TestingServer

from ..conftest import Project
from ..engine.test_batch import FAST, Clock, serve, start_and_interrupt
from .support import parse, usage_error

MODEL = "gpt-4.1-mini-2025-04-14"


def test_flags() -> None:
    for action in ("status", "cancel"):
        args = parse("batch", action, "r1", "--results", "elsewhere")
        assert (args.command, args.action, args.run, args.results) == (
            "batch", action, "r1", "elsewhere",
        )  # fmt: skip
    assert parse("batch", "status", "r1").results is None


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "the following arguments are required: action"),
        (["status"], "the following arguments are required: RUN"),
        (
            ["pause", "r1"],
            "argument action: invalid choice: 'pause' (choose from 'status', 'cancel')",
        ),
        (["cancel", "r1", "--results"], "argument --results: expected one argument"),
    ],
)
def test_bad_flags(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "batch", *argv) == reason


def status(**given: object) -> BatchStatus:
    fields: dict[str, object] = {
        "submission": "sub_1", "batch_id": "batch_1", "model": MODEL,
        "endpoint": "chat.completions", "round": 1, "requests": 1200,
        "base_url": "http://127.0.0.1:1/v1", "state": "in_progress",
    }  # fmt: skip
    return BatchStatus(**{**fields, **given})  # type: ignore[arg-type]


def test_one_line_per_batch() -> None:
    where = f"({MODEL} chat.completions, round 1, 1,200 requests)"
    counted = status(counts=RequestCounts(1000, 5, 1200))
    assert line(counted) == f"  batch_1: in_progress; 1,000 answered, 5 failed of 1,200 {where}"
    assert line(status()) == f"  batch_1: in_progress;  {where}"  # the API gave no counts
    never = status(batch_id=None, state="not submitted")
    assert line(never) == f"  sub_1: never created on the server {where}"
    refused = status(problem="the API answered 404: No batch found with id 'batch_1'.")
    assert line(refused) == "  batch_1: the API answered 404: No batch found with id 'batch_1'."
    lost = status(batch_id=None, problem="could not reach http://127.0.0.1:1/v1: Connection error.")
    assert line(lost) == "  sub_1: could not reach http://127.0.0.1:1/v1: Connection error."


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


def test_status_then_cancel_then_status(
    project: Project, server: TestingServer, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    session = start_and_interrupt(project, clock)
    run_id = session.meta.run_id
    capsys.readouterr()
    assert main(["batch", "status", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"run {run_id}: 1 batch(es)"
    assert out[1].startswith("  batch_") and ": validating; 0 answered, 0 failed of 2 (" in out[1]
    assert out[2] == f"1 batch(es) still running: `evalkit run --resume {run_id}` waits for them"
    assert main(["batch", "cancel", run_id]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ": cancelling; " in out[1]
    assert out[2] == (
        f"cancelled what was running; `evalkit run --resume {run_id}` submits the unanswered "
        "requests again"
    )
    clock.now += 20
    assert main(["batch", "status", str(session.folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ": cancelled; " in out[1] and len(out) == 2  # nothing still running


def test_a_run_without_batches_is_bad_input(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    Session.start([], {"mode": "record"}, run_id="plain").run_sync()
    assert main(["batch", "status", "plain"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "run 'plain' has no batches: it did not run in batch mode" in err
