"""What the testing server does on purpose: the faults it injects, the rate limits it enforces
(OpenAI's 429s with ``x-ratelimit-*`` headers and its "Please try again in 1.2s" wording), and
the counters tests read back. Kept apart from the HTTP handling so each reads on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..engine.limits import Bucket
from .answer import request_hash


@dataclass(frozen=True)
class Faults:
    """Probabilities (0..1) of each fault per request, drawn from a seeded generator."""

    error_rate: float = 0.0  # a 500/502/503 with OpenAI's server_error body
    hang_rate: float = 0.0  # no answer for hang_s seconds, then the connection closes
    malformed_rate: float = 0.0  # a 200 whose JSON body is cut short
    drop_rate: float = 0.0  # the connection closes without an answer
    hang_s: float = 30.0
    seed: int = 0
    stream_drop_rate: float = 0.0  # a stream whose connection closes about halfway through


@dataclass
class Stats:
    connections: int = 0
    requests: int = 0
    answered: int = 0
    rate_limited: int = 0
    faults: int = 0
    tokens: int = 0
    streams: int = 0  # answers sent as server-sent events
    files_uploaded: int = 0
    batches_created: int = 0
    batch_lines_submitted: int = 0  # lines of every batch created
    batch_lines_repeated: int = 0  # lines whose request an earlier batch line already carried
    by_path: dict[str, int] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    auth_headers: list[str] = field(default_factory=list)
    batch_requests: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return dict(
                connections=self.connections,
                requests=self.requests,
                answered=self.answered,
                rate_limited=self.rate_limited,
                faults=self.faults,
                tokens=self.tokens,
                streams=self.streams,
                files_uploaded=self.files_uploaded,
                batches_created=self.batches_created,
                batch_lines_submitted=self.batch_lines_submitted,
                batch_lines_repeated=self.batch_lines_repeated,
                by_path=dict(self.by_path),
            )

    def batch_line(self, body: dict[str, Any]) -> None:
        key = request_hash(body)
        with self.lock:
            self.batch_lines_submitted += 1
            if key in self.batch_requests:
                self.batch_lines_repeated += 1
            self.batch_requests.add(key)


def reset_text(seconds: float) -> str:
    """A duration as OpenAI writes it in ``x-ratelimit-reset-*`` (Go's format): ``"0s"``,
    ``"120ms"``, ``"1s"``, ``"6m0s"``, ``"4m12.172s"``, ``"1h2m3.5s"``."""
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours}h{minutes}m{text}"
    return f"{minutes}m{text}" if minutes else text


class Limits:
    """Server-side RPM/TPM buckets, as OpenAI enforces them (input + max tokens).

    Each is a continuously refilling bucket holding at most a minute's allowance: with
    ``burst=1`` (OpenAI's case) the whole allowance is there at the first request, then each
    unit comes back ``60 / limit`` seconds after it was used. The headers are OpenAI's:
    ``x-ratelimit-remaining-*`` is what is left (rounded down) and ``x-ratelimit-reset-*``
    the time until the bucket is full again. A 429 takes nothing."""

    def __init__(
        self,
        rpm: int | None,
        tpm: int | None,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.clock = clock
        now = clock()
        self.requests, self.tokens = Bucket(), Bucket()
        for bucket, limit in ((self.requests, rpm), (self.tokens, tpm)):
            if limit:
                bucket.set_limit(limit, now)
                bucket.level = limit * burst
        self.lock = threading.Lock()
        self.started = False

    def admit(self, weight: int) -> tuple[float, dict[str, str], str]:
        """(seconds to wait or 0, headers, which limit) and takes the budget when admitted."""
        with self.lock:
            now = self.clock()
            if not self.started:  # the budgets start filling with the first request
                self.started = True
                self.requests.updated = self.tokens.updated = now
            waits = {
                "requests": self.requests.wait(1, now),
                "tokens": self.tokens.wait(weight, now),
            }
            admitted = all(w == 0 for w in waits.values())
            if admitted:
                self.requests.take(1)
                self.tokens.take(weight)
            headers: dict[str, str] = {}
            for kind, bucket in (("requests", self.requests), ("tokens", self.tokens)):
                if bucket.limit is None:
                    continue
                headers[f"x-ratelimit-limit-{kind}"] = str(int(bucket.limit))
                headers[f"x-ratelimit-remaining-{kind}"] = str(max(int(bucket.level), 0))
                headers[f"x-ratelimit-reset-{kind}"] = reset_text(
                    (bucket.limit - bucket.level) / bucket.per_second
                )
            wait = 0.0 if admitted else max(waits.values())
            return wait, headers, max(waits, key=lambda k: waits[k])
