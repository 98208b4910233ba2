"""One request path: an :class:`Answerer` answers a request, or says why not.

Every request evalkit makes (a case's own, a judge's, an embedding) goes through the run's
answerer; nothing else knows which mode is on. The modes are compositions of a few small
answerers, like httpx's transports:

==========  ==========================================================
replay      ``Replay(store)``: recordings only
record      ``Fallback(Replay(store), Recorder(Memo(live), store))``
rerecord    ``Recorder(Memo(live), store)``
live        ``Memo(live)``
batch       ``Fallback(Replay(store), Recorder(Memo(batch), store))``
==========  ==========================================================

With a cost cap (``max_cost_usd``), what costs money is wrapped in the guard:
``Memo(CostGuard(live))`` (engine/costcap.py).

``live`` is the API (engine/live.py), created only when a mode calls it, so replay never
imports the SDK. :class:`Memo` keeps embeddings for the run, so a text is embedded once per
run whatever case asks. The Batch API is one more answerer (engine/batch.py).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence

from ..config import Mode
from ..errors import CaseError, CircuitOpen, RecordingMissing
from ..project.recordings import Owner, RecordingStore
from ..wire.request import Request
from ..wire.response import Response

NO_RECORDING = "no recording for this request: the prompt, model or params changed"
NEVER_RECORDED = "no recording for this request: this case was never recorded"

Answered = Response | CaseError


class Answerer(ABC):
    @abstractmethod
    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        """The response, or a :class:`CaseError` saying why there is none."""

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        """Each request's response or error, in order (an answerer may batch them).
        CircuitOpen is raised, not returned: the run stops sending."""
        out: list[Answered] = []
        for request in requests:
            try:
                out.append(await self.answer(owner, request, purpose))
            except CircuitOpen:
                raise
            except CaseError as exc:
                out.append(exc)
        return out

    def recorded(self, owner: Owner, request: Request) -> bool:
        """Whether ``request`` would be answered from a recording, nothing sent. A check's
        refusal to send (an ``input_tokens`` budget's estimate) is then moot: the recorded
        usage is judged instead, with the same verdict, since the estimate is a lower bound
        of it, and a replay needs no tokenizer."""
        return False

    def done(self, owner: Owner) -> str | None:
        """The case finished: keep what it recorded; say what went wrong if that failed."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - most answerers hold no connection
        """Release connections."""


class Replay(Answerer):
    def __init__(self, store: RecordingStore):
        self.store = store

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        recorded = self.store.get(owner, request)
        if recorded is None:
            # a case with a recording file whose requests all differ was edited since;
            # one with none was never recorded (the remedy is the same, the cause is not)
            raise RecordingMissing(NO_RECORDING if self.store.entries(owner) else NEVER_RECORDED)
        return recorded

    def recorded(self, owner: Owner, request: Request) -> bool:
        return request.key in self.store.entries(owner)

    def done(self, owner: Owner) -> str | None:
        return self.store.forget(owner)


class Recorder(Answerer):
    """Answers through ``inner`` and records every answer in the owner's file."""

    def __init__(self, inner: Answerer, store: RecordingStore):
        self.inner = inner
        self.store = store

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        response = await self.inner.answer(owner, request, purpose)
        self.store.put(owner, request, response, purpose)
        return response

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        answered = await self.inner.answer_many(owner, requests, purpose)
        for request, result in zip(requests, answered, strict=True):
            if isinstance(result, Response):
                self.store.put(owner, request, result, purpose)
        return answered

    def done(self, owner: Owner) -> str | None:
        return self.store.forget(owner)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Fallback(Answerer):
    """``first`` (the recordings), and ``then`` for what it has no answer to."""

    def __init__(self, first: Answerer, then: Answerer):
        self.first = first
        self.then = then

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        try:
            return await self.first.answer(owner, request, purpose)
        except RecordingMissing:
            return await self.then.answer(owner, request, purpose)

    def recorded(self, owner: Owner, request: Request) -> bool:
        return self.first.recorded(owner, request)

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        answered = await self.first.answer_many(owner, requests, purpose)
        missing = [i for i, a in enumerate(answered) if isinstance(a, RecordingMissing)]
        if missing:
            more = await self.then.answer_many(owner, [requests[i] for i in missing], purpose)
            for index, result in zip(missing, more, strict=True):
                answered[index] = result
        return answered

    def done(self, owner: Owner) -> str | None:
        return self.then.done(owner) or self.first.done(owner)

    async def aclose(self) -> None:
        await self.then.aclose()


class Memo(Answerer):
    """Embeddings answered earlier in the run, or being answered right now for another
    case, are reused (recorded again for the asking case, at no cost); everything else
    passes through. The last ``keep`` embeddings used are kept (an embedding is some 50 kB
    as parsed JSON: a long run must not keep every one it made)."""

    KEEP = 2048

    def __init__(self, inner: Answerer, keep: int = KEEP):
        self.inner = inner
        self.keep = keep
        self.kept: OrderedDict[str, Response] = OrderedDict()
        self.pending: dict[str, asyncio.Future[Answered]] = {}

    @staticmethod
    def _reused(kept: Response) -> Response:
        body = {**kept.body, "usage": {"prompt_tokens": 0, "total_tokens": 0}}
        return Response(
            endpoint=kept.endpoint, body=body, source="reused within the run", reused=True
        )

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        result = (await self.answer_many(owner, [request], purpose))[0]
        if isinstance(result, CaseError):
            raise result
        return result

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        answered: list[Answered | None] = [None] * len(requests)
        waiting: dict[int, asyncio.Future[Answered]] = {}
        todo: list[int] = []
        for index, request in enumerate(requests):
            if request.endpoint != "embeddings":
                todo.append(index)
            elif request.key in self.kept:
                self.kept.move_to_end(request.key)
                answered[index] = self._reused(self.kept[request.key])
            elif request.key in self.pending:
                waiting[index] = self.pending[request.key]
            else:
                self.pending[request.key] = asyncio.get_running_loop().create_future()
                todo.append(index)
        if todo:
            try:
                more = await self.inner.answer_many(owner, [requests[i] for i in todo], purpose)
            except BaseException as exc:
                for index in todo:
                    future = self.pending.pop(requests[index].key, None)
                    if future is not None and not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved: no "never retrieved" warning
                raise
            for index, result in zip(todo, more, strict=True):
                answered[index] = result
                request = requests[index]
                future = self.pending.pop(request.key, None)
                if future is not None:
                    future.set_result(result)
                    if isinstance(result, Response):
                        self.kept[request.key] = result
                        if len(self.kept) > self.keep:
                            self.kept.popitem(last=False)
        for index, future in waiting.items():
            result = await future
            answered[index] = self._reused(result) if isinstance(result, Response) else result
        return [a for a in answered if a is not None]

    async def aclose(self) -> None:
        await self.inner.aclose()


def answerer_for(
    mode: Mode,
    store: RecordingStore,
    live: Callable[[], Answerer],
    *,
    batch: Callable[[], Answerer] | None = None,
    guard: Callable[[Answerer], Answerer] | None = None,
) -> Answerer:
    """The answerer of a mode (the table in this module's docstring). ``batch`` makes the
    Batch API answerer (engine/batch.py); ``guard`` wraps what costs money (the cost cap,
    engine/costcap.py), inside Memo so a reused embedding costs nothing."""

    def paid(make: Callable[[], Answerer]) -> Answerer:
        inner = make()
        return Memo(guard(inner) if guard is not None else inner)

    if mode is Mode.REPLAY:
        return Replay(store)
    if mode is Mode.BATCH:
        if batch is None:
            raise ValueError("batch mode needs a batch answerer")
        return Fallback(Replay(store), Recorder(paid(batch), store))
    if mode is Mode.RECORD:
        return Fallback(Replay(store), Recorder(paid(live), store))
    if mode is Mode.RERECORD:
        return Recorder(paid(live), store)
    return paid(live)
