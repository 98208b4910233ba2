"""One test's calls under one mode: for each request, replay its answer, send it on, or
refuse it with a message that names it; at the end, the recording to keep.

=========  ===================================================================
replay     recorded answers only; anything else is refused (no key, no network)
record     recorded answers, and what is not recorded yet sent to the API (also batch)
rerecord   every call sent to the API, and recorded anew
live       every call sent to the API, nothing written
=========  ===================================================================

The n-th identical request of a test gets the n-th recorded answer ("call order"). In the
recording modes the file keeps exactly the calls this run made, so a request the code no
longer makes leaves the file with it; when the test failed, the calls it did not reach are
kept too. Every method is thread-safe: the endpoint answers each connection on its own
thread and an async client sends calls concurrently.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Mode
from ..errors import ApiCallError, ConfigError, RecordingMissing, display_path
from ..io.redaction import redact
from ..wire.request import Endpoint
from .cassette import RECORDED_STATUSES, Answer, AppRecording, Entry, read_recording, request_key
from .match import first_difference, nearest
from .upstream import Upstream


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class Call:
    """One call the test made, as answered (its usage feeds budgets)."""

    endpoint: Endpoint
    model: str
    answer: Answer
    replayed: bool


@dataclass
class Recorder:
    test: str  # "tests/test_x.py::test_name"
    path: Path
    mode: Mode
    upstream: Upstream
    remedy: str = "run with --evalkit-mode=record"
    recorded: AppRecording | None = None
    problems: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    _used: dict[str, tuple[Endpoint, dict[str, Any], dict[int, Answer]]] = field(
        default_factory=dict
    )
    _seen: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, test: str, path: Path, mode: Mode, upstream: Upstream, remedy: str) -> Recorder:
        """The test's recorder; RecordingError when its recording cannot be read (not in
        rerecord and live, which never read it)."""
        reads = mode not in (Mode.RERECORD, Mode.LIVE)
        recorded = read_recording(path) if reads else None
        return cls(test, path, mode, upstream, remedy, recorded)

    @property
    def replays(self) -> bool:
        return self.mode in (Mode.REPLAY, Mode.RECORD, Mode.BATCH)

    def answer(self, endpoint: Endpoint, body: dict[str, Any]) -> Answer:
        """The answer to one request; RecordingMissing (replay), ConfigError or
        ApiCallError (recording) when there is none, also kept in :attr:`problems`."""
        key = request_key(endpoint, body)
        with self._lock:
            occurrence = self._seen.get(key, 0)
            self._seen[key] = occurrence + 1
            number = sum(self._seen.values())
        entry = self.recorded.interactions.get(key) if self.recorded else None
        replayed = self.replays and entry is not None and occurrence < len(entry.answers)
        try:
            if replayed:
                assert entry is not None
                answer = entry.answers[occurrence]
            elif self.mode is Mode.REPLAY:
                raise RecordingMissing(self._missing(endpoint, body, entry, occurrence, number))
            else:
                answer = self.upstream.send(endpoint, body)
        except (RecordingMissing, ConfigError, ApiCallError) as exc:
            message = redact(str(exc))
            with self._lock:
                self.problems.append(message)
            raise type(exc)(message) from None
        with self._lock:
            self.calls.append(Call(endpoint, str(body.get("model", "")), answer, replayed))
            if replayed or answer.status in RECORDED_STATUSES:
                self._used.setdefault(key, (endpoint, body, {}))[2][occurrence] = answer
        return answer

    def _missing(
        self,
        endpoint: Endpoint,
        body: dict[str, Any],
        entry: Entry | None,
        occurrence: int,
        number: int,
    ) -> str:
        head = (
            f"{self.test}: no recording of this {endpoint} call "
            f"(model {str(body.get('model', ''))!r}, the test's {_ordinal(number)} call)"
        )
        if self.recorded is None:
            why = f"{display_path(self.path)} does not exist"
        elif entry is not None:
            times = len(entry.answers)
            why = (
                f"this exact request is recorded {times} time{'s' if times != 1 else ''} and "
                f"was now made a {_ordinal(occurrence + 1)} time"
            )
        else:
            recorded = [(e.endpoint, e.body) for e in self.recorded.interactions.values()]
            closest = nearest(endpoint, body, recorded)
            difference = first_difference(body, closest) if closest is not None else None
            why = (
                f"it differs from the nearest recorded request at {difference}"
                if difference
                else f"{display_path(self.path)} records no call like it"
            )
        return f"{head}: {why}; {self.remedy}"

    def result(self, passed: bool) -> AppRecording | None:
        """The recording to write, or None (replay and live write nothing, and a test
        that made no call leaves its file alone)."""
        if self.mode in (Mode.REPLAY, Mode.LIVE):
            return None
        with self._lock:
            interactions = {
                key: Entry(
                    endpoint=endpoint, body=body, answers=[answers[i] for i in sorted(answers)]
                )
                for key, (endpoint, body, answers) in self._used.items()
            }
        if not passed and self.recorded is not None:  # keep what it did not reach
            for key, old in self.recorded.interactions.items():
                new = interactions.get(key)
                if new is None:
                    interactions[key] = old
                elif len(new.answers) < len(old.answers):
                    new.answers.extend(old.answers[len(new.answers) :])
        if not interactions:
            return None
        return AppRecording(test=self.test, interactions=dict(sorted(interactions.items())))
