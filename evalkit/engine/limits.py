"""Pacing and resilience for live runs: the rate limiter, the retry policy, the breaker.

One :class:`RateLimiter` is shared by every task of a run. It paces requests and tokens per
minute as continuously refilling buckets (OpenAI's: the whole allowance at once, then a
steady refill), from ``rpm``/``tpm`` when set and otherwise from the limits the API
announces in its ``x-ratelimit-*`` headers, each model on its own. Every answer's
``remaining`` and ``reset`` tell where the server's bucket stands, so a run spends the full
allowance and then exactly the refill instead of leaving capacity unused; a 429 pauses every
task of that model, not only the one that got it.
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
    """A continuously refilling token bucket: ``limit`` at most, refilled at ``rate`` a second
    (``limit / 60`` unless set). This is how OpenAI's per-minute limits behave: the whole
    allowance is there at once, and each unit comes back ``60 / limit`` seconds after it was
    used, so ``x-ratelimit-reset-*`` (time until full) is ``(limit - level) / rate``."""

    limit: float | None = None
    level: float = 0.0
    updated: float = 0.0
    rate: float | None = None

    @property
    def per_second(self) -> float:
        if self.rate is not None:
            return self.rate
        return self.limit / 60.0 if self.limit else 0.0

    def refill(self, now: float) -> None:
        if self.limit is None:
            return
        self.level = min(self.limit, self.level + (now - self.updated) * self.per_second)
        self.updated = now

    def available(self, now: float) -> float:
        """What can be taken now."""
        self.refill(now)
        return self.level

    def wait(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` can be taken (0 when it can be now)."""
        if self.limit is None:
            return 0.0
        amount = min(amount, self.limit)  # a request larger than the limit waits for a full bucket
        missing = amount - self.available(now)
        return 0.0 if missing <= 0 else missing / self.per_second

    def take(self, amount: float) -> None:
        if self.limit is not None:
            self.level -= min(amount, self.limit)

    def set_limit(self, limit: float, now: float) -> None:
        if self.limit is None:
            self.level, self.updated = limit, now
        else:
            self.refill(now)
        self.limit = limit


#: A request reaches the server's limiter a little after we send it (queueing here, the
#: network); its ``remaining`` is read as of this long after sending. Reading it too early
#: would credit refill the server had not given yet and send each request a hair before its
#: budget is there (a 429 for a few tokens); too late only keeps this much refill in reserve.
ADMISSION_LAG_S = 0.05
#: Answers whose difference from our own account is kept, per budget: enough that requests
#: reordered in flight (their noise) do not move the median, few enough to follow a change.
WINDOW = 16
#: How long a stretch of answers the drift of those differences is measured over (another
#: client's share of the refill): long enough for reordering noise to average out.
TREND_SPAN_S = 3.0
#: How much of the share another client of the key is seen to use is kept in hand for it.
OTHERS_RESERVE_S = 0.25
#: ``(limit - remaining) / reset`` gives the refill rate only when the deficit is large enough
#: for ``remaining``'s rounding down not to matter (a 1% error at most; ``reset`` is in ms).
PRECISE_DEFICIT = 100.0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class Budget(Bucket):
    """The client's view of one of the server's buckets (requests or tokens).

    ``level`` is our own account: the level the server announced, less everything we sent
    since, refilled at the server's rate (less what other clients of the key are seen to
    use). It is exact for a lone client whose requests reach the server in the order they
    were sent. Each answer's ``remaining`` is compared with it: the difference is what the
    server has less than we think. Requests sent together reach the server in any order, so
    one answer's difference is noise of either sign; the median of the last few is the
    ``offset`` we trust. (Taking the lowest level any answer implied, as evalkit once did,
    believes the noise's worst case and leaves a tenth of the allowance unused.) A
    difference that keeps growing is another client on the same key: its rate is learned
    and taken out of our refill, so we make room for it instead of meeting it in 429s.
    """

    configured: bool = False
    #: the server's capacity and refill rate as its headers say (the pacing limit and rate
    #: are ours: lower when configured, less ``others_rate`` when learned)
    server_limit: float | None = None
    server_rate: float | None = None
    measured_rate: float | None = None
    others_rate: float = 0.0
    offset: float = 0.0
    samples: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    trend: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=1024))
    last_sample: tuple[int, float] | None = None  # (ticket position, difference) of the last
    known: bool = False  # our account starts from the first remaining seen (not configured)
    known_from: int = -1  # the position of the answer it started from

    def __post_init__(self) -> None:
        self.known = self.known or self.configured

    def available(self, now: float) -> float:
        self.refill(now)
        # Others' requests come when they come, not as the smooth rate we allow for: keep
        # a little of their share in hand, or every one of theirs that comes early is a 429
        # of ours.
        reserve = max(self.others_rate, 0.0) * OTHERS_RESERVE_S
        return min(self.level - self.offset - reserve, self.limit or 0.0)

    def learn(self, limit: float | None, remaining: float | None, reset: float | None) -> None:
        """The server's capacity and refill rate from its headers: ``reset`` is the time until
        its bucket is full again, so ``(limit - remaining) / reset`` is its refill rate. It is
        ``limit / 60`` for a per-minute limit; a clearly lower one means the headers describe
        a slower bucket (a per-day token limit), which is then the one that binds."""
        if limit:
            self.server_limit = limit
        if not self.server_limit:
            return
        nominal = self.server_limit / 60.0
        if remaining is not None and reset and reset > 0:
            deficit = self.server_limit - remaining
            if deficit >= PRECISE_DEFICIT and reset >= 0.05:
                measured = deficit / reset
                self.measured_rate = measured if measured < 0.9 * nominal else None
        rate = self.measured_rate or nominal
        if rate != self.server_rate:
            self.server_rate = rate
            self.samples.clear()  # differences measured at another rate no longer compare
            self._pace()

    def admitted_level(self, remaining: float, reset: float | None) -> float:
        """The server's level just after it admitted the request: ``remaining`` is rounded
        down; ``reset`` (time until full) has the fraction when it agrees."""
        if reset is not None and self.server_limit and self.server_rate:
            exact = self.server_limit - reset * self.server_rate
            if remaining <= exact < remaining + 1:
                return exact
        return remaining

    def compare(self, estimate: float, now: float, position: int) -> None:
        """One answer's estimate of the server's level now, against our own account."""
        self.refill(now)
        if not self.known:  # the first answer (the probe's): start from what the server says
            self.known, self.known_from = True, position
            self.level = min(estimate, self.limit or estimate)
            return
        sample = self.level - estimate
        self.samples.append(sample)
        self.trend.append((now, sample))
        self.last_sample = (position, sample)
        self._settle()
        self._follow_trend()

    def refund(self, amount: float, position: int) -> None:
        """A 429'd request was not counted by the server: give it back to our account."""
        if self.limit is None or position == self.known_from:
            return  # (the answer our account started from did not count it either)
        self.level += min(amount, self.limit)
        if self.last_sample is None or self.last_sample[0] != position:
            return
        # that answer's difference counted the request as used: correct it where it is kept
        before, after = self.last_sample[1], self.last_sample[1] + amount
        self.last_sample = (position, after)
        if self.samples and self.samples[-1] == before:
            self.samples[-1] = after
        if self.trend and self.trend[-1][1] == before:
            self.trend[-1] = (self.trend[-1][0], after)

    def trust_last(self, position: int) -> bool:
        """A 429 proves we were ahead of the server: believe that answer's difference alone."""
        if self.last_sample is None or self.last_sample[0] != position:
            return False
        self.samples.clear()
        self.samples.append(self.last_sample[1])
        self._settle()
        return True

    def _settle(self) -> None:
        """The offset is the differences' median, less their spread: while many requests are
        in flight (the opening burst) answers disagree by dozens of requests, and our own
        account, exact for a lone client, is the better guess; once they agree, they win.
        Answers only ever hold us back: one saying the server has more than we counted is
        the same reordering noise (a lone client's account is exact), and believing it is
        how a run overshoots into a wave of 429s."""
        ordered = sorted(self.samples)
        spread = ordered[(3 * len(ordered)) // 4] - ordered[len(ordered) // 4]
        self.offset = max(_median(ordered) - spread / 2, 0.0)

    def _follow_trend(self) -> None:
        """Differences growing at ``d`` a second mean others use ``d`` a second more than
        we allowed for: the medians of the older and the newer half of a few seconds of
        answers give ``d`` without the reordering noise."""
        if self.configured or not self.server_rate or len(self.trend) < 2 * WINDOW:
            return
        first, last = self.trend[0][0], self.trend[-1][0]
        if last - first < TREND_SPAN_S:
            return
        # halves in time, not in count: answers come in bursts
        old = [p for p in self.trend if p[0] < (first + last) / 2]
        new = [p for p in self.trend if p[0] >= (first + last) / 2]
        if min(len(old), len(new)) < WINDOW // 2:
            return
        elapsed = _median([t for t, _ in new]) - _median([t for t, _ in old])
        drift = (_median([v for _, v in new]) - _median([v for _, v in old])) / elapsed
        self.others_rate = min(max(self.others_rate + drift, 0.0), 0.9 * self.server_rate)
        self._pace()

    def _pace(self) -> None:
        self.trend.clear()  # differences grow at another speed from now on
        if not self.configured and self.server_rate:
            self.rate = self.server_rate - self.others_rate


@dataclass(frozen=True)
class Ticket:
    """Where a request stood in its scope's sending order (totals sent up to and including
    it), to read its rate-limit headers against, and what it weighed in tokens."""

    requests: int
    tokens: float
    sent_at: float
    probe: bool = False
    weight: float = 0.0
    scope: str = ""


class _Pacer:
    """The budgets of one scope: one model's limits on one account."""

    def __init__(self, rpm: int | None, tpm: int | None, clock: Callable[[], float]):
        self.clock = clock
        now = clock()
        self.requests = Budget(configured=rpm is not None)
        self.tokens = Budget(configured=tpm is not None)
        if rpm:
            self.requests.set_limit(rpm, now)
        if tpm:
            self.tokens.set_limit(tpm, now)
        self.paused_until = 0.0
        self.sent_requests = 0
        self.sent_tokens = 0.0
        self.refunds: deque[tuple[int, float]] = deque(maxlen=256)  # (position, tokens)
        # Slow start: until the first answer tells us the limits, one request at a time,
        # so a run does not open with a wave of 429s against an account it knows nothing of.
        self.probing = not (rpm and tpm)
        self.probe_out = False
        self.probed = asyncio.Event()

    def delay(self, tokens: float) -> float:
        now = self.clock()
        return max(
            self.paused_until - now, self.requests.wait(1, now), self.tokens.wait(tokens, now)
        )

    def try_acquire(self, tokens: float, scope: str) -> Ticket | None:
        if (self.probing and self.probe_out) or self.delay(tokens) > 0:
            return None
        probe = self.probing
        self.probe_out = self.probe_out or probe
        self.requests.take(1)
        self.tokens.take(tokens)
        self.sent_requests += 1
        self.sent_tokens += tokens
        return Ticket(self.sent_requests, self.sent_tokens, self.clock(), probe, tokens, scope)

    def done(self, ticket: Ticket) -> None:
        if ticket.probe:
            self.probing = False
            self.probed.set()

    def observe(self, headers: Mapping[str, str], ticket: Ticket | None) -> None:
        now = self.clock()
        requests_after, tokens_after = 0.0, 0.0
        if ticket is not None:
            refunded = [w for p, w in self.refunds if p > ticket.requests]
            requests_after = self.sent_requests - ticket.requests - len(refunded)
            tokens_after = self.sent_tokens - ticket.tokens - sum(refunded)
        for budget, kind, sent_after in (
            (self.requests, "requests", requests_after),
            (self.tokens, "tokens", tokens_after),
        ):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            reset_text = headers.get(f"x-ratelimit-reset-{kind}")
            reset = parse_duration(reset_text) if reset_text else None
            if limit and not budget.configured and limit != budget.limit:
                budget.set_limit(limit, now)
            budget.learn(limit, remaining, reset)
            if remaining is None or budget.limit is None or not budget.server_limit:
                continue
            elapsed = max(now - ticket.sent_at - ADMISSION_LAG_S, 0.0) if ticket else 0.0
            level = budget.admitted_level(remaining, reset)
            server_now = min(budget.server_limit, level + elapsed * (budget.server_rate or 0.0))
            budget.compare(server_now - sent_after, now, ticket.requests if ticket else 0)

    def penalize(self, seconds: float, ticket: Ticket | None) -> None:
        now = self.clock()
        self.paused_until = max(self.paused_until, now + seconds)
        if ticket is not None:
            self.refunds.append((ticket.requests, ticket.weight))
        for budget, weight in ((self.requests, 1.0), (self.tokens, ticket.weight if ticket else 0)):
            if budget.limit is None:
                continue
            budget.refill(now)
            if ticket is not None:
                budget.refund(weight, ticket.requests)
                if budget.trust_last(ticket.requests):
                    continue
            budget.level = min(budget.level, budget.offset)


class RateLimiter:
    """Paces requests and tokens per minute for every task of a run.

    Limits come from ``rpm``/``tpm`` when set, else from the ``x-ratelimit-limit-*`` headers;
    every answer's ``remaining`` and ``reset`` place the server's buckets (see
    :class:`Budget`), so a run uses the allowance the server really has: the whole of it at
    once when it is full, then exactly the refill. A 429 pauses the scope's tasks for the
    retry-after the server gave, its headers are believed, and the refused request is given
    back to the budgets (the server did not count it; its retry will be).

    OpenAI limits each model separately, so each ``scope`` (the model a request is for) has
    budgets of its own, learned from its own answers, with ``rpm``/``tpm`` applying to each;
    models that share one limit see each other as another client of the key, which the
    budgets allow for. Calls without a scope share one.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.rpm, self.tpm, self.clock = rpm, tpm, clock
        self._pacers: dict[str, _Pacer] = {}
        self.pacer("")

    def pacer(self, scope: str = "") -> _Pacer:
        pacer = self._pacers.get(scope)
        if pacer is None:
            pacer = self._pacers[scope] = _Pacer(self.rpm, self.tpm, self.clock)
        return pacer

    @property
    def requests(self) -> Budget:
        """The requests budget of calls without a scope."""
        return self.pacer("").requests

    @property
    def tokens(self) -> Budget:
        """The tokens budget of calls without a scope."""
        return self.pacer("").tokens

    def delay(self, tokens: float, scope: str = "") -> float:
        """Seconds until one request of ``tokens`` fits (0: it does now)."""
        return self.pacer(scope).delay(tokens)

    async def acquire(self, tokens: float | Callable[[], float], scope: str = "") -> Ticket:
        """Wait until one request of ``tokens`` fits both budgets, then take it.

        ``tokens`` may be a function that weighs the request: it is called only when the
        scope has a tokens budget once the probe has answered (a limit set, or learned from
        the headers). A request's weight counts for nothing without one, and counting the
        tokens of every request (the tokenizer's load included) is a run's largest cost
        of its own against a server that limits requests alone, or nothing."""
        pacer = self.pacer(scope)
        weight = None if callable(tokens) else tokens
        while True:
            while pacer.probing and pacer.probe_out:
                await pacer.probed.wait()
            if weight is None:
                assert callable(tokens)
                weight = float(tokens()) if pacer.tokens.limit is not None else 0.0
            ticket = pacer.try_acquire(weight, scope)
            if ticket is not None:
                return ticket
            await asyncio.sleep(pacer.delay(weight))

    def try_acquire(self, tokens: float, scope: str = "") -> Ticket | None:
        """Take one request of ``tokens`` if it fits now (and no probe is out), else None."""
        return self.pacer(scope).try_acquire(tokens, scope)

    def done(self, ticket: Ticket) -> None:
        """A request finished (answered or not): the probe's end opens the gate."""
        self.pacer(ticket.scope).done(ticket)

    def observe(self, headers: Mapping[str, str], ticket: Ticket | None = None) -> None:
        """Learn the limits and the server's levels from ``x-ratelimit-*`` headers.

        ``remaining`` was the level when the server admitted this request (about when we
        sent it): since then the bucket has refilled, and what we sent after it (and the
        server did not refuse) has used some. Without a ticket, the headers are taken as of
        now, with nothing in flight, for calls without a scope."""
        self.pacer(ticket.scope if ticket else "").observe(headers, ticket)

    def penalize(self, seconds: float, ticket: Ticket | None = None) -> None:
        """A 429: pause the scope's tasks for ``seconds``. With the ticket of the refused
        request (whose headers were just observed), that request is given back and the
        budgets believe its answer; without one, the unscoped budgets are emptied."""
        self.pacer(ticket.scope if ticket else "").penalize(seconds, ticket)


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
