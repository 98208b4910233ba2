"""What the frames read of a results.jsonl line: the fields of
:class:`evalkit.results.CaseResult` they show, typed exactly as the model types them.

Why not :class:`CaseResult` itself: validating every field of a line (its rendered
messages, every check's message) into models costs about 200 µs a line, so a 100,000-case
run would take 20 s to load. These typed dicts name only what a frame needs; the JSON parser
skips the rest, and a line parses in about 20 µs. The types are the model's own (``int |
None`` where it says so, the same defaults), so a line the model reads is read here the
same; a torn or foreign line fails here as it fails there and is skipped and reported the
same way (:meth:`evalkit.runs.runsets.RunSet.each`). One difference, said in the docs: a
line that is whole JSON with its keys right but a malformed field no frame reads (which
evalkit never writes) is skipped by ``evalkit report`` and read here.

Two shapes: :data:`CASES` for ``cases_df`` (per sample only the sums: turns and tool calls
are counted, never built), :data:`DETAILS` for the frames that show samples, checks and
requests.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Required

from pydantic import TypeAdapter
from typing_extensions import TypedDict


class Nothing(TypedDict, total=False):
    """An element only counted (a turn, a tool call, in ``cases_df``)."""


class AuxLine(TypedDict, total=False):
    kind: Required[str]
    model: Required[str]
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    source: str
    rate: str


class CheckLine(TypedDict, total=False):
    index: int | None
    type: Required[str]
    path: str | None
    passed: Required[bool]
    score: float | None
    weight: float
    message: str
    line: int | None


class TurnLine(TypedDict, total=False):
    turn: int
    output: str | None
    tool_calls: list[dict[str, Any]]
    request_key: str
    request_id: str | None
    latency_ms: float
    ttft_ms: float | None
    input_tokens: int
    output_tokens: int
    finish_reason: str | None


class SampleSums(TypedDict, total=False):
    """A sample's fields every frame reads."""

    sample: int
    passed: Required[bool]
    output: str | None
    error: str | None
    remedy: str | None
    not_run: str | None
    model: str | None
    source: str
    latency_ms: float
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None
    rate: str
    retries: int
    aux: list[AuxLine]
    ttft_ms: float | None


class SampleCounted(SampleSums, total=False):
    """In ``cases_df``: its turns and tool calls counted."""

    tool_calls: list[Nothing]
    turns: list[Nothing]


class SampleLine(SampleSums, total=False):
    """In the detailed frames: its checks, turns and tool calls whole."""

    unreviewed: bool
    checks: list[CheckLine]
    request_key: str
    request_id: str | None
    finish_reason: str | None
    tool_calls: list[dict[str, Any]]
    turns: list[TurnLine]


class CaseHead(TypedDict, total=False):
    suite: Required[str]
    case: Required[str]
    variant: str | None
    file: str
    line: int | None
    passed: Required[bool]
    status: str
    error: str | None
    prompt: str
    model_requested: str
    mode: str
    case_threshold: float
    threshold: float
    finished_at: str
    verdict: str
    pass_rate: float | None
    interval: tuple[float, float] | None
    confidence: float
    on_inconclusive: str
    settle: int | None


class CaseLine(CaseHead, total=False):
    samples: list[SampleCounted]


class DetailLine(CaseHead, total=False):
    samples: list[SampleLine]


CASES: TypeAdapter[CaseLine] = TypeAdapter(CaseLine)
DETAILS: TypeAdapter[DetailLine] = TypeAdapter(DetailLine)


def item(line: CaseHead) -> Hashable:
    """A case of a run, as ``evalkit report`` counts it: suite, case, variant."""
    return (line["suite"], line["case"], line.get("variant"))
