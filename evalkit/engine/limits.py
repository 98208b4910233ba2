"""Pacing and resilience for live runs: the rate limiter, the retry policy, the breaker.

One :class:`RateLimiter` is shared by every task of a run. It paces requests and tokens per
minute as continuously refilling buckets, from ``rpm``/``tpm`` when set and otherwise from
the limits the API announces in its ``x-ratelimit-*`` headers, so a run settles at the limit
instead of oscillating on 429s; a 429 pauses every task, not only the one that got it.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float | None:
    """``"1s"``, ``"6m0s"``, ``"120ms"``, ``"1h2m3.5s"`` → seconds; None if unreadable."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        try:
            return float(text)
        except ValueError:
            return None
    return sum(float(n) * _UNIT[u] for n, u in parts)


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, else ``retry-after``
    (seconds or an HTTP date)."""
    if not headers:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(when - (now if now is not None else time.time()), 0.0)


@dataclass
class Bucket:
    """A per-minute budget that refills continuously (limit / 60 each second)."""

    limit: float | None = None
    level: float = 0.0
    updated: float = 0.0
    configured: bool = False

    def refill(self, now: float) -> None:
        if self.limit is None:
            return
        self.level = min(self.limit, self.level + (now - self.updated) * self.limit / 60.0)
        self.updated = now

    def wait(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` can be taken (0 when it can be now)."""
        if self.limit is None:
            return 0.0
        self.refill(now)
        amount = min(amount, self.limit)  # a request larger than the limit waits for a full bucket
        if self.level >= amount:
            return 0.0
        return (amount - self.level) * 60.0 / self.limit

    def take(self, amount: float) -> None:
        if self.limit is not None:
            self.level -= min(amount, self.limit)

    def set_limit(self, limit: float, now: float) -> None:
        if self.limit is None:
            self.level, self.updated = limit, now
        else:
            self.refill(now)
        self.limit = limit


@dataclass(frozen=True)
class Ticket:
    """Where a request stood in the sending order (totals sent up to and including it),
    to read its rate-limit headers against."""

    requests: int
    tokens: float
    sent_at: float
    probe: bool = False


class RateLimiter:
    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.clock = clock
        now = clock()
        self.requests = Bucket(configured=rpm is not None)
        self.tokens = Bucket(configured=tpm is not None)
        if rpm:
            self.requests.set_limit(rpm, now)
        if tpm:
            self.tokens.set_limit(tpm, now)
        self.paused_until = 0.0
        self.sent_requests = 0
        self.sent_tokens = 0.0
        # Slow start: until the first answer tells us the limits, one request at a time,
        # so a run does not open with a wave of 429s against an account it knows nothing of.
        self.probing = not (rpm and tpm)
        self._probe_out = False
        self._probed = asyncio.Event()

    def delay(self, tokens: float) -> float:
        now = self.clock()
        return max(
            self.paused_until - now, self.requests.wait(1, now), self.tokens.wait(tokens, now)
        )

    async def acquire(self, tokens: float) -> Ticket:
        """Wait until one request of ``tokens`` fits both budgets, then take it."""
        while self.probing and self._probe_out:
            await self._probed.wait()
        while (pause := self.delay(tokens)) > 0:
            await asyncio.sleep(pause)
        probe = self.probing and not self._probe_out
        self._probe_out = self._probe_out or probe
        self.requests.take(1)
        self.tokens.take(tokens)
        self.sent_requests += 1
        self.sent_tokens += tokens
        return Ticket(self.sent_requests, self.sent_tokens, self.clock(), probe)

    def done(self, ticket: Ticket) -> None:
        """A request finished (answered or not): the probe's end opens the gate."""
        if ticket.probe:
            self.probing = False
            self._probed.set()

    def observe(self, headers: Mapping[str, str], ticket: Ticket | None = None) -> None:
        """Learn limits from ``x-ratelimit-*`` headers, and never believe we have more
        headroom than the server says. ``remaining`` was true when the server admitted this
        request: since then it has refilled, and what we sent after it has used some."""
        now = self.clock()
        for bucket, kind, sent_after in (
            (
                self.requests,
                "requests",
                self.sent_requests - (ticket.requests + 1) if ticket else 0,
            ),
            (self.tokens, "tokens", self.sent_tokens - ticket.tokens if ticket else 0),
        ):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            if limit and not bucket.configured and limit != bucket.limit:
                bucket.set_limit(limit, now)
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if remaining is not None and bucket.limit is not None:
                bucket.refill(now)
                refilled = (now - ticket.sent_at) * bucket.limit / 60.0 if ticket else 0.0
                bucket.level = min(bucket.level, remaining + refilled - sent_after)

    def penalize(self, seconds: float) -> None:
        """A 429: pause every task for ``seconds`` and empty the budgets."""
        now = self.clock()
        self.paused_until = max(self.paused_until, now + seconds)
        for bucket in (self.requests, self.tokens):
            if bucket.limit is not None:
                bucket.refill(now)
                bucket.level = min(bucket.level, 0.0)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter; a server's retry-after wins."""

    max_retries: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0
    max_retry_after_s: float = 120.0

    def delay(self, attempt: int, hint: float | None, rng: random.Random) -> float:
        if hint is not None:
            hint = min(hint, self.max_retry_after_s)
            return hint + rng.uniform(0, min(hint, self.base_s) * 0.25)
        return rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS or status >= 500


@dataclass
class CircuitBreaker:
    """Opens when the share of failed requests among the last ``window`` reaches
    ``threshold``: a dead key or endpoint must not burn quota for thousands of cases."""

    window: int = 20
    threshold: float = 0.5
    outcomes: deque[bool] = field(default_factory=deque)
    opened: bool = False
    last_error: str = ""

    def record(self, ok: bool, error: str = "") -> None:
        self.outcomes.append(ok)
        if len(self.outcomes) > self.window:
            self.outcomes.popleft()
        if not ok:
            self.last_error = error
        failures = sum(not o for o in self.outcomes)
        if len(self.outcomes) >= self.window and failures / len(self.outcomes) >= self.threshold:
            self.opened = True

    def describe(self) -> str:
        failures = sum(not o for o in self.outcomes)
        return (
            f"{failures} of the last {len(self.outcomes)} requests failed (last: {self.last_error})"
        )


@dataclass
class LiveStats:
    """Counters of a run's API traffic, read by the progress display while it goes on."""

    started: float = field(default_factory=time.monotonic)
    sent: int = 0
    answered: int = 0
    rate_limited: int = 0
    retries: int = 0
    failed: int = 0
    tokens: int = 0

    def per_second(self) -> float:
        return self.answered / max(time.monotonic() - self.started, 1e-9)

    def tokens_per_minute(self) -> float:
        return self.tokens * 60 / max(time.monotonic() - self.started, 1e-9)
