"""What a finished or interrupted run says about itself beyond its verdicts: the circuit
breaker, the batches it left running, what its batches did, the cost cap that stopped it,
helper processes of a shared replay that died.
Each note names the command that goes on from there; the fronts only print them."""

from __future__ import annotations

from .session import Session


def breaker_note(session: Session, not_run: int) -> str | None:
    """The circuit breaker stopped the run: why, and how to finish it."""
    breaker = session.engine.breaker
    if not breaker.opened:
        return None
    return (
        f"circuit breaker open: {breaker.describe()}; stopped sending to save quota, "
        f"{not_run} cases not run.\nfix the cause, then: evalkit run --resume {session.meta.run_id}"
    )


def helpers_note(session: Session) -> str | None:
    """Helper processes of a shared replay that died: their cases ran in the run's own."""
    failed = session.helpers_failed
    if not failed:
        return None
    codes = ", ".join(str(c) for c in sorted(set(failed)))
    return (
        f"warning: {len(failed)} helper process(es) stopped early (exit {codes}); "
        "the cases they had not finished ran in the run's own process"
    )


def interrupted_note(session: Session) -> str | None:
    """Batches an interrupted run leaves running on the server, and how to reach them."""
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
    """The cap stopped the run: what was spent, and the command that resumes it."""
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
