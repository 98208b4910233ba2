"""The limiter against the testing server's buckets, on a simulated clock.

The server side is the testing server's own ``Limits`` (OpenAI's buckets and headers); the
client side is the real ``RateLimiter``. Requests travel in simulated time, with a jittered
delay before the server sees them (so they arrive out of the order they were sent, as they
do from 64 connections) and a latency before the answer comes back. Deterministic (seeded),
no sleeping: "how long" here is simulated seconds, compared with what the bucket allows.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

import pytest

from evalkit.engine.limits import RateLimiter, Ticket
from evalkit.testing.faults import Limits, reset_text


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Outcome:
    seconds: float  # first request sent to last answer received
    answered: int
    rate_limited: int
    sent: int


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    kind: str = field(compare=False)
    ticket: Ticket | None = field(compare=False, default=None)
    headers: dict[str, str] = field(compare=False, default_factory=dict)
    wait: float = field(compare=False, default=0.0)


def simulate(
    *,
    n: int,
    weight: int,
    rpm: int | None,
    tpm: int | None,
    concurrency: int = 64,
    arrival_jitter_s: float = 0.03,
    latency_s: float = 0.005,
    foreign_per_s: float = 0.0,
    configured: dict[str, int] | None = None,
    seed: int = 1,
) -> Outcome:
    """Send ``n`` requests of ``weight`` tokens through a limiter to a full-allowance server;
    ``foreign_per_s`` requests a second come from another client on the same key."""
    clock = Clock()
    rng = random.Random(seed)
    server = Limits(rpm, tpm, burst=1.0, clock=clock)
    limiter = RateLimiter(clock=clock, **(configured or {}))
    seq = itertools.count()
    events: list[_Event] = []
    wanting = min(concurrency, n)  # workers holding a request they may send
    pending = n - wanting
    answered = rate_limited = sent = 0
    first_sent: float | None = None
    if foreign_per_s:
        heapq.heappush(events, _Event(clock.now, next(seq), "foreign"))
    while answered < n:
        while wanting and (ticket := limiter.try_acquire(weight)) is not None:
            wanting -= 1
            sent += 1
            first_sent = clock.now if first_sent is None else first_sent
            lag = rng.uniform(0.001, 0.001 + arrival_jitter_s)
            heapq.heappush(events, _Event(clock.now + lag, next(seq), "arrive", ticket))
        pause = limiter.delay(weight) if wanting else 0.0
        upcoming = events[0].at if events else float("inf")
        # (a real sleep always lets time pass; a pause below the clock's resolution would not)
        clock.now = min(upcoming, clock.now + max(pause, 1e-6)) if pause > 0 else upcoming
        while events and events[0].at <= clock.now:
            event = heapq.heappop(events)
            if event.kind == "foreign":
                server.admit(1)
                heapq.heappush(events, _Event(clock.now + 1 / foreign_per_s, next(seq), "foreign"))
            elif event.kind == "arrive":
                wait, headers, _ = server.admit(weight)
                back = clock.now + (latency_s if wait == 0 else 0.001)
                heapq.heappush(
                    events, _Event(back, next(seq), "answer", event.ticket, headers, wait)
                )
            elif event.kind == "answer":
                assert event.ticket is not None
                limiter.observe(event.headers, event.ticket)
                limiter.done(event.ticket)
                if event.wait > 0:  # a 429: everyone pauses; this one retries after the hint
                    rate_limited += 1
                    limiter.penalize(event.wait, event.ticket)
                    heapq.heappush(events, _Event(clock.now + event.wait, next(seq), "retry"))
                else:
                    answered += 1
                    if pending:
                        pending -= 1
                        wanting += 1
            else:  # retry
                wanting += 1
    assert first_sent is not None
    return Outcome(clock.now - first_sent, answered, rate_limited, sent)


def ideal(n: int, weight: int, limit: int) -> float:
    """What a bucket that starts full allows: the limit at once, then limit/60 a second."""
    return max(n * weight - limit, 0) / (limit / 60)


def test_an_rpm_bound_run_uses_the_whole_allowance_then_the_refill() -> None:
    out = simulate(n=1500, weight=50, rpm=1200, tpm=None)
    best = ideal(1500, 1, 1200)  # 15 s
    assert out.answered == 1500
    assert best <= out.seconds <= best * 1.02 + 0.1
    assert out.rate_limited <= 0.01 * 1500


def test_a_tpm_bound_run_with_long_prompts_runs_at_the_limit() -> None:
    out = simulate(n=600, weight=2150, rpm=10_000, tpm=1_000_000)
    best = ideal(600, 2150, 1_000_000)  # 17.4 s
    assert out.answered == 600
    assert best <= out.seconds <= best * 1.02 + 0.1
    assert out.rate_limited <= 0.01 * 600


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_answers_out_of_order_do_not_make_the_limiter_pessimistic(seed: int) -> None:
    """Heavy reordering (up to 0.2 s between sending and arriving): the old limiter took the
    lowest level any answer implied and ran far below the limit."""
    out = simulate(n=1500, weight=50, rpm=1200, tpm=None, arrival_jitter_s=0.2, seed=seed)
    best = ideal(1500, 1, 1200)
    assert best <= out.seconds <= best * 1.03 + 0.3
    assert out.rate_limited <= 0.02 * 1500


@pytest.mark.parametrize(("latency_s", "jitter_s"), [(1.0, 0.1), (2.0, 0.03)])
@pytest.mark.parametrize(
    ("rpm", "tpm", "weight", "n"), [(1200, None, 50, 1500), (10_000, 1_000_000, 2150, 600)]
)
def test_a_distant_api_is_paced_as_well(
    latency_s: float, jitter_s: float, rpm: int, tpm: int | None, weight: int, n: int
) -> None:
    """Answers after seconds, as a real model gives them: hundreds of requests are in
    flight when the allowance runs out, and their answers come back in a heap."""
    out = simulate(
        n=n,
        weight=weight,
        rpm=rpm,
        tpm=tpm,
        latency_s=latency_s,
        arrival_jitter_s=jitter_s,
        concurrency=256,
    )
    best = ideal(n, 1, rpm) if tpm is None else ideal(n, weight, tpm)
    # the probe's answer and the last one each take a latency the bucket has nothing to do with
    assert best <= out.seconds <= best * 1.02 + 2 * latency_s + 0.3
    assert out.rate_limited <= 0.01 * n


@pytest.mark.parametrize("others", [5.0, 10.0])
def test_another_client_on_the_same_key_is_made_room_for(others: float) -> None:
    """A quarter, then half, of the limit goes to someone else: its share is learned and
    left to it, so the run gets the rest without meeting it in 429s at every turn."""
    out = simulate(n=1500, weight=50, rpm=1200, tpm=None, foreign_per_s=others)
    # by time T the server allows 1200 + 20 T, of which the other client takes `others` T
    best = (1500 - 1200) / (20 - others)
    assert out.answered == 1500
    assert best * 0.98 <= out.seconds <= best * 1.03 + 0.3
    assert out.rate_limited <= 0.03 * 1500


def test_a_configured_limit_is_kept_below_the_account_limit() -> None:
    out = simulate(n=200, weight=50, rpm=1200, tpm=None, configured={"rpm": 120})
    assert out.rate_limited == 0
    assert out.seconds >= ideal(200, 1, 120) * 0.99  # paced at 120/min, not the server's 1200


# -- the testing server's buckets are OpenAI's -------------------------------------------


def test_a_full_allowance_server_admits_a_minute_at_once_then_refills_steadily() -> None:
    clock = Clock()
    limits = Limits(rpm=600, tpm=None, burst=1.0, clock=clock)
    for _ in range(600):
        wait, headers, _ = limits.admit(10)
        assert wait == 0
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"] == "1m0s"  # empty: a minute until full
    wait, headers, kind = limits.admit(10)
    assert (kind, wait) == ("requests", pytest.approx(0.1))  # 600/min: one every 0.1 s
    clock.now += 0.1
    assert limits.admit(10)[0] == 0
    clock.now += 30.05  # continuous refill: half a minute gives back half the allowance
    wait, headers, _ = limits.admit(10)
    assert wait == 0 and headers["x-ratelimit-remaining-requests"] == "299"  # 299.5 left
    assert headers["x-ratelimit-reset-requests"] == "30.05s"


def test_reset_is_the_time_until_full_and_remaining_rounds_down() -> None:
    clock = Clock()
    limits = Limits(rpm=500, tpm=150_000, burst=1.0, clock=clock)
    _, headers, _ = limits.admit(16)
    assert headers == {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "499",
        "x-ratelimit-reset-requests": "120ms",  # the example in OpenAI's docs
        "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-remaining-tokens": "149984",
        "x-ratelimit-reset-tokens": "6ms",
    }
    clock.now += 0.05
    _, headers, _ = limits.admit(16)
    assert headers["x-ratelimit-remaining-requests"] == "498"  # 498.42 left
    assert headers["x-ratelimit-reset-requests"] == "190ms"


def test_a_server_started_empty_fills_from_its_first_request() -> None:
    clock = Clock()
    limits = Limits(rpm=60, tpm=None, burst=0.0, clock=clock)
    clock.now += 100  # idle before the first request: nothing accrues
    wait, headers, _ = limits.admit(1)
    assert wait == pytest.approx(1.0) and headers["x-ratelimit-remaining-requests"] == "0"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0s"),
        (0.12, "120ms"),
        (1.0, "1s"),
        (360.0, "6m0s"),
        (252.172, "4m12.172s"),
        (3723.5, "1h2m3.5s"),
    ],
)
def testreset_texts_are_written_as_openai_writes_them(seconds: float, text: str) -> None:
    assert reset_text(seconds) == text
