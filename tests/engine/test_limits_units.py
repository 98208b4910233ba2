"""engine/limits.py's parts one at a time, on a fake clock: the bucket's arithmetic under
seeded random use, readings of durations and retry-after that must not be guessed, the
slow start's single probe, another client's share learned from a growing difference, the
breaker against a plain reference, and the retry-after jitter bounds."""

from __future__ import annotations

import asyncio
import random
from collections import deque

import pytest

from evalkit.engine.limits import (
    WINDOW,
    Bucket,
    Budget,
    CircuitBreaker,
    LiveStats,
    RateLimiter,
    RetryPolicy,
    parse_duration,
    retry_after,
)


class Clock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- parse_duration and retry_after -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (" 2s ", 2.0),
        ("1h", 3600.0),
        ("3m", 180.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("1s500ms", 1.5),
        ("0s", 0.0),
        ("7", 7.0),
    ],
)
def test_durations_in_every_unit_and_their_sums(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1x", "1s junk", "s", "junk 1s", "1 s", "-", "ms"])
def test_a_duration_with_anything_unread_is_unreadable(text: str) -> None:
    # a partly read duration must not pass for a shorter one ("1s junk" is not 1 s)
    assert parse_duration(text) is None


def test_a_negative_retry_after_is_no_wait() -> None:
    assert retry_after({"retry-after": "-5"}) == 0.0
    assert retry_after({"retry-after-ms": "-100"}) == 0.0


def test_an_unreadable_retry_after_ms_falls_back_to_retry_after() -> None:
    assert retry_after({"retry-after-ms": "soon", "retry-after": "4"}) == 4.0
    assert retry_after({"retry-after-ms": "soon"}) is None


def test_a_date_in_the_past_is_no_wait_and_none_is_nothing() -> None:
    past = "Thu, 01 Jan 2026 00:00:00 GMT"
    assert retry_after({"retry-after": past}, now=1767225600.0 + 60) == 0.0
    assert retry_after(None) is None
    assert retry_after({"other": "1"}) is None


# -- Bucket --------------------------------------------------------------------------------


def test_an_unlimited_bucket_never_waits_and_never_changes() -> None:
    bucket = Bucket()
    bucket.take(1_000_000)
    assert bucket.wait(1_000_000, 5.0) == 0.0
    assert bucket.level == 0.0 and bucket.per_second == 0.0


def test_a_set_rate_overrides_the_per_minute_refill() -> None:
    bucket = Bucket(rate=2.0)
    bucket.set_limit(60, 0.0)
    bucket.take(60)
    assert bucket.wait(10, 0.0) == pytest.approx(5.0)  # 10 at 2 a second, not 1 a second


def test_a_request_larger_than_the_limit_waits_for_a_full_bucket_only() -> None:
    bucket = Bucket()
    bucket.set_limit(60, 0.0)
    bucket.take(30)
    # 1,000 can never fit in 60: it waits for the 30 missing of a full bucket, not forever
    assert bucket.wait(1000, 0.0) == pytest.approx(30.0)
    bucket.take(1000)
    assert bucket.level == pytest.approx(-30.0)  # takes at most the whole limit


def test_raising_the_limit_keeps_the_level_refilled_to_now() -> None:
    bucket = Bucket()
    bucket.set_limit(60, 0.0)
    bucket.take(60)
    bucket.set_limit(120, 10.0)  # 10 s at 1/s refilled first, then the new limit
    assert bucket.level == pytest.approx(10.0)
    assert bucket.per_second == pytest.approx(2.0)


def test_waiting_what_the_bucket_says_is_always_enough() -> None:
    rng = random.Random(7)
    for _ in range(50):
        limit = rng.randrange(1, 500)
        bucket = Bucket()
        now = rng.uniform(0, 100)
        bucket.set_limit(limit, now)
        for _ in range(30):
            amount = rng.uniform(0, limit * 1.5)
            wait = bucket.wait(amount, now)
            assert wait >= 0.0
            now += wait
            assert bucket.available(now) >= min(amount, limit) - 1e-6
            assert bucket.level <= limit
            bucket.take(amount)
            now += rng.uniform(0, 2)


# -- the slow start ---------------------------------------------------------------------------


def test_without_both_limits_one_probe_goes_first_then_the_gate_opens() -> None:
    limiter = RateLimiter(rpm=1000, clock=Clock())
    probe = limiter.try_acquire(10, "m")
    assert probe is not None and probe.probe and probe.scope == "m"
    assert limiter.try_acquire(10, "m") is None  # the probe is out: nothing else goes
    assert limiter.try_acquire(10, "other") is not None  # another model probes on its own
    limiter.done(probe)
    after = limiter.try_acquire(10, "m")
    assert after is not None and not after.probe
    assert (after.requests, after.tokens) == (2, 20.0)  # totals sent up to and including it


def test_with_both_limits_configured_there_is_no_probe() -> None:
    limiter = RateLimiter(rpm=100, tpm=10_000, clock=Clock())
    tickets = [limiter.try_acquire(5) for _ in range(3)]
    assert all(t is not None and not t.probe for t in tickets)
    assert [t.requests for t in tickets if t] == [1, 2, 3]


def test_a_ticket_that_does_not_fit_is_refused_not_taken() -> None:
    clock = Clock()
    limiter = RateLimiter(rpm=2, tpm=100, clock=clock)
    assert limiter.try_acquire(60) is not None
    assert limiter.try_acquire(60) is None  # 40 tokens left
    assert limiter.requests.level == pytest.approx(1.0)  # the refused one took nothing
    clock.now += 12.0  # 100/min: 20 tokens back
    assert limiter.try_acquire(60) is not None


def test_acquire_returns_at_once_when_it_fits() -> None:
    limiter = RateLimiter(rpm=10, tpm=1000, clock=Clock())
    ticket = asyncio.run(limiter.acquire(5, "m"))
    assert ticket.scope == "m" and ticket.weight == 5


# -- another client of the key ------------------------------------------------------------------


def feed_drift(budget: Budget, others: float, steps: int = 100) -> float:
    """Answers whose server level falls ``others`` a second below ours; returns when the
    budget first learns a share (or after ``steps`` answers)."""
    budget.compare(budget.limit or 0.0, 0.0, 0)  # the first answer starts our account
    for i in range(1, steps):
        now = i * 0.1
        budget.compare((budget.limit or 0.0) - others * now, now, i)
        if budget.others_rate:
            return now
    return -1.0


def learned(limit: float = 600.0, configured: bool = False) -> Budget:
    budget = Budget(configured=configured)
    budget.set_limit(limit, 0.0)
    budget.learn(limit, None, None)
    return budget


def test_a_difference_growing_steadily_is_another_clients_rate() -> None:
    budget = learned()
    assert budget.rate == pytest.approx(10.0)  # 600 a minute
    when = feed_drift(budget, others=2.0)
    assert when >= 3.0  # not before a few seconds of answers
    assert budget.others_rate == pytest.approx(2.0, rel=0.05)
    assert budget.rate == pytest.approx(8.0, rel=0.05)  # our refill makes room for it
    # a little of their share is kept in hand
    assert budget.available(when) <= budget.limit - budget.others_rate * 0.25 + 1e-9  # type: ignore[operator]


def test_another_clients_share_is_capped_below_the_whole_refill() -> None:
    budget = learned()
    feed_drift(budget, others=1000.0)
    assert budget.others_rate == pytest.approx(0.9 * 10.0)


def test_a_steady_difference_is_no_other_client() -> None:
    budget = learned()
    assert feed_drift(budget, others=0.0) == -1.0
    assert budget.others_rate == 0.0 and budget.rate == pytest.approx(10.0)


def test_a_configured_budget_keeps_its_own_pace() -> None:
    budget = learned(configured=True)
    feed_drift(budget, others=2.0)
    assert budget.others_rate == 0.0 and budget.rate is None


def test_the_offset_only_ever_holds_us_back() -> None:
    rng = random.Random(3)
    budget = learned()
    budget.compare(600.0, 0.0, 0)
    for i in range(1, 60):
        budget.compare(600.0 + rng.uniform(-50, 50), i * 0.01, i)
        assert budget.offset >= 0.0
    assert len(budget.samples) == WINDOW  # only the last few answers are kept


def test_an_answer_saying_the_server_has_more_never_raises_the_level() -> None:
    budget = learned()
    budget.compare(600.0, 0.0, 0)
    for i in range(1, 20):
        budget.compare(900.0, i * 0.01, i)  # more than the limit: reordering noise
    assert budget.offset == 0.0
    assert budget.available(1.0) <= 600.0


def test_a_refund_corrects_the_difference_it_was_counted_in() -> None:
    budget = learned()
    budget.compare(600.0, 0.0, 0)
    budget.take(10)
    budget.compare(580.0, 0.0, 7)  # that answer counted 10 of ours more than the server did
    before = budget.samples[-1]
    budget.refund(10, 7)
    assert budget.samples[-1] == before + 10
    assert budget.last_sample == (7, before + 10)
    budget.refund(10, 0)  # the answer our account started from: nothing to give back
    assert budget.trust_last(7) and list(budget.samples) == [before + 10]
    assert not budget.trust_last(8)


# -- the breaker, against a plain reference ------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_the_breaker_opens_exactly_when_a_full_window_fails_enough(seed: int) -> None:
    rng = random.Random(seed)
    window = rng.randrange(1, 12)
    threshold = rng.choice([0.25, 0.5, 0.75, 1.0])
    failing = rng.uniform(0.1, 0.9)
    breaker = CircuitBreaker(window=window, threshold=threshold)
    last: deque[bool] = deque(maxlen=window)
    expected = False
    for i in range(80):
        ok = rng.random() > failing
        breaker.record(ok, f"e{i}")
        last.append(ok)
        full = len(last) == window
        expected = expected or (full and sum(not o for o in last) / window >= threshold)
        assert breaker.opened is expected  # and once open it stays open
        assert len(breaker.outcomes) == len(last)


def test_the_breaker_names_the_last_failure_not_the_last_outcome() -> None:
    breaker = CircuitBreaker(window=3)
    breaker.record(False, "first")
    breaker.record(False, "second")
    breaker.record(True)
    assert breaker.describe() == "2 of the last 3 requests failed (last: second)"


# -- retry delays ---------------------------------------------------------------------------------


def test_a_retry_after_hint_gets_at_most_a_quarter_of_base_as_jitter() -> None:
    policy = RetryPolicy(base_s=2.0, max_retry_after_s=50.0)
    rng = random.Random(11)
    for hint in [0.0, 0.4, 1.0, 3.0, 49.0, 500.0]:
        capped = min(hint, 50.0)
        for _ in range(50):
            delay = policy.delay(3, hint, rng)
            assert capped <= delay <= capped + min(capped, 2.0) * 0.25
    assert policy.delay(9, 0.0, rng) == 0.0  # "retry now" is not delayed by jitter


def test_live_stats_rates_are_zero_before_anything_answers() -> None:
    stats = LiveStats()
    assert stats.per_second() == 0.0 and stats.tokens_per_minute() == 0.0
    stats.answered, stats.tokens = 5, 100
    assert stats.per_second() > 0 and stats.tokens_per_minute() > 0
