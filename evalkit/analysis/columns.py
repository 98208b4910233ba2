"""The frames' columns, defined once: name, type and meaning, in the order a frame shows
them. The docs' column tables are checked against these (tests/docs), and
:class:`Builder` turns a frame's rows into columns of these types.

Types: ``category`` for names that repeat (suite, case, variant, prompt, model, ...),
``Int64`` (nullable integers) for counts and tokens, ``float`` (NaN when unknown) for cost,
latency and rates, ``bool``, ``string`` for free text, ``datetime64[ns, UTC]`` for times.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..io.redaction import Redactor

KINDS = ("category", "Int64", "float", "bool", "string", "datetime")
DTYPES = {
    "category": "category",
    "Int64": "Int64",
    "float": "float64",
    "bool": "bool",
    "string": "string",
    "datetime": "datetime64[ns, UTC]",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: str

    @property
    def dtype(self) -> str:
        return DTYPES[self.kind]


def _c(name: str, kind: str, meaning: str) -> Column:
    assert kind in KINDS, kind
    return Column(name, kind, meaning)


RUN = _c("run", "category", "the run's name (a group of shards: report's label for them)")
SUITE = _c("suite", "category", "the suite")
VARIANT = _c("variant", "category", "the variant the case ran under (missing: none)")
CASE = _c("case", "category", "the case's id")
SAMPLE = _c("sample", "Int64", "the sample's number (0 first)")
HEAD = (RUN, SUITE, VARIANT, CASE)

CASES = (
    *HEAD,
    _c("prompt", "category", "the prompt template's name (`triage` of `triage@v2`)"),
    _c("prompt_version", "category", "its version (`v2`)"),
    _c("model", "category", "the model the suite asked for"),
    _c("mode", "category", "replay, record, rerecord, live or batch"),
    _c("file", "category", "the suite file"),
    _c("line", "Int64", "the case's line in it"),
    _c("verdict", "category", "passed, failed, inconclusive or not run (what report counts)"),
    _c(
        "passed",
        "bool",
        "the case passes at the gate (inconclusive under on_inconclusive: pass or warn too)",
    ),
    _c("not_run", "string", "why the case has no verdict (missing when it ran)"),
    _c("error", "string", "a problem of the whole case (missing: none)"),
    _c("samples", "Int64", "samples taken"),
    _c("samples_passed", "Int64", "samples that passed"),
    _c("pass_rate", "float", "samples_passed / samples (missing when not run)"),
    _c("interval_lo", "float", "the low end of the pass rate's interval at `confidence`"),
    _c("interval_hi", "float", "its high end"),
    _c("confidence", "float", "the confidence of the interval and verdict"),
    _c("case_threshold", "float", "the pass rate a case needs"),
    _c("threshold", "float", "the share of cases the suite needs"),
    _c("on_inconclusive", "category", "fail, pass or warn"),
    _c("settle", "Int64", "more samples that would settle an inconclusive verdict"),
    _c("flaky", "bool", "some samples passed, some failed"),
    _c("input_tokens", "Int64", "the case's requests' input tokens, summed over samples"),
    _c("cached_tokens", "Int64", "of those, cached"),
    _c("output_tokens", "Int64", "output tokens, summed over samples"),
    _c("cost_usd", "float", "cost of the case's requests (NaN when a model's price is unknown)"),
    _c("aux_tokens", "Int64", "tokens of the checks' own calls (judge, embeddings, graders)"),
    _c("aux_cost_usd", "float", "their cost (NaN when unknown)"),
    _c("latency_ms", "float", "mean latency of the answered samples (NaN when none was)"),
    _c("ttft_ms", "float", "mean time to first token of streamed samples"),
    _c("retries", "Int64", "retries, summed over samples"),
    _c("tool_calls", "Int64", "tool calls the model made, summed over samples"),
    _c("turns", "Int64", "model turns, summed over samples (a sample without tools: 1)"),
    _c("finished_at", "datetime", "when the case finished"),
)

SAMPLES = (
    *HEAD,
    SAMPLE,
    _c("model", "category", "the model that answered (as the API named it)"),
    _c("source", "category", "recording, api or batch"),
    _c("rate", "category", "the price that applied: standard or batch"),
    _c("passed", "bool", "every gating check passed"),
    _c("not_run", "string", "why the sample was never answered (missing when it was)"),
    _c("error", "string", "why it failed without an answer (a refused request, ...)"),
    _c("output", "string", "the answer's text (missing when unanswered)"),
    _c("unreviewed", "bool", "a gating check had no reviewed snapshot to compare with"),
    _c("input_tokens", "Int64", "input tokens of its requests"),
    _c("cached_tokens", "Int64", "of those, cached"),
    _c("output_tokens", "Int64", "output tokens"),
    _c("cost_usd", "float", "cost (NaN when the price is unknown)"),
    _c("aux_tokens", "Int64", "tokens of the checks' own calls"),
    _c("aux_cost_usd", "float", "their cost"),
    _c("latency_ms", "float", "latency of the answer, all turns (NaN when unanswered)"),
    _c("ttft_ms", "float", "time to first token (streamed: the slowest turn's)"),
    _c("retries", "Int64", "retries of its requests"),
    _c("finish_reason", "category", "the last turn's finish reason"),
    _c("tool_calls", "Int64", "tool calls made, every turn"),
    _c("turns", "Int64", "model turns (1 without tools; 0 when unanswered)"),
    _c("request_id", "string", "the API's id of its (last) request"),
    _c("finished_at", "datetime", "when its case finished"),
)

CHECKS = (
    *HEAD,
    SAMPLE,
    _c("check", "category", "`assert[N]` (the case's N-th assertion) or `implicit`"),
    _c("index", "Int64", "N (missing for implicit checks)"),
    _c("type", "category", "the check as reported (`contains at summary`, `schema`, ...)"),
    _c("path", "string", "the field path it looked at"),
    _c("passed", "bool", "the check passed"),
    _c("gates", "bool", "it counts toward the verdict (weight > 0)"),
    _c("score", "float", "its score, for scored checks (similar, judge, graders)"),
    _c("weight", "float", "its weight"),
    _c("message", "string", "what it found"),
    _c("line", "Int64", "its line in the suite file"),
)

REQUESTS = (
    *HEAD,
    SAMPLE,
    _c(
        "kind",
        "category",
        "`case` (the case's own request, one row per turn) or the check whose call it was (`judge`, `similar`, a grader)",
    ),
    _c("turn", "Int64", "the turn of a tool loop (0 first; missing for checks' calls)"),
    _c("model", "category", "the model that answered"),
    _c("source", "category", "recording, api or batch (a batch line)"),
    _c("rate", "category", "the price that applied: standard or batch"),
    _c("answered", "bool", "an answer came (false: refused, failed for good, no recording)"),
    _c("input_tokens", "Int64", "input tokens"),
    _c("cached_tokens", "Int64", "cached input tokens (missing where not recorded per turn)"),
    _c("output_tokens", "Int64", "output tokens"),
    _c("cost_usd", "float", "cost (NaN for a turn of a tool loop: cost is kept per sample)"),
    _c("latency_ms", "float", "latency (NaN for checks' calls: not recorded)"),
    _c("ttft_ms", "float", "time to first token, streamed"),
    _c("finish_reason", "category", "the finish reason"),
    _c("tool_calls", "Int64", "tool calls in this answer"),
    _c("request_id", "string", "the API's request id"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "cases": CASES,
    "samples": SAMPLES,
    "checks": CHECKS,
    "requests": REQUESTS,
}


class Builder:
    """A frame's columns, filled row by row: floats straight into ``array('d')``, the rest
    into lists; no tuple or dict is kept per row, so a 100,000-case run's frame is built
    within its memory goal."""

    def __init__(self, columns: Sequence[Column]):
        self.columns = tuple(columns)
        self.stores: list[Any] = [array("d") if c.kind == "float" else [] for c in columns]
        self._appends = [store.append for store in self.stores]
        self.owners = array("q")  # per row: the number of the line it came from

    def extend(self, rows: Iterable[tuple[Any, ...]], owner: int) -> None:
        for row in rows:
            for append, value in zip(self._appends, row, strict=True):
                append(value)
            self.owners.append(owner)

    def drop(self, owners: Sequence[int]) -> None:
        """Leave out the rows of these lines (a case's earlier lines, a later one won)."""
        if not owners:
            return
        keep = ~np.isin(np.frombuffer(self.owners, dtype=np.int64), np.array(owners))
        for i, store in enumerate(self.stores):
            kept = np.asarray(store, dtype="float64" if isinstance(store, array) else object)
            self.stores[i] = kept[keep]
        self.owners = array("q", np.frombuffer(self.owners, dtype=np.int64)[keep].tobytes())

    def frame(self) -> pd.DataFrame:
        """The frame of ``columns``' types; every text passes through the redactor on its
        way in (a category's names once each). The stores are emptied as they convert."""
        redact = Redactor()
        data: dict[str, Any] = {}
        for i, column in enumerate(self.columns):
            raw, self.stores[i] = self.stores[i], []
            data[column.name] = _typed(column.kind, raw, redact)
        return pd.DataFrame(data, copy=False)


def _typed(kind: str, raw: Sequence[Any], redact: Redactor) -> Any:
    if kind == "category":
        return _redacted(pd.Categorical(raw), redact)
    if kind == "string":
        return pd.array([v if v is None else redact(v) for v in raw], dtype="string")
    if kind == "float":
        return np.array(raw, dtype="float64")  # from an array('d'): one copy of its buffer
    if kind == "bool":
        return np.array(raw, dtype="bool")
    if kind == "Int64":
        return pd.array(raw, dtype="Int64")
    times = pd.to_datetime(
        pd.Series([t or None for t in raw], dtype="object"),
        utc=True,
        format="ISO8601",
        errors="coerce",
    )
    return times.astype("datetime64[ns, UTC]").array


def _redacted(values: pd.Categorical, redact: Redactor) -> pd.Categorical:
    """The categories' names redacted (two that redact alike become one)."""
    names = [str(c) for c in values.categories]
    clean = [redact(c) for c in names]
    if clean == names:
        return values
    codes = np.asarray(values.codes)
    labels = np.array([*clean, None], dtype=object)
    return pd.Categorical(labels[np.where(codes < 0, len(clean), codes)])
