"""What the viewer reads of a result, and the payload it hands to the page.

These models mirror :class:`evalkit.results.CaseResult` for the fields every result has, and
add, as optional and loosely typed, the fields newer results carry (the rendered request,
tool-call turns, time to first token, the recording file): a results file written by an
older or newer evalkit still opens, showing what it holds. The loose fields stay JSON values
here; the page checks their shape before it renders them, so an unexpected shape is shown as
JSON instead of breaking the page.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue

Verdict = Literal["passed", "failed", "error", "inconclusive", "not run", ""]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ViewCheck(_Lenient):
    index: int | None = None  # None: an implicit check (not written by the user)
    type: str = ""
    kind: str = ""  # the assertion type alone ("contains"), for the check-type filter
    path: str | None = None
    passed: bool
    score: float | None = None
    weight: float = 1.0
    message: str = ""
    line: int | None = None


class ViewAux(_Lenient):
    kind: str = ""
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    source: str = ""


class ViewSample(_Lenient):
    sample: int = 0
    passed: bool
    output: str | None = None
    error: str | None = None
    remedy: str | None = None
    not_run: str | None = None  # why it has no verdict (evalkit/results/verdicts.py)
    checks: list[ViewCheck] = []
    request_key: str = ""
    request_id: str | None = None
    model: str | None = None
    source: str = ""
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None only for a model with no known price
    finish_reason: str | None = None
    retries: int = 0
    aux: list[ViewAux] = []
    recording: str | None = None
    # The rendered request: [{role, content}], content a string or a list of parts.
    messages: JsonValue = None
    # Model turns of a tool loop: [{output, tool_calls, tool_results, latency_ms, ...}].
    turns: JsonValue = None
    tool_calls: JsonValue = None


class ViewCase(_Lenient):
    suite: str
    case: str
    variant: str | None = None
    file: str = ""
    line: int | None = None
    passed: bool
    status: str = "done"
    prompt: str = ""
    prompt_digest: str = ""
    model_requested: str = ""
    mode: str = ""
    case_threshold: float = 1.0
    samples: list[ViewSample] = []
    finished_at: str = ""
    vars: JsonValue = None
    pass_rate: float | None = None
    interval: list[float] | None = None
    confidence: float = 0.95
    on_inconclusive: str = "fail"
    settle: int | None = None
    # Read from the file (results/verdicts.py's three-way verdict), then filled in by the
    # loader with the page's status (error, not run) where it says more.
    verdict: Verdict = "failed"
    line_no: int | None = None  # the results.jsonl line this result came from

    @property
    def item_id(self) -> str:
        return f"{self.suite}::{self.case}" + (f"[{self.variant}]" if self.variant else "")


class Skipped(BaseModel):
    """A line of a results file the viewer could not read, and why."""

    file: str
    line: int
    reason: str


class SuiteStats(BaseModel):
    """One suite of one run, as the summary header and the history charts show it."""

    suite: str
    total: int
    passed: int
    failed: int
    errors: int
    not_run: int
    pass_rate: float  # of the cases that ran (a case that did not run has no verdict)
    low: float  # Wilson 95% interval of the pass rate
    high: float
    cost_per_1000: float | None
    p50_ms: float
    p95_ms: float
    tokens: int
    cost_usd: float | None


class RunView(BaseModel):
    """One run (or the union of a run's shards) as the page sees it."""

    id: str
    label: str
    source: str = ""  # where it was read from, as the user would type it
    meta: dict[str, JsonValue] = {}
    cases: list[ViewCase] = []
    skipped: list[Skipped] = []
    notes: list[str] = []
    suites: list[SuiteStats] = []


class CaseDiffView(BaseModel):
    """A row of a comparison: the diff's verdict and the two sides' case indices."""

    status: str
    suite: str
    case: str
    a: int | None  # index into the A run's cases
    b: int | None
    reason: str | None = None  # why the pair is not comparable
    changes: JsonValue = None  # [{path, a, b}] from evalkit.compare.diff
    text_diff: str | None = None
    d_input_tokens: int = 0
    d_output_tokens: int = 0
    d_cost_usd: float | None = None
    d_latency_ms: float = 0.0


class ComparisonView(BaseModel):
    a: int  # run indices
    b: int
    label_a: str
    label_b: str
    headline: str
    suites: JsonValue  # evalkit.compare.diff.SuiteDiff dumps (Wilson intervals, McNemar p, ...)
    cases: list[CaseDiffView]


class HistoryRun(BaseModel):
    id: str
    time: str  # ISO time of the run's last finished case (or of its run.json)
    href: str  # where the run's folder is, relative to the page when possible
    loaded: int | None = None  # index in runs when this run is in the page
    suites: list[SuiteStats]


class History(BaseModel):
    folder: str
    runs: list[HistoryRun]
    notes: list[str] = []
    # cases ("suite::case[variant]") whose verdict changed between runs of identical requests
    flaky: list[str] = []


class Start(BaseModel):
    kind: Literal["run", "cmp"] = "run"
    index: int | None = None  # None: an implicit check (not written by the user)


class Payload(BaseModel):
    """Everything the page shows, inlined into it as one JSON document."""

    version: int = 1
    title: str
    generated_at: str
    runs: list[RunView]
    comparisons: list[ComparisonView] = []
    start: Start = Start()
    history: History | None = None
