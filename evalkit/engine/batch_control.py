"""A batch run's batches, looked at or cancelled from outside the run: the library behind
``evalkit batch status|cancel``.

The run folder's ledger (``batches.json``, engine/batchstate.py) says which batches the run
submitted and where; each is asked about on the server it was sent to, through the SDK
clients of :class:`Live` (the run's own settings: servers, keys, timeouts). First the
ledger's key and endpoint are checked against this process's (``Batch.preflight``), so a
run under another key says so instead of a 404 per batch. A batch whose id was never
written (a crash right after ``batches.create``) is looked up by its metadata. What the
API says (its status and request counts) is written back to the ledger, so a resumed run
starts from it. One batch the API cannot answer about does not stop the others: its
``problem`` says why.

Returns typed results; prints nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import openai

from ..config import Settings
from ..errors import ConfigError
from ..io.redaction import redact
from ..results.folder import has_batches
from .batch import Batch
from .batchstate import BatchLedger, BatchRecord
from .limits import CircuitBreaker, LiveStats
from .live import Live


@dataclass(frozen=True)
class RequestCounts:
    """A batch's lines as the API counts them."""

    answered: int
    failed: int
    total: int


@dataclass(frozen=True)
class BatchStatus:
    """One batch of the run, as the API (or, failing that, the ledger) last described it."""

    submission: str  # evalkit's id for it, also in the batch's metadata
    batch_id: str | None  # None: never created on the server
    model: str
    endpoint: str
    round: int  # 0: the first submission; n: the n-th follow-up
    requests: int  # the lines it carries
    base_url: str  # the server it was sent to (no credentials)
    state: str  # the API's status (validating, in_progress, cancelling, completed...)
    counts: RequestCounts | None = None  # when the API gave them
    problem: str | None = None  # why the API could not be asked about it (redacted)
    open: bool = False  # still running on the server after this look

    @property
    def created(self) -> bool:
        return self.batch_id is not None

    @property
    def running(self) -> bool:
        """Running on the server: a resumed run waits for it."""
        return self.open and self.batch_id is not None


@dataclass(frozen=True)
class BatchReport:
    batches: list[BatchStatus]
    cancelled: bool = False  # the batches still running were asked to cancel

    @property
    def running(self) -> list[BatchStatus]:
        return [b for b in self.batches if b.running]


def status(folder: Path, settings: Settings) -> BatchReport:
    """What the API says of each batch of the run in ``folder``."""
    return asyncio.run(control(folder, settings, cancel=False))


def cancel(folder: Path, settings: Settings) -> BatchReport:
    """Cancel each batch of the run in ``folder`` that is still running (a resumed run
    submits its unanswered requests again); the others are looked at as by :func:`status`."""
    return asyncio.run(control(folder, settings, cancel=True))


async def control(folder: Path, settings: Settings, *, cancel: bool) -> BatchReport:
    """:func:`status` or :func:`cancel`, inside a running event loop."""
    if folder.is_file() or not has_batches(folder):
        raise ConfigError("this run has no batches: it did not run in batch mode", folder)
    live = Live(settings, LiveStats(), CircuitBreaker(settings.breaker_window, 1.0))
    ledger = BatchLedger(folder)
    batch = Batch(settings, live, ledger, run_id=ledger.data.run_id)
    try:
        batch.preflight()  # another key or endpoint: say so, not 404 per batch
        found = [await _one(batch, record, cancel=cancel) for record in ledger.records]
        ledger.save()
    finally:
        await live.aclose()
    return BatchReport(found, cancelled=cancel)


async def _one(batch: Batch, record: BatchRecord, *, cancel: bool) -> BatchStatus:
    sdk = batch.live.client_for(record.model).client
    counts: RequestCounts | None = None
    try:
        if record.batch_id is None and record.status != "not submitted":
            # created, its id never written?
            submitted = await batch.find_submission(sdk, record.submission)
            if submitted is not None:
                record.batch_id = submitted.id
        if record.batch_id is not None:
            if cancel and record.open:
                answer = await sdk.batches.cancel(record.batch_id)
            else:
                answer = await sdk.batches.retrieve(record.batch_id)
            record.status = answer.status
            given = answer.request_counts
            if given is not None:
                counts = RequestCounts(given.completed, given.failed, given.total)
    except openai.APIStatusError as exc:
        return _status(record, problem=f"the API answered {exc.status_code}: {exc.message}")
    except openai.APIConnectionError as exc:
        return _status(record, problem=f"could not reach {record.base_url}: {exc}")
    return _status(record, counts)


def _status(
    record: BatchRecord, counts: RequestCounts | None = None, *, problem: str | None = None
) -> BatchStatus:
    return BatchStatus(
        submission=record.submission,
        batch_id=record.batch_id,
        model=record.model,
        endpoint=record.endpoint,
        round=record.round,
        requests=len(record.keys),
        base_url=record.base_url,
        state=record.status,
        counts=counts,
        problem=None if problem is None else redact(problem),
        open=record.open,
    )
