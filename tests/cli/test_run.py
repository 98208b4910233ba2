"""cli/run.py: `evalkit run` / `record` flags as the session receives them, what a finished
run says, and the batch lines a run shows."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from evalkit.cli import run as run_command
from evalkit.cli.common import overrides
from evalkit.cli.display import RunDisplay
from evalkit.cli.main import main
from evalkit.config import Mode
from evalkit.engine.batch import BatchProgress, BatchView
from evalkit.engine.limits import LiveStats
from evalkit.errors import ConfigError
from evalkit.testing import TestingServer

from ..conftest import Project
from .support import parse, usage_error

EVERY_FLAG = [
    "suites/a.yaml",
    "suites/b",
    "--mode", "live",
    "--concurrency", "3",
    "--timeout", "2.5",
    "--max-retries", "1",
    "--rpm", "60",
    "--tpm", "1000",
    "--max-cost", "0.5",
    "--batch-fallback", "live",
    "--batch-rounds", "2",
    "--results", "out/runs",
    "--variant", "v2",
    "--shard", "1/2",
    "--run-id", "nightly",
    "--all-variants",
    "-v",
    "--snapshot-update",
]  # fmt: skip


def test_every_run_flag_reaches_the_session() -> None:
    args = parse("run", *EVERY_FLAG)
    assert args.suites == ["suites/a.yaml", "suites/b"]
    assert overrides(args) == {
        "mode": "live",
        "concurrency": 3,
        "timeout_s": 2.5,
        "max_retries": 1,
        "rpm": 60,
        "tpm": 1000,
        "max_cost_usd": 0.5,
        "batch_fallback": "live",
        "batch_rounds": 2,
        "results": "out/runs",
        "update_snapshots": True,
    }
    assert (args.variant, args.shard, args.run_id, args.resume) == ("v2", "1/2", "nightly", None)
    assert args.all_variants and args.verbose


def test_defaults_give_the_session_nothing_to_override() -> None:
    args = parse("run")
    assert args.suites == [] and overrides(args) == {}
    assert (args.variant, args.shard, args.run_id, args.resume) == (None, None, None, None)
    assert not args.all_variants and not args.verbose and args.update_snapshots is None


def test_record_is_run_without_mode(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("record", "--concurrency", "2", "--resume", "r1")
    assert args.command == "record" and args.resume == "r1" and not hasattr(args, "mode")
    assert usage_error(capsys, "record", "--mode", "live") == "unrecognized arguments: --mode"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--concurrency", "x"], "argument --concurrency: invalid int value: 'x'"),
        (["--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
        (
            ["--batch-fallback", "retry"],
            "argument --batch-fallback: invalid choice: 'retry' "
            "(choose from 'batch', 'live', 'fail')",
        ),
        (["--resume"], "argument --resume: expected one argument"),
    ],
)
def test_bad_run_flags_exit_2_with_one_line(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert usage_error(capsys, "run", *argv) == reason


def test_resume_with_shard_is_refused_before_opening_anything(project: Project) -> None:
    with pytest.raises(ConfigError, match=r"--shard with --resume: a resumed run keeps the shard"):
        run_command.open_session(parse("run", "--resume", "r1", "--shard", "1/2"))


def test_a_bad_shard_is_bad_input(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--shard", "3/2"]) == 2
    assert "--shard" in capsys.readouterr().err


def test_record_writes_its_mode_and_flags_into_the_run_folder(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "first", "--concurrency", "3", "--max-retries", "2"]) == 0
    meta = json.loads((project.root / ".evalkit/runs/first/run.json").read_text())
    assert meta["mode"] == "record" and meta["run_id"] == "first"
    assert meta["overrides"] == {"mode": "record", "concurrency": 3, "max_retries": 2}
    out = capsys.readouterr().out
    assert out.rstrip().endswith(f"results: {project.root / '.evalkit/runs/first/results.jsonl'}")
    # replay by default, the same cases from the recordings; `--run-id` replaces a run
    assert main(["run", "--run-id", "first", "suites/triage.yaml"]) == 0
    meta = json.loads((project.root / ".evalkit/runs/first/run.json").read_text())
    assert meta["mode"] == "replay" and meta["overrides"] == {}


def test_a_plain_run_has_no_batch_or_cap_notes(project: Project, server: TestingServer) -> None:
    session = run_command.open_session(parse("record"))
    assert session.meta.mode is Mode.RECORD
    session.run_sync()
    assert run_command.interrupted_note(session) is None
    assert run_command.summary_note(session) is None
    assert run_command.cost_cap_note(session) is None


def test_a_resumed_run_says_what_was_already_finished(
    project: Project, server: TestingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["record", "--run-id", "r1"]) == 0
    results = project.root / ".evalkit/runs/r1/results.jsonl"
    first, _lost = results.read_text().splitlines()
    results.write_text(first + "\n")  # one case lost, as after a Ctrl-C
    capsys.readouterr()
    assert main(["run", "--resume", "r1"]) == 0
    out = capsys.readouterr().out
    assert "resuming run r1 (record): 1 cases already finished, 1 to go" in out
    assert len(results.read_text().splitlines()) == 2


def plain_display() -> tuple[RunDisplay, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=160, force_terminal=False)
    return RunDisplay(4, LiveStats(), console=console), out


def test_watch_shows_the_batches_counts_and_events() -> None:
    display, out = plain_display()
    progress = BatchProgress()
    run_command.watch(display, progress)
    progress.event("submitted batch batch_1: 4 requests")
    view = BatchView("batch_1", "m", "chat.completions", 0, "in_progress", 4, completed=1)
    progress.update(view)
    progress.update(BatchView("batch_1", "m", "chat.completions", 0, "completed", 4, 3, 1))
    assert out.getvalue().splitlines() == [
        "submitted batch batch_1: 4 requests",
        "batch: 1 batch running, 0 failed lines: 1/4",
        "batch: batches done, 1 failed lines: 4/4",
    ]
