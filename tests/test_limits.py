"""Pacing, retry and breaker arithmetic, on a fake clock (no sleeping, no timing)."""

from __future__ import annotations

import random

import pytest

from evalkit.engine.limits import (
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
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
            "x-ratelimit-reset-requests": "30s",
            "x-ratelimit-limit-tokens": "1000",
            "x-ratelimit-remaining-tokens": "1000",
        }
    )
    assert limiter.requests.limit == 120 and limiter.tokens.limit == 1000
    assert limiter.delay(1) == pytest.approx(0.5)  # empty: one request every 0.5 s
    configured = RateLimiter(rpm=30, clock=clock)
    configured.observe({"x-ratelimit-limit-requests": "5000"})
    assert configured.requests.limit == 30  # an explicit setting wins


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
