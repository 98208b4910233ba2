"""Pacing, retry and breaker arithmetic, on a fake clock (no sleeping, no timing)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from evalkit.engine.limits import (
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
    Ticket,
    is_retryable_status,
    parse_duration,
    retry_after,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("120ms", 0.12),
        ("1h2m3.5s", 3723.5),
        ("0.5", 0.5),
        ("soon", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def test_retry_after_prefers_ms_then_seconds_then_date() -> None:
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after": "Thu, 01 Jan 2026 00:00:10 GMT"}, now=1767225600.0) == 10.0
    assert retry_after({}) is None and retry_after({"retry-after": "later"}) is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_configured_rpm_paces_after_the_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rpm=60, clock=clock)
    for _ in range(60):
        assert limiter.delay(1) == 0
        limiter.requests.take(1)
    assert limiter.delay(1) == pytest.approx(1.0)  # 60/min refills one a second
    clock.now += 0.5
    assert limiter.delay(1) == pytest.approx(0.5)


def test_tokens_budget_and_oversized_requests() -> None:
    clock = Clock()
    limiter = RateLimiter(tpm=6000, clock=clock)
    limiter.tokens.take(6000)
    assert limiter.delay(600) == pytest.approx(6.0)
    clock.now += 60
    assert limiter.delay(10_000) == 0  # larger than the limit: waits only for a full bucket


def test_limits_are_learned_from_headers_and_remaining_is_believed() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    assert limiter.delay(10**9) == 0  # nothing known yet: only concurrency bounds
    limiter.observe(
        {
            "x-ratelimit-limit-requests": "120",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1m0s",
            "x-ratelimit-limit-tokens": "1000",
            "x-ratelimit-remaining-tokens": "1000",
            "x-ratelimit-reset-tokens": "0s",
        }
    )
    assert limiter.requests.limit == 120 and limiter.tokens.limit == 1000
    assert limiter.delay(1) == pytest.approx(0.5)  # empty: one request every 0.5 s
    configured = RateLimiter(rpm=30, clock=clock)
    configured.observe({"x-ratelimit-limit-requests": "5000"})
    assert configured.requests.limit == 30  # an explicit setting wins


def test_a_request_is_weighed_only_under_a_tokens_budget() -> None:
    """``acquire`` given a function: not called while the scope has no tokens limit (the
    probe, a server limiting requests alone), called once when one is set or learned."""
    weighed: list[str] = []

    def weigh(name: str) -> float:
        weighed.append(name)
        return 250.0

    asyncio.run(_weighed(Clock(), weighed, weigh))


async def _weighed(clock: Clock, weighed: list[str], weigh: Callable[[str], float]) -> None:
    limiter = RateLimiter(rpm=600, clock=clock)
    probe = await limiter.acquire(lambda: weigh("probe"))
    limiter.observe({"x-ratelimit-limit-requests": "600"}, probe)
    limiter.done(probe)
    after = await limiter.acquire(lambda: weigh("after"))
    assert weighed == [] and probe.weight == after.weight == 0.0
    limiter.observe({"x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "1000"})
    learned = await limiter.acquire(lambda: weigh("learned"))
    assert weighed == ["learned"] and learned.weight == 250.0
    assert limiter.tokens.level == pytest.approx(750.0)  # the weight was taken from it
    configured = RateLimiter(tpm=6000, clock=clock)
    ticket = await configured.acquire(lambda: weigh("configured"))
    assert weighed[-1] == "configured" and ticket.weight == 250.0
    configured.done(ticket)  # the probe answered
    assert (await configured.acquire(40.0)).weight == 40.0  # a number is taken as it is


def headers(remaining: float, limit: int = 1200, reset_s: float | None = None) -> dict[str, str]:
    """OpenAI's request headers for a bucket of ``limit`` per minute holding ``remaining``."""
    reset = (limit - remaining) * 60 / limit if reset_s is None else reset_s
    return {
        "x-ratelimit-limit-requests": str(limit),
        "x-ratelimit-remaining-requests": str(int(remaining)),
        "x-ratelimit-reset-requests": f"{reset:.3f}s",
    }


def probed(clock: Clock, limit: int = 1200) -> RateLimiter:
    """A limiter whose probe found a full bucket."""
    limiter = RateLimiter(tpm=10**9, clock=clock)
    ticket = take(limiter)
    limiter.observe(headers(limit - 1, limit), ticket)
    limiter.done(ticket)
    return limiter


def take(limiter: RateLimiter, tokens: float = 10, scope: str = "") -> Ticket:
    ticket = limiter.try_acquire(tokens, scope)
    assert ticket is not None
    return ticket


def test_answers_out_of_order_do_not_lower_the_level() -> None:
    """Ten requests sent together reach the server in the reverse order: each answer's
    remaining, read against its place in our sending order, implies a different level.
    The server has what we counted; the old limiter believed the lowest reading."""
    clock = Clock()
    limiter = probed(clock)
    tickets = [take(limiter) for _ in range(10)]
    server_level = 1199.0
    answers = []
    for ticket in reversed(tickets):  # the last sent is admitted first
        server_level -= 1
        answers.append((ticket, server_level))
    for ticket, remaining in answers:
        limiter.observe(headers(remaining), ticket)
    assert limiter.requests.available(clock.now) == pytest.approx(1189, abs=1)


def test_the_server_saying_less_is_believed_once_answers_agree() -> None:
    """Another client used 100 of the allowance: every answer says so, and we follow."""
    clock = Clock()
    limiter = probed(clock)
    for sent in range(1, 21):
        ticket = take(limiter)
        limiter.observe(headers(1199 - sent - 100), ticket)
    assert limiter.requests.available(clock.now) == pytest.approx(1179 - 100, abs=1)


def test_reset_gives_the_refill_rate_of_a_slower_bucket() -> None:
    """Headers describing a per-day token limit (an answer seen on OpenAI's forum: 4,379 of
    1,500,000 used and full again in 4m12.172s): its refill is 17.4 tokens a second, not
    25,000 as a per-minute reading would have it."""
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.observe(
        {
            "x-ratelimit-limit-tokens": "1500000",
            "x-ratelimit-remaining-tokens": "1495621",
            "x-ratelimit-reset-tokens": "4m12.172s",
        }
    )
    assert limiter.tokens.per_second == pytest.approx(4379 / 252.172)
    limiter.tokens.take(1_495_621)
    assert limiter.delay(174) == pytest.approx(10.0, rel=0.01)


def test_a_per_minute_reset_keeps_the_per_minute_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.observe(headers(600, reset_s=30.004))  # rounding: about limit / 60
    assert limiter.requests.per_second == 20.0


def test_reset_gives_the_fraction_remaining_rounds_away() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.observe(headers(0, reset_s=59.98))  # 0.4 of a request left, at 20 a second
    assert limiter.delay(1) == pytest.approx(0.03)


def test_a_429_with_its_ticket_gives_the_request_back_and_believes_its_headers() -> None:
    clock = Clock()
    limiter = probed(clock)
    tickets = [take(limiter) for _ in range(5)]
    # the server had let others in: only 3 left when the fifth came, so it was refused
    refused = tickets[-1]
    limiter.observe(headers(0.5), refused)
    limiter.penalize(0.025, refused)
    assert limiter.delay(1) == pytest.approx(0.025)  # everyone waits for the retry-after
    clock.now += 0.025
    # the server's 0.5 and half a request of refill: one request fits, the retry
    assert limiter.requests.available(clock.now) == pytest.approx(1.0, abs=0.05)
    retry = take(limiter)
    limiter.observe(headers(0), retry)
    assert limiter.requests.available(clock.now) < 0.5


def test_a_429_without_a_ticket_empties_the_budgets() -> None:
    clock = Clock()
    limiter = probed(clock)
    limiter.penalize(1.0)
    clock.now += 1.0
    assert limiter.requests.available(clock.now) == pytest.approx(20.0)


def test_a_configured_limit_is_lowered_only_by_what_the_server_says() -> None:
    clock = Clock()
    limiter = RateLimiter(rpm=60, tpm=10**9, clock=clock)
    ticket = take(limiter)
    limiter.observe(headers(5000, limit=10_000), ticket)
    assert limiter.requests.available(clock.now) == pytest.approx(59)  # ours, not 5,000
    for _ in range(3):  # someone else nearly emptied it, and the answers agree
        ticket = take(limiter)
        limiter.observe(headers(10, limit=10_000), ticket)
    assert limiter.requests.available(clock.now) == pytest.approx(10, abs=1)


def test_each_model_has_its_own_budgets() -> None:
    """OpenAI limits each model on its own: the judge's small limit must not slow the
    suite's model, nor its 429s pause it."""
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    for scope, limit in (("gpt-4.1-mini", 1200), ("gpt-4.1", 60)):
        ticket = limiter.try_acquire(10, scope)
        assert ticket is not None and ticket.scope == scope
        limiter.observe(headers(0, limit), ticket)  # both empty now
        limiter.done(ticket)
    assert limiter.delay(10, "gpt-4.1-mini") == pytest.approx(0.05)
    assert limiter.delay(10, "gpt-4.1") == pytest.approx(1.0)
    clock.now += 1.0
    refused = take(limiter, scope="gpt-4.1")  # another client got there first
    limiter.observe(headers(0, 60), refused)
    limiter.penalize(5.0, refused)
    assert limiter.delay(10, "gpt-4.1") == pytest.approx(5.0)
    assert limiter.delay(10, "gpt-4.1-mini") == 0


def test_a_429_pauses_everyone() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock)
    limiter.penalize(2.0)
    assert limiter.delay(1) == pytest.approx(2.0)
    clock.now += 2.0
    assert limiter.delay(1) == 0


def test_backoff_is_capped_full_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_s=0.5, cap_s=4.0)
    rng = random.Random(1)
    for attempt in range(8):
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        ceiling = min(4.0, 0.5 * 2**attempt)
        assert min(delays) >= 0 and max(delays) <= ceiling
        assert max(delays) > ceiling * 0.8  # full jitter spans the whole range
    assert 3.0 <= policy.delay(0, 3.0, rng) <= 3.0 + 0.125
    assert policy.delay(0, 10_000, rng) <= policy.max_retry_after_s + 1


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (408, True),
        (409, True),
        (429, True),
        (500, True),
        (503, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (422, False),
    ],
)
def test_retryable_statuses(status: int, retry: bool) -> None:
    assert is_retryable_status(status) is retry


def test_breaker_opens_at_half_of_twenty() -> None:
    breaker = CircuitBreaker()
    for i in range(20):
        breaker.record(i % 2 == 0 or i >= 19, "boom")  # 9 failures of 20
    assert not breaker.opened
    breaker.record(False, "boom")  # the window slides: 10 of the last 20
    assert breaker.opened
    assert "10 of the last 20 requests failed (last: boom)" in breaker.describe()
