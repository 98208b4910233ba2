"""``evalkit run`` and ``evalkit record`` (= ``run --mode record``), and ``--resume``.

Parses, hands the run to :class:`evalkit.runs.session.Session` (which plans, writes the run
folder and runs the engine), shows it with :class:`RunDisplay`, and says what the run left:
an interruption and how to resume, batches still running, the circuit breaker, the cost cap.
Exit 0 every gate passed, 1 a gate failed (or the breaker or the cap stopped the run), 130
interrupted (every finished case is kept).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from ..config import Mode
from ..errors import ConfigError
from ..io.redaction import redact
from ..project import shard
from ..runs.notes import (
    breaker_note,
    cost_cap_note,
    helpers_note,
    interrupted_note,
    summary_note,
)
from ..runs.session import Session
from .common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    REMEDIES,
    overrides,
    print_note,
    settings_flags,
    until_signal,
)
from .display import RunDisplay

if TYPE_CHECKING:
    from ..runs.session import BatchProgress


def add_parser(subparsers: Any) -> None:
    """Add ``run`` and ``record`` (the same flags, less ``--mode``)."""
    run_flags(subparsers.add_parser("run", help="run suites (replay by default)"))
    run_flags(subparsers.add_parser("record", help="= run --mode record"), mode=False)


def run_flags(parser: argparse.ArgumentParser, *, mode: bool = True) -> None:
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help="suite files or folders (default: suites/)"
    )
    settings_flags(parser, skip=() if mode else ("mode",))
    parser.add_argument("--variant", help="run a named variant (or base, or key=value)")
    parser.add_argument(shard.FLAG, metavar=shard.METAVAR, help=shard.HELP)
    parser.add_argument("--resume", metavar="RUN", help="finish an interrupted run (folder or id)")
    parser.add_argument(
        "--run-id",
        help="name of the run's folder (default: a timestamp); an earlier run of "
        "that id is replaced",
    )
    parser.add_argument(
        "--all-variants", action="store_true", help="the suites as written and every variant"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    parser.add_argument(
        "--snapshot-update",
        action="store_true",
        dest="update_snapshots",
        default=None,
        help="accept changed output snapshots",
    )


def open_session(args: argparse.Namespace) -> Session:
    """The session the flags describe: a new run, or the resumed one."""
    given = overrides(args)
    if args.command == "record":
        given["mode"] = Mode.RECORD
    part = shard.Shard.parse_optional(args.shard)
    if args.resume:
        if part is not None:
            raise ConfigError(
                f"{shard.FLAG} with --resume: a resumed run keeps the shard it started with "
                "(in its run.json); drop --shard"
            )
        return Session.resume(args.resume, given)
    return Session.start(
        args.suites,
        given,
        variant=args.variant,
        all_variants=args.all_variants,
        run_id=args.run_id,
        replace=bool(args.run_id),
        shard=part,
    )


def run(args: argparse.Namespace) -> int:
    session = open_session(args)
    run_id = session.meta.run_id
    if session.meta.shard and not session.planned and not session.finished_before:
        session.run_sync()  # an empty results file: the union of the shards reads every one
        print(
            f"shard {session.meta.shard} holds none of these suites' cases: nothing to run\n"
            f"results: {session.results_path}"
        )
        return EXIT_OK
    display = RunDisplay(
        len(session.planned), session.stats, verbose=args.verbose, remedies=REMEDIES
    )
    if session.finished_before:
        display.say(
            f"resuming run {run_id} ({session.meta.mode.value}): {session.finished_before} cases "
            f"already finished, {len(session.planned)} to go"
        )
    if skipped := session.skipped_suites:
        display.say(
            f"variant {session.meta.variant}: skipped {len(skipped)} suite(s) that do not "
            f"define it: {', '.join(skipped)}"
        )
    if session.skipped_lines:
        display.say(f"warning: skipped unreadable lines {session.skipped_lines} of the results")
    session.share()  # a big replay: helper processes, forked before the display's thread
    with display:
        if session.batch_progress is not None:
            watch(display, session.batch_progress)
        try:
            asyncio.run(until_signal(lambda: session.run(display.result)))
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
        else:
            interrupted = False
    if interrupted:
        print(
            f"\ninterrupted: {display.done} of {len(session.planned)} cases finished and kept in "
            f"{session.results_path}\nresume with: evalkit run --resume {run_id}",
            file=sys.stderr,
        )
        print_note(interrupted_note(session))
        return EXIT_INTERRUPTED
    if helpers := helpers_note(session):
        print(helpers, file=sys.stderr)
    display.close(session.summaries(), session.figures)
    if note := summary_note(session):
        display.say(note)
    for line in session.snapshots().lines():
        print(line)
    print(f"results: {session.results_path}")
    if broken := breaker_note(session, display.not_run):
        print(redact(broken), file=sys.stderr)
        return EXIT_FAILED
    capped = cost_cap_note(session)
    if capped:
        print_note(capped)
        return EXIT_FAILED
    return EXIT_OK if session.passed else EXIT_FAILED


# -- what a run says about its batches and its cost cap ---------------------------------


def watch(display: RunDisplay, progress: BatchProgress) -> None:
    """Show the batches' request counts as a bar and their events as lines."""
    update = display.add_bar("batch")

    def changed(p: BatchProgress) -> None:
        waiting = p.waiting
        state = (
            f"{waiting} batch{'es' if waiting != 1 else ''} running" if waiting else "batches done"
        )
        failed = sum(b.failed for b in p.batches.values())
        update(p.done, p.total, f"batch: {state}, {failed:,} failed lines")

    progress.on_change = changed
    progress.on_event = display.say
