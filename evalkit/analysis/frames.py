"""The four frames: one row per case per run, per sample, per check result, per request.

Every figure is read from what the run recorded, by the rules of the results layer: the
not-run rule (:func:`evalkit.results.verdicts.not_run_reason`), each case's verdict as the
run kept it, sums over samples for tokens and cost (unknown when any price was unknown, as
:attr:`CaseResult.cost_usd` says), latency of answered samples only (what report's p50 and
p95 are taken over). A test holds the frames to ``evalkit report --json`` on the same runs.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ConfigError, DamagedRun
from ..results.verdicts import not_run_reason
from . import columns as cols
from .lines import CASES, DETAILS, AuxLine, CaseHead, CaseLine, DetailLine, SampleSums
from .load import Runs, read

NAN = math.nan


@dataclass(frozen=True)
class _Flags:
    """What the not-run rule reads of a sample."""

    not_run: str | None
    remedy: str | None


@dataclass
class Table:
    """A frame and what was left out of it (report's words), for a front to show."""

    frame: pd.DataFrame
    warnings: list[str]
    paths: list[Path]  # the run folders read


@functools.lru_cache(maxsize=1024)
def _prompt(ref: str) -> tuple[str | None, str | None]:
    """``triage@v2`` → ``triage``, ``v2`` (cached: a run has few prompts, many cases)."""
    if not ref:
        return None, None
    name, at, version = ref.rpartition("@")
    return (name, version) if at else (ref, None)


def _sum_known(costs: list[float | None]) -> float:
    """A sum that is unknown (NaN) when any part is (a model with no known price)."""
    return NAN if any(c is None for c in costs) else sum(c for c in costs if c is not None)


def _aux(sample: SampleSums) -> tuple[int, float]:
    aux: list[AuxLine] = sample.get("aux", [])
    tokens = sum(a.get("input_tokens", 0) + a.get("output_tokens", 0) for a in aux)
    return tokens, _sum_known([a.get("cost_usd") for a in aux])


def _why(line: CaseHead, samples: list[Any]) -> str | None:
    flags = [_Flags(s.get("not_run"), s.get("remedy")) for s in samples]
    return not_run_reason(line.get("status", "done"), flags)


def _f(value: float | None) -> float:
    """A float column's value: NaN when not recorded."""
    return NAN if value is None else value


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else NAN


def _case_rows(run: str, line: CaseLine) -> Iterator[tuple[Any, ...]]:
    samples = line.get("samples", [])
    why = _why(line, samples)
    n = k = tokens_in = cached = tokens_out = aux_tokens = retries = calls = turns = 0
    cost: float | None = 0.0
    aux_cost: float | None = 0.0
    latencies: list[float] = []
    ttfts: list[float] = []
    for s in samples:  # one pass: a 100,000-case run builds its rows in about a second
        n += 1
        k += s["passed"]
        tokens_in += s.get("input_tokens", 0)
        cached += s.get("cached_tokens", 0)
        tokens_out += s.get("output_tokens", 0)
        c = s.get("cost_usd", 0.0)
        cost = None if c is None or cost is None else cost + c
        for a in s.get("aux", ()):
            aux_tokens += a.get("input_tokens", 0) + a.get("output_tokens", 0)
            c = a.get("cost_usd")
            aux_cost = None if c is None or aux_cost is None else aux_cost + c
        retries += s.get("retries", 0)
        calls += len(s.get("tool_calls", ()))
        answered = s.get("output") is not None
        if answered:
            latencies.append(s.get("latency_ms", 0.0))
        if (t := s.get("ttft_ms")) is not None:
            ttfts.append(t)
        turns += len(s.get("turns", ())) or answered
    verdict = (
        "not run" if why else line.get("verdict") or ("passed" if line["passed"] else "failed")
    )
    rate = line.get("pass_rate")
    if rate is None and n:
        rate = k / n
    interval = line.get("interval") or (NAN, NAN)
    name, version = _prompt(line.get("prompt", ""))
    yield (
        run,
        line["suite"],
        line.get("variant"),
        line["case"],
        name,
        version,
        line.get("model_requested") or None,
        line.get("mode") or None,
        line.get("file") or None,
        line.get("line"),
        verdict,
        line["passed"] and why is None,
        why,
        line.get("error"),
        n,
        k,
        NAN if why or rate is None else rate,
        interval[0],
        interval[1],
        line.get("confidence", 0.95),
        line.get("case_threshold", 1.0),
        line.get("threshold", 1.0),
        line.get("on_inconclusive", "fail"),
        line.get("settle"),
        0 < k < n,
        tokens_in,
        cached,
        tokens_out,
        NAN if cost is None else cost,
        aux_tokens,
        NAN if aux_cost is None else aux_cost,
        _mean(latencies),
        _mean(ttfts),
        retries,
        calls,
        turns,
        line.get("finished_at", ""),
    )


def _sample_rows(run: str, line: DetailLine) -> Iterator[tuple[Any, ...]]:
    head = (run, line["suite"], line.get("variant"), line["case"])
    for s in line.get("samples", []):
        answered = s.get("output") is not None
        aux_tokens, aux_cost = _aux(s)
        cost = s.get("cost_usd", 0.0)
        yield (
            *head,
            s.get("sample", 0),
            s.get("model") or None,
            s.get("source") or None,
            s.get("rate", "standard"),
            s["passed"],
            s.get("not_run") or ("no recording" if s.get("remedy") == "record" else None),
            s.get("error"),
            s.get("output"),
            s.get("unreviewed", False),
            s.get("input_tokens", 0),
            s.get("cached_tokens", 0),
            s.get("output_tokens", 0),
            NAN if cost is None else cost,
            aux_tokens,
            aux_cost,
            s.get("latency_ms", 0.0) if answered else NAN,
            _f(s.get("ttft_ms")),
            s.get("retries", 0),
            s.get("finish_reason"),
            len(s.get("tool_calls", [])),
            len(s.get("turns", [])) or int(answered),
            s.get("request_id"),
            line.get("finished_at", ""),
        )


def _check_rows(run: str, line: DetailLine) -> Iterator[tuple[Any, ...]]:
    head = (run, line["suite"], line.get("variant"), line["case"])
    for s in line.get("samples", []):
        number = s.get("sample", 0)
        for c in s.get("checks", []):
            index, weight = c.get("index"), c.get("weight", 1.0)
            score = c.get("score")
            yield (
                *head,
                number,
                f"assert[{index}]" if index is not None else "implicit",
                index,
                c["type"],
                c.get("path"),
                c["passed"],
                weight > 0,
                NAN if score is None else score,
                weight,
                c.get("message", ""),
                c.get("line"),
            )


def _request_rows(run: str, line: DetailLine) -> Iterator[tuple[Any, ...]]:
    head = (run, line["suite"], line.get("variant"), line["case"])
    for s in line.get("samples", []):
        number = s.get("sample", 0)
        model = s.get("model") or line.get("model_requested") or None
        source, rate = s.get("source") or None, s.get("rate", "standard")
        cost = s.get("cost_usd", 0.0)
        cost = NAN if cost is None else cost
        turns = s.get("turns", [])
        if turns:
            alone = len(turns) == 1  # the sample's cost and cached tokens are this turn's
            for t in turns:
                yield (
                    *head,
                    number,
                    "case",
                    t.get("turn", 0),
                    model,
                    source,
                    rate,
                    True,
                    t.get("input_tokens", 0),
                    s.get("cached_tokens", 0) if alone else None,
                    t.get("output_tokens", 0),
                    cost if alone else NAN,
                    t.get("latency_ms", 0.0),
                    _f(t.get("ttft_ms")),
                    t.get("finish_reason"),
                    len(t.get("tool_calls", [])),
                    t.get("request_id"),
                )
        else:
            answered = s.get("output") is not None
            yield (
                *head,
                number,
                "case",
                0,
                model,
                source,
                rate,
                answered,
                s.get("input_tokens", 0),
                s.get("cached_tokens", 0),
                s.get("output_tokens", 0),
                cost,
                s.get("latency_ms", 0.0) if answered else NAN,
                _f(s.get("ttft_ms")),
                s.get("finish_reason"),
                len(s.get("tool_calls", [])),
                s.get("request_id"),
            )
        for a in s.get("aux", []):
            aux_cost = a.get("cost_usd")
            yield (
                *head,
                number,
                a["kind"],
                None,
                a["model"] or None,
                a.get("source") or None,
                a.get("rate", "standard"),
                True,
                a.get("input_tokens", 0),
                None,
                a.get("output_tokens", 0),
                NAN if aux_cost is None else aux_cost,
                NAN,
                NAN,
                None,
                None,
                None,
            )


_BUILDERS: dict[str, tuple[Any, Any]] = {
    "cases": (CASES, _case_rows),
    "samples": (DETAILS, _sample_rows),
    "checks": (DETAILS, _check_rows),
    "requests": (DETAILS, _request_rows),
}


def table(name: str, runs: Runs, results_dir: Path | None = None) -> Table:
    """The frame ``name`` (cases, samples, checks, requests) of ``runs``, and its warnings."""
    if name not in _BUILDERS:
        raise ConfigError(f"no table {name!r}: choose one of {', '.join(cols.TABLES)}")
    adapter, to_rows = _BUILDERS[name]
    builder = cols.Builder(cols.TABLES[name])
    got = read(runs, adapter, to_rows, builder, results_dir)
    df = builder.frame()
    df.attrs["runs"] = got.labels
    df.attrs["warnings"] = got.warnings
    return Table(df, got.warnings, got.paths)


def _public(name: str, runs: Runs, results_dir: Path | None) -> pd.DataFrame:
    got = table(name, runs, results_dir)
    for text in got.warnings:
        warnings.warn(DamagedRun(text), stacklevel=3)
    return got.frame


def cases_df(runs: Runs, *, results_dir: Path | None = None) -> pd.DataFrame:
    """One row per case per run: its verdict, rate, interval, tokens, cost, latency."""
    return _public("cases", runs, results_dir)


def samples_df(runs: Runs, *, results_dir: Path | None = None) -> pd.DataFrame:
    """One row per sample: its answer, usage and latency."""
    return _public("samples", runs, results_dir)


def checks_df(runs: Runs, *, results_dir: Path | None = None) -> pd.DataFrame:
    """One row per check result of every sample."""
    return _public("checks", runs, results_dir)


def requests_df(runs: Runs, *, results_dir: Path | None = None) -> pd.DataFrame:
    """One row per request: each turn of a case's samples, each of the checks' own calls."""
    return _public("requests", runs, results_dir)
