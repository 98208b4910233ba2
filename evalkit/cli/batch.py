"""The CLI's batch and cost commands: ``evalkit estimate``, ``evalkit batch status|cancel RUN``,
and what ``evalkit run`` shows and says about batches and the cost cap.

Kept apart from cli.py so the front stays thin: cli.py adds these parsers, hands the run's
display to :func:`watch`, and prints the notes :func:`interrupted_note` and
:func:`cost_cap_note` return.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Mode, find_root, load_settings
from ..errors import ConfigError
from ..io.redaction import redact

if TYPE_CHECKING:
    from ..engine.batch import BatchProgress
    from ..engine.batchstate import BatchRecord
    from ..runs.session import Session
    from .display import RunDisplay

_ESTIMATE_MODES = ("record", "batch", "rerecord", "live")


def add_parsers(sub: Any) -> None:
    estimate = sub.add_parser(
        "estimate",
        help="before any call: requests to send, tokens and cost (live and batch)",
    )
    estimate.add_argument("suites", nargs="*", metavar="SUITE")
    estimate.add_argument("--variant", help="a named variant (or base, or key=value)")
    estimate.add_argument(
        "--all-variants", action="store_true", help="the suites as written and every variant"
    )
    estimate.add_argument(
        "--mode",
        choices=_ESTIMATE_MODES,
        default=None,
        help="record or batch (default): recorded requests are not sent; rerecord or live: "
        "every request is",
    )
    estimate.add_argument(
        "--max-cost",
        type=float,
        dest="max_cost_usd",
        metavar="USD",
        help="say whether a run under this cap would start",
    )
    estimate.add_argument("--json", metavar="FILE", help="write the estimate as JSON")
    batch = sub.add_parser("batch", help="a batch run's batches: status, cancel")
    actions = batch.add_subparsers(dest="action", required=True)  # same parser class
    for name, text in (
        ("status", "the state of a batch run's batches"),
        ("cancel", "cancel a batch run's unfinished batches (resume submits them again)"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("run", metavar="RUN", help="run folder or run id")
        action.add_argument("--results", metavar="DIR", help="folder of run results")


# -- evalkit estimate --------------------------------------------------------------------


def cmd_estimate(args: argparse.Namespace) -> int:
    from ..engine.estimate import estimate, unknown_price
    from ..project.open import open_project
    from ..project.recordings import RecordingStore

    mode = Mode(args.mode) if args.mode else Mode.RECORD
    overrides: dict[str, Any] = {"max_cost_usd": args.max_cost_usd}
    project = open_project(args.suites, overrides)
    planned = project.plan_all_variants() if args.all_variants else project.plan(args.variant)
    settings = project.settings
    store = RecordingStore(settings.snapshots_dir / "recordings")
    found = estimate(planned, settings, store, mode)
    print(redact(found.text()))
    cap = settings.max_cost_usd
    if cap is not None:
        total = found.total
        if found.unknown_prices:
            print(redact(unknown_price(sorted(found.unknown_prices)[0])))
        for rate, label in (("standard", "live or record"), ("batch", "batch")):
            upper = total.cost(rate)  # type: ignore[arg-type]
            if upper is None:
                verdict = "would not start (its upper bound is unknown)"
            elif upper > cap:
                verdict = f"would not start (up to ${upper:.4f} > ${cap:g})"
            else:
                verdict = f"would start (up to ${upper:.4f} <= ${cap:g})"
            print(f"with --max-cost {cap:g}, a {label} run {verdict}")
    if args.json:
        path = Path(args.json)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(found.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the estimate: {exc.strerror or exc}", path) from None
        print(f"json estimate: {args.json}")
    return 0


# -- evalkit batch status|cancel ---------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    return asyncio.run(_batch(args))


async def _batch(args: argparse.Namespace) -> int:
    from ..engine.batch import Batch
    from ..engine.batchstate import BatchLedger
    from ..engine.limits import CircuitBreaker, LiveStats
    from ..engine.live import Live
    from ..results.folder import find_run, has_batches, read_meta

    base = load_settings(find_root(Path.cwd()), {"results": args.results})
    folder = find_run(args.run, base.results_dir)
    if folder.is_file() or not has_batches(folder):
        raise ConfigError(f"run {args.run!r} has no batches: it did not run in batch mode", folder)
    meta = read_meta(folder)
    settings = load_settings(find_root(Path.cwd()), {**meta.overrides, "results": args.results})
    live = Live(settings, LiveStats(), CircuitBreaker(settings.breaker_window, 1.0))
    ledger = BatchLedger(folder, meta.run_id)
    batch = Batch(settings, live, ledger, run_id=meta.run_id)
    try:
        batch.preflight()  # another key or endpoint: say so, not 404 per batch
        rows = []
        for record in ledger.records:
            rows.append(await _one(batch, record, cancel=args.action == "cancel"))
        ledger.save()
    finally:
        await live.aclose()
    print(f"run {meta.run_id}: {len(ledger.records)} batch(es)")
    for row in rows:
        print(redact(row))
    still = [r for r in ledger.records if r.open and r.batch_id]
    if args.action == "cancel":
        print(
            f"cancelled what was running; `evalkit run --resume {meta.run_id}` submits the "
            "unanswered requests again"
        )
    elif still:
        print(
            f"{len(still)} batch(es) still running: `evalkit run --resume {meta.run_id}` waits for them"
        )
    return 0


async def _one(batch: Any, record: BatchRecord, *, cancel: bool) -> str:
    import openai

    where = f"{record.model} {record.endpoint}, round {record.round}, {len(record.keys):,} requests"
    sdk = batch.live.client_for(record.model).client
    if record.batch_id is None and record.status != "not submitted":
        found = await batch.find_submission(
            sdk, record.submission
        )  # created, its id never written?
        if found is not None:
            record.batch_id = found.id
    if record.batch_id is None:
        return f"  {record.submission}: never created on the server ({where})"
    try:
        if cancel and record.open:
            found = await sdk.batches.cancel(record.batch_id)
        else:
            found = await sdk.batches.retrieve(record.batch_id)
    except openai.APIStatusError as exc:
        return f"  {record.batch_id}: the API answered {exc.status_code}: {exc.message}"
    except openai.APIConnectionError as exc:
        return f"  {record.batch_id}: could not reach {record.base_url}: {exc}"
    record.status = found.status
    counts = found.request_counts
    done = (
        f"{counts.completed:,} answered, {counts.failed:,} failed of {counts.total:,}"
        if counts
        else ""
    )
    return f"  {found.id}: {found.status}; {done} ({where})"


# -- evalkit run ------------------------------------------------------------------------


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


def interrupted_note(session: Session) -> str | None:
    batch = session.engine.batch
    if batch is None or not batch.open_batches:
        return None
    run_id = session.meta.run_id
    count = len(batch.open_batches)
    return (
        f"{count} batch{'es' if count != 1 else ''} keep running on the server; every finished "
        f"answer is kept. `evalkit batch status {run_id}` shows them, `evalkit batch cancel "
        f"{run_id}` stops them"
    )


def summary_note(session: Session) -> str | None:
    """What the batches did, under the closing table (its API line counts live calls)."""
    batch = session.engine.batch
    if batch is None or not batch.ledger.records:
        return None
    records = [r for r in batch.ledger.records if r.status != "not submitted"]
    lines = sum(len(r.keys) for r in records)
    p = batch.progress
    note = (
        f"batches: {len(records)} ({lines:,} lines; {p.retried:,} re-sent in follow-up "
        f"batches, {p.live:,} answered live, {p.failed:,} failed for good); batch answers are "
        "priced at the batch rate"
    )
    if p.cancelled:
        note += (
            f"\n{p.cancelled:,} request(s) not run: their batch was cancelled; "
            f"`evalkit run --resume {session.meta.run_id}` submits them again"
        )
    return note


def cost_cap_note(session: Session) -> str | None:
    guard = session.engine.guard
    if guard is None or not guard.tripped:
        return None
    run_id = session.meta.run_id
    spent = guard.total_spent
    higher = max(guard.cap * 2, spent + guard.cap)
    return (
        f"cost cap reached: ${spent:.4f} spent of the ${guard.cap:g} cap (--max-cost); stopped "
        f"sending before it could be crossed, finished what was in flight and kept every "
        f"result.\nresume with a higher cap: evalkit run --resume {run_id} --max-cost {higher:g}"
    )


def print_note(text: str | None) -> None:
    if text:
        print(redact(text), file=sys.stderr)
