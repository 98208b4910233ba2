"""The cost cap during a run (``--max-cost USD`` / ``max_cost_usd``): an answerer in front of
what costs money.

Before a request is passed on, the guard checks that what the run has spent so far, plus
the upper bound of everything in flight, plus this request's upper bound (estimate.py: its
input counted with the model's tokenizer and its max output, at the rate it will be charged)
stays within the cap. When it would not, the request is not sent: :class:`CostCapReached`
(a :class:`CircuitOpen`, so the engine stops starting cases and marks the rest "not run:
cost cap"), while what is in flight finishes and is recorded. So the spend never crosses the
cap, whatever the answers turn out to be.

What was spent is appended to ``spend.jsonl`` in the run folder as each answer comes, so a
resumed run (with a higher cap) counts what the interrupted one already spent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings
from ..errors import CostCapReached
from ..io.files import AppendLog
from ..project.recordings import Owner
from ..results.folder import spend_log, spent_in
from ..wire.pricing import Rate, cost_usd
from ..wire.request import Request
from ..wire.response import Response
from .answerers import Answered, Answerer
from .estimate import upper_bound_usd


class CostGuard(Answerer):
    """Passes requests to ``inner`` while the cap holds (see the module docstring)."""

    def __init__(self, inner: Answerer, settings: Settings, rate: Rate):
        if settings.max_cost_usd is None:
            raise ValueError("CostGuard needs max_cost_usd")
        self.inner = inner
        self.settings = settings
        self.cap: float = settings.max_cost_usd
        self.rate = rate  # the rate bounds are counted at (batch mode: the batch rate)
        self.spent_before = 0.0  # by earlier sessions of this run
        self.spent = 0.0  # by this one
        self.in_flight = 0.0  # upper bounds of what was sent and not answered yet
        self.tripped = False
        self.refused = 0
        self._log: AppendLog | None = None

    @property
    def total_spent(self) -> float:
        return self.spent_before + self.spent

    def attach(self, folder: Path) -> None:
        """Count and keep the spend in the run folder."""
        self.spent_before = spent_in(folder)
        self._log = spend_log(folder)

    def _admit(self, requests: Sequence[Request]) -> float:
        bound = sum(upper_bound_usd(r, self.settings, self.rate) for r in requests)
        if self.tripped or self.total_spent + self.in_flight + bound > self.cap:
            self.tripped = True
            self.refused += len(requests)
            raise CostCapReached(
                f"not sent: it could cost up to ${bound:.4f}, and with ${self.total_spent:.4f} "
                f"spent and ${self.in_flight:.4f} in flight the run would cross its "
                f"${self.cap:g} cost cap"
            )
        self.in_flight += bound
        return bound

    def _spend(self, request: Request, response: Response) -> None:
        if response.replayed or response.reused:
            return
        cost = cost_usd(
            request.model,
            response.input_tokens,
            response.cached_tokens,
            response.output_tokens,
            self.settings.prices,
            response.rate,
        )
        if cost is None:  # admitted only with a known price; the answering model may differ
            cost = upper_bound_usd(request, self.settings, "standard")
        self.spent += cost
        if self._log is not None:
            self._log.write(json.dumps({"key": request.key, "usd": cost, "rate": response.rate}))

    async def answer(self, owner: Owner, request: Request, purpose: str | None = None) -> Response:
        bound = self._admit([request])
        try:
            response = await self.inner.answer(owner, request, purpose)
        finally:
            self.in_flight -= bound
        self._spend(request, response)
        return response

    async def answer_many(
        self, owner: Owner, requests: Sequence[Request], purpose: str | None = None
    ) -> list[Answered]:
        if not requests:
            return []
        bound = self._admit(requests)
        try:
            answered = await self.inner.answer_many(owner, requests, purpose)
        finally:
            self.in_flight -= bound
        for request, result in zip(requests, answered, strict=True):
            if isinstance(result, Response):
                self._spend(request, result)
        return answered

    def done(self, owner: Owner) -> str | None:
        return self.inner.done(owner)

    async def aclose(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        await self.inner.aclose()
