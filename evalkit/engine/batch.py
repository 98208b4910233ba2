"""The Batch API as an answerer: half the price, its own rate budget, answers in rounds.

``answer`` does not send anything: it queues the request under its server, model and
endpoint and waits. When the run has gone quiet (no case queued anything for ``quiet_s``:
every case in flight is waiting on the batch), each group is flushed as one or more batches
(at most ``batch_max_requests`` lines and ``batch_max_bytes`` a file): the lines are written
as JSONL with ``custom_id`` = the request hash, uploaded with ``files.create(purpose="batch")``
and submitted with ``batches.create``. The batch is written to the run folder's ledger
(engine/batchstate.py) before the call that creates it and again with its id, so a run that
is interrupted while waiting re-attaches to the same batches instead of submitting again.

Each batch is polled with backoff; its ``request_counts`` feed :class:`BatchProgress`. At
the end its output file is read line by line and each answer handed to the case waiting on
it at once (the Recorder around this answerer records it, ``source: batch``); lines of the
error file (5xx, expired) go into a follow-up batch (at most ``batch_rounds``), or live
(``batch_fallback = "live"``), or fail. A batch that fails validation fails the lines the API
named, with the case each came from, and re-queues the others.

Because the next turn of a multi-turn case (or a judge's call on the answer) is only asked
once the answer came back, it goes into the next round: one turn per round.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import openai

from ..config import Settings
from ..errors import BatchCancelled, BatchFailed, CaseError, CircuitOpen, ConfigError
from ..io.redaction import redact
from ..project.recordings import Owner
from ..wire.request import Endpoint, Request
from ..wire.response import Response
from .answerers import Answered, Answerer
from .batchlines import URLS, read_result, split_lines
from .batchstate import TERMINAL, BatchLedger, BatchRecord, key_id, new_submission_id, public_url

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from .live import Live, LiveClient

TESTING_SERVER_HEADER = "x-evalkit-testing-server"  # as engine/live.py reads it


@dataclass(frozen=True)
class Group:
    """Requests that may share a batch: one server, one model, one endpoint."""

    server: str | None
    model: str
    endpoint: Endpoint


@dataclass
class BatchView:
    """What the progress display shows of one batch."""

    batch_id: str
    model: str
    endpoint: str
    round: int
    status: str
    total: int
    completed: int = 0
    failed: int = 0


@dataclass
class BatchProgress:
    """Batches of this run and their request counts, for the display; ``on_change`` and
    ``on_event`` (plain messages: submitted, validation errors, follow-ups) are set by it."""

    batches: dict[str, BatchView] = field(default_factory=dict)
    on_change: Callable[[BatchProgress], None] = lambda progress: None
    on_event: Callable[[str], None] = lambda text: None
    retried: int = 0  # requests re-sent in a follow-up batch
    live: int = 0  # requests answered live after their batch failed them
    failed: int = 0  # requests that failed for good
    cancelled: int = 0  # requests whose batch was cancelled while this run waited

    @property
    def total(self) -> int:
        return sum(b.total for b in self.batches.values())

    @property
    def done(self) -> int:
        return sum(b.completed + b.failed for b in self.batches.values())

    @property
    def waiting(self) -> int:
        return sum(1 for b in self.batches.values() if b.status not in TERMINAL)

    def update(self, view: BatchView) -> None:
        self.batches[view.batch_id] = view
        self.on_change(self)

    def event(self, text: str) -> None:
        self.on_event(redact(text))


def _as_case_error(exc: Exception) -> Exception:
    """What a waiting case is told: our errors as they are (a ConfigError stops the run,
    exit 2), anything else as a BatchFailed with its (redacted) text."""
    if isinstance(exc, (CaseError, ConfigError)):
        return exc
    return BatchFailed(redact(f"batch mode: {type(exc).__name__}: {exc}"))


class Batch(Answerer):
    """Answers through the Batch API (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        live: Live,
        ledger: BatchLedger | None = None,
        *,
        run_id: str = "",
        quiet_s: float = 0.3,
    ):
        self.settings = settings
        self.live = live
        self.ledger = ledger or BatchLedger()
        self.run_id = run_id
        self.quiet_s = quiet_s
        self.progress = BatchProgress()
        self.futures: dict[str, asyncio.Future[Response]] = {}
        self.requests: dict[str, Request] = {}
        self.owners: dict[str, set[str]] = {}  # request key → the cases asking (suite::case)
        self.queue: dict[Group, dict[str, Request]] = {}
        self.failed_keys: dict[str, tuple[str, bool, bool]] = {}  # failed, nobody asking yet
        self.collected: set[str] = set()  # submissions whose results this process has read
        self.cancelled_before: set[str] = set()  # cancelled before this process started
        self.pollers: dict[str, asyncio.Task[None]] = {}
        self.tasks: set[asyncio.Task[Any]] = set()
        self._flusher: asyncio.Task[None] | None = None
        self._last_queued = 0.0
        self._queued = 0
        self._live_slots: asyncio.Semaphore | None = None
        self._marker: str | None = None  # the testing server's honest name, when it answers
        self.rng = random.Random()

    # -- the run folder -------------------------------------------------------------

    def attach(self, ledger: BatchLedger, run_id: str) -> None:
        """Keep the batch state in a run folder (and re-attach to what it holds)."""
        self.ledger = ledger
        self.run_id = run_id
        self.cancelled_before = {
            r.submission for r in ledger.records if r.status in ("cancelling", "cancelled")
        }

    def preflight(self) -> None:
        """A run whose batches live under another key or endpoint says so before it starts."""
        for record in self.ledger.records:
            if record.status == "not submitted":
                continue
            client = self.live.client_for(record.model)
            here, key = self._where(client)
            if here != record.base_url or (record.key_id and key != record.key_id):
                what = "endpoint" if here != record.base_url else "API key"
                raise ConfigError(
                    f"this run's batches belong to another {what}: batch "
                    f"{record.batch_id or record.submission} ({record.model}) was submitted to "
                    f"{record.base_url} with key {record.key_id}, and this run now points at "
                    f"{here} with key {key}. Set the key and base URL the run started with "
                    "(OPENAI_API_KEY / OPENAI_BASE_URL, or the server's api_key_env) to resume "
                    "it, or start a new run",
                    self.ledger.path,
                )

    @staticmethod
    def _where(client: LiveClient) -> tuple[str, str]:
        sdk = client.client
        return public_url(str(sdk.base_url)), key_id(sdk.api_key)

    # -- answering ------------------------------------------------------------------

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        key = request.key
        self.owners.setdefault(key, set()).add(f"{owner.suite}::{owner.case}")
        future = self.futures.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.futures[key] = future
            self.requests[key] = request
            self._route(key)
        return await asyncio.shield(future)

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        async def one(request: Request) -> Answered:
            try:
                return await self.answer(owner, request, purpose)
            except CircuitOpen:
                raise
            except CaseError as exc:
                return exc

        return list(await asyncio.gather(*(one(r) for r in requests)))

    def _route(self, key: str) -> None:
        """A request asked for the first time in this process: its earlier failure, the
        batch that already carries it (a resumed run), or the queue."""
        if key in self.failed_keys:
            message, retryable, free = self.failed_keys.pop(key)
            self._after_failure(key, message, retryable, free)
            return
        record = self.ledger.latest(key)
        if (
            record is not None
            and record.submission not in self.collected
            and record.status != "not submitted"
        ):
            self._watch(record)
            return
        self._enqueue(key)

    def _enqueue(self, key: str) -> None:
        request = self.requests[key]
        name, _ = self.settings.server_for(request.model)
        group = Group(name, request.model, request.endpoint)
        self.queue.setdefault(group, {})[key] = request
        self._last_queued = time.monotonic()
        self._queued += 1
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_when_quiet())

    def _resolve(self, key: str, response: Response) -> None:
        future = self.futures.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self.futures[key] = future
        if not future.done():
            future.set_result(response)

    def _fail(self, key: str, error: BaseException) -> None:
        future = self.futures.get(key)
        if future is not None and not future.done():
            future.set_exception(error)
            future.exception()  # retrieved: a case that was cancelled meanwhile warns nothing

    # -- flushing and submitting -----------------------------------------------------

    async def _flush_when_quiet(self) -> None:
        """Flush once nothing was queued for ``quiet_s`` and the other tasks, given a few
        turns of the loop, queue nothing more: every case in flight is waiting."""
        while any(self.queue.values()):
            await asyncio.sleep(self.quiet_s)
            if time.monotonic() - self._last_queued < self.quiet_s:
                continue
            seen = self._queued
            for _ in range(5):
                await asyncio.sleep(0)
            if self._queued != seen:
                continue
            queued, self.queue = self.queue, {}
            for group, requests in queued.items():
                if not requests:
                    continue
                try:
                    await self._submit_group(group, list(requests.values()))
                except Exception as exc:  # never left waiting on a flusher that died
                    error = _as_case_error(exc)
                    for key in requests:
                        self._fail(key, error)

    async def _submit_group(self, group: Group, requests: list[Request]) -> None:
        try:
            chunks = split_lines(
                requests, self.settings.batch_max_requests, self.settings.batch_max_bytes
            )
        except ConfigError as exc:
            for request in requests:
                self._fail(request.key, BatchFailed(exc.message))
            return
        for chunk in chunks:
            await self._submit(group, chunk)

    async def _submit(self, group: Group, chunk: list[tuple[Request, str]]) -> None:
        client = self.live.client_for(group.model)
        base_url, key = self._where(client)
        keys = [request.key for request, _ in chunk]
        record = BatchRecord(
            submission=new_submission_id(),
            server=group.server,
            base_url=base_url,
            key_id=key,
            model=group.model,
            endpoint=group.endpoint,
            round=max(self.ledger.attempts(k) for k in keys),
            keys=keys,
        )
        self.ledger.add(record)  # before any call: a crash from here on re-attaches
        data = "".join(line + "\n" for _, line in chunk).encode()
        sdk = client.client
        try:
            uploaded = await self._retrying(
                lambda: sdk.files.create(
                    file=(f"evalkit-{self.run_id or 'run'}-{record.submission}.jsonl", data),
                    purpose="batch",
                ),
                "upload the batch input file",
            )
            record.input_file_id = uploaded.id
            self.ledger.save()
            batch = await self._create(sdk, record)
        except BatchFailed as exc:
            record.status, record.error = "not submitted", exc.message
            self.ledger.save()
            for k in keys:
                self._fail(k, BatchFailed(exc.message))
            return
        self._seen(record, batch)
        self.progress.event(
            f"submitted batch {batch.id}: {len(keys):,} requests to {group.model} "
            f"({group.endpoint})" + (f", follow-up round {record.round}" if record.round else "")
        )
        self._watch(record)

    async def _create(self, sdk: AsyncOpenAI, record: BatchRecord) -> Any:
        """``batches.create``; a retry first looks for the batch a lost answer may have
        created (by its metadata), so a flaky network never submits a batch twice."""
        assert record.input_file_id is not None
        file_id = record.input_file_id

        async def create() -> Any:
            found = await self.find_submission(sdk, record.submission)
            if found is not None:
                return found
            return await sdk.batches.create(
                input_file_id=file_id,
                endpoint=URLS[record.endpoint],  # type: ignore[arg-type]
                completion_window="24h",
                metadata={
                    "evalkit_run": self.run_id[:512],
                    "evalkit_submission": record.submission,
                    "evalkit_round": str(record.round),
                },
            )

        return await self._retrying(create, "create the batch")

    async def find_submission(self, sdk: AsyncOpenAI, submission: str, pages: int = 10) -> Any:
        """The batch created for ``submission``, if any (the newest batches are listed)."""
        seen = 0
        async for batch in sdk.batches.list(limit=100):
            if (batch.metadata or {}).get("evalkit_submission") == submission:
                return batch
            seen += 1
            if seen >= pages * 100:
                break
        return None

    async def _retrying(self, call: Callable[[], Any], what: str) -> Any:
        """An upload, create or retrieve: retried on 429, 5xx and connection errors; anything
        else (400, 401, 403, 404) is a BatchFailed naming what could not be done."""
        policy = self.live.policy
        message = f"could not {what}"
        for attempt in range(policy.max_retries + 1):
            try:
                return await call()
            except openai.APIStatusError as exc:
                message = redact(
                    f"could not {what}: the API answered {exc.status_code}: {exc.message}"
                )
                if exc.status_code != 429 and exc.status_code < 500:
                    raise BatchFailed(message, exc.status_code) from None
            except (openai.APIConnectionError, openai.APITimeoutError) as exc:
                message = redact(f"could not {what}: {exc}")
            if attempt < policy.max_retries:
                await asyncio.sleep(policy.delay(attempt, None, self.rng))
        raise BatchFailed(message)

    # -- waiting and collecting -----------------------------------------------------

    def _watch(self, record: BatchRecord) -> None:
        if record.submission in self.pollers:
            return
        task = asyncio.get_running_loop().create_task(self._follow(record))
        self.pollers[record.submission] = task

    def _seen(self, record: BatchRecord, batch: Any) -> None:
        """Keep what the API says of a batch (ledger on a status change, progress always)."""
        counts = batch.request_counts
        changed = (record.batch_id, record.status) != (batch.id, batch.status)
        record.batch_id = batch.id
        record.status = batch.status
        record.output_file_id = batch.output_file_id
        record.error_file_id = batch.error_file_id
        if counts is not None:
            record.total, record.completed, record.failed = (
                counts.total,
                counts.completed,
                counts.failed,
            )
        if changed:
            self.ledger.save()
        self.progress.update(
            BatchView(
                batch.id,
                record.model,
                record.endpoint,
                record.round,
                batch.status,
                record.total or len(record.keys),
                record.completed,
                record.failed,
            )
        )

    async def _follow(self, record: BatchRecord) -> None:
        """Poll a batch until it ends, then hand out its answers; any error of our own is
        handed to the cases waiting on it, never lost in a background task."""
        try:
            sdk = self.live.client_for(record.model).client
            if record.batch_id is None:
                found = await self.find_submission(sdk, record.submission)
                if found is None:  # the create call never reached the API: submit again
                    record.status = "not submitted"
                    self.ledger.save()
                    for key in record.keys:
                        if key in self.futures and not self.futures[key].done():
                            self._enqueue(key)
                    return
                self._seen(record, found)
            batch = await self._wait(sdk, record)
            await self._collect(sdk, record, batch)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Handed to every case waiting on it; the batch may still be running, so a later
            # ask watches it again (never submits it again).
            self.pollers.pop(record.submission, None)
            error = _as_case_error(exc)
            for key in record.keys:
                self._fail(key, error)
            return
        self.collected.add(record.submission)

    async def _wait(self, sdk: AsyncOpenAI, record: BatchRecord) -> Any:
        assert record.batch_id is not None
        delay = self.settings.batch_poll_s
        batch_id = record.batch_id
        while True:
            try:
                batch = await self._retrying(
                    lambda: sdk.batches.retrieve(batch_id), f"look at batch {batch_id}"
                )
            except BatchFailed as exc:
                if exc.status in (401, 403, 404):
                    raise ConfigError(
                        f"{exc.message}: this run's batch is not visible with the key and "
                        f"endpoint set now (it was submitted to {record.base_url} with key "
                        f"{record.key_id}); set those back to resume, or start a new run",
                        self.ledger.path,
                    ) from None
                raise
            self._seen(record, batch)
            if batch.status in TERMINAL:
                return batch
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.settings.batch_poll_max_s)

    async def _collect(self, sdk: AsyncOpenAI, record: BatchRecord, batch: Any) -> None:
        if batch.status == "failed":
            self._validation_failed(record, batch)
            return
        answered: set[str] = set()
        keys = set(record.keys)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            async for line in self._lines(sdk, file_id):
                source = f"batch via {self._marker or self._host(sdk)}"
                result = read_result(line, record.endpoint, batch.id, source)
                if result is None or result.key not in keys or result.key in answered:
                    continue
                answered.add(result.key)
                if result.response is not None:
                    self._resolve(result.key, result.response)
                else:
                    self._failed(result.key, result.error, result.retryable)
        for key in record.keys:
            if key in answered:
                continue
            if batch.status == "cancelled" and record.submission in self.cancelled_before:
                self._failed(key, f"batch {batch.id} was cancelled before it ran", True, free=True)
            elif batch.status == "cancelled":
                self.progress.cancelled += 1
                self._fail(key, BatchCancelled(f"batch {batch.id} was cancelled before it ran"))
            else:
                self._failed(key, f"batch {batch.id} ended {batch.status} without it", True)

    @staticmethod
    def _host(sdk: AsyncOpenAI) -> str:
        return sdk.base_url.host or str(sdk.base_url)

    async def _lines(self, sdk: AsyncOpenAI, file_id: str) -> AsyncIterator[str]:
        """A result file's lines as they arrive (each answer is handed out as it is read);
        a download cut off midway is fetched again from where it stopped."""
        policy = self.live.policy
        given = 0
        for attempt in range(policy.max_retries + 1):
            try:
                async with sdk.files.with_streaming_response.content(file_id) as response:
                    self._marker = response.headers.get(TESTING_SERVER_HEADER)
                    seen = 0
                    async for line in response.iter_lines():
                        if not line.strip():
                            continue
                        seen += 1
                        if seen > given:
                            given += 1
                            yield line
                return
            except (openai.APIConnectionError, openai.APITimeoutError, openai.InternalServerError):
                if attempt >= policy.max_retries:
                    raise BatchFailed(f"could not download file {file_id} of the batch") from None
                await asyncio.sleep(policy.delay(attempt, None, self.rng))

    def _validation_failed(self, record: BatchRecord, batch: Any) -> None:
        """The API refused the input file: the lines it names fail, with the case each came
        from; the others go into the next round."""
        errors = list(batch.errors.data) if batch.errors and batch.errors.data else []
        by_line: dict[int, str] = {}
        general: list[str] = []
        for error in errors:
            text = f"{error.code}: {error.message}" if error.code else str(error.message)
            if error.line and 1 <= error.line <= len(record.keys):
                by_line.setdefault(error.line, text)
            else:
                general.append(text)
        lines = [f"batch {batch.id} failed validation ({len(errors)} error(s)):"]
        for number, text in sorted(by_line.items()):
            key = record.keys[number - 1]
            cases = ", ".join(sorted(self.owners.get(key, {"(a case not in this run)"})))
            lines.append(f"  line {number} ({cases}): {text}")
        lines += [f"  {text}" for text in general]
        self.progress.event("\n".join(lines))
        for number, key in enumerate(record.keys, 1):
            if number in by_line:
                self._failed(key, f"the Batch API refused it: {by_line[number]}", False)
            elif general:
                self._failed(key, f"the Batch API refused the batch: {general[0]}", False)
            else:
                self._failed(key, f"batch {batch.id} failed validation for other lines", True)

    def _failed(self, key: str, message: str, retryable: bool, *, free: bool = False) -> None:
        """A line the batch did not answer. ``free``: it never ran (its batch was cancelled
        before this process started), so sending it again does not count as a round."""
        future = self.futures.get(key)
        if future is None or future.done():
            self.failed_keys[key] = (message, retryable, free)  # nobody asks (yet)
            return
        self._after_failure(key, message, retryable, free)

    def _after_failure(self, key: str, message: str, retryable: bool, free: bool = False) -> None:
        attempts = self.ledger.attempts(key)
        fallback = self.settings.batch_fallback
        if free:
            self._enqueue(key)
        elif retryable and fallback == "batch" and attempts <= self.settings.batch_rounds:
            self.progress.retried += 1
            self._enqueue(key)
        elif retryable and fallback == "live":
            self.progress.live += 1
            task = asyncio.get_running_loop().create_task(self._answer_live(key))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        else:
            self.progress.failed += 1
            tries = f" (after {attempts} batch{'es' if attempts != 1 else ''})" if retryable else ""
            self._fail(key, BatchFailed(message + tries, transport=retryable))

    async def _answer_live(self, key: str) -> None:
        request = self.requests[key]
        if self._live_slots is None:
            self._live_slots = asyncio.Semaphore(self.settings.concurrency)
        try:
            async with self._live_slots:
                response = await self.live.client_for(request.model).send(request)
        except Exception as exc:
            self._fail(key, _as_case_error(exc))
        else:
            self._resolve(key, response)

    # -- ending -------------------------------------------------------------------------

    @property
    def open_batches(self) -> list[BatchRecord]:
        """Batches still running on the server (an interrupted run leaves them running)."""
        return [r for r in self.ledger.records if r.open and r.batch_id]

    async def aclose(self) -> None:
        """Stop waiting (the batches keep running on the server) and close the clients."""
        tasks = [*self.pollers.values(), *self.tasks]
        if self._flusher is not None:
            tasks.append(self._flusher)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.live.aclose()
