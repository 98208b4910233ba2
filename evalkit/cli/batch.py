"""``evalkit batch status|cancel RUN [--results DIR]``: a batch run's batches on the server,
looked at or cancelled (:mod:`evalkit.runs.batches`; a cancelled batch's unanswered
requests are submitted again by ``evalkit run --resume``).

Prints one line per batch (its id, the API's state and request counts, or why the API could
not say) and what to do next. Exit 0; a run without batches, or whose batches belong to
another key or endpoint, is bad input (exit 2).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..io.redaction import redact
from .common import EXIT_OK

if TYPE_CHECKING:
    from ..runs.batches import BatchStatus

ACTIONS = {
    "status": "the state of a batch run's batches",
    "cancel": "cancel a batch run's unfinished batches (resume submits them again)",
}


def add_parser(subparsers: Any) -> None:
    batch = subparsers.add_parser("batch", help="a batch run's batches: status, cancel")
    actions = batch.add_subparsers(dest="action", required=True)  # same parser class
    for name, text in ACTIONS.items():
        action = actions.add_parser(name, help=text)
        action.add_argument("run", metavar="RUN", help="run folder or run id")
        action.add_argument("--results", metavar="DIR", help="folder of run results")


def run(args: argparse.Namespace) -> int:
    from ..runs import batches  # the SDK, imported only by the commands that use it

    control = batches.cancel if args.action == "cancel" else batches.status
    found = control(args.run, args.results)
    run_id, report = found.run_id, found.report
    print(f"run {run_id}: {len(report.batches)} batch(es)")
    for one in report.batches:
        print(redact(line(one)))
    still = report.running
    if report.cancelled:
        print(
            f"cancelled what was running; `evalkit run --resume {run_id}` submits the "
            "unanswered requests again"
        )
    elif still:
        print(
            f"{len(still)} batch(es) still running: `evalkit run --resume {run_id}` waits for them"
        )
    return EXIT_OK


def line(one: BatchStatus) -> str:
    """One batch: its id, then its state and counts, or why the API could not say."""
    where = f"{one.model} {one.endpoint}, round {one.round}, {one.requests:,} requests"
    if one.problem is not None:
        return f"  {one.batch_id or one.submission}: {one.problem}"
    if one.batch_id is None:
        return f"  {one.submission}: never created on the server ({where})"
    counts = one.counts
    done = (
        f"{counts.answered:,} answered, {counts.failed:,} failed of {counts.total:,}"
        if counts is not None
        else ""
    )
    return f"  {one.batch_id}: {one.state}; {done} ({where})"
