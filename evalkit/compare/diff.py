"""Paired comparison of two runs of the same cases: per case what changed, per suite whether
it matters (Wilson intervals, an exact McNemar test, a paired bootstrap for repeats), and
what it does to cost and latency. The statistics are in stats.py; the figures (sums of
tokens and cost over samples, mean latency per case, p50/p95 over requests) are the
results layer's, so a diff and a run's own report agree.

A pair is only compared when both verdicts exist and mean the same thing: a side that did
not run has no verdict (results/verdicts.py), and a side whose reviewed snapshot is missing
(the other side has one) failed for want of a reference, not for its output. Such a pair is
"not comparable", with the reason: never a regression or a fix, counted and listed apart,
left out of the paired statistics. A gate cannot pass on what it could not compare: under
``--fail-on regressions`` or ``pass-rate`` the diff fails while a pair is not comparable and
the head side did not pass (a head that passed has no regression, whatever the base did)."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from ..results import CaseResult, Figures, SuiteFigures
from ..stats import Change, PairedCounts, mcnemar_exact, paired_bootstrap, wilson
from ..stats import compare_case as noise_test
from ..stats import compare_suite as suite_noise_test
from .changes import output_changes, parsed_output, tool_changes
from .models import (
    CaseDiff,
    DiffReport,
    NotComparable,
    Side,
    SuiteDiff,
    SuiteNoise,
)

__all__ = [
    "LIMIT",
    "CaseDiff",
    "Comparer",
    "DiffReport",
    "SuiteDiff",
    "compare",
    "compare_case",
    "output_changes",
]


@dataclass(slots=True)
class _Slim:
    """What a comparison needs of one side's case."""

    passed: bool
    samples: tuple[int, int] | None
    input_tokens: int
    output_tokens: int
    cost: float | None
    latency: float  # mean over answered samples
    latencies: tuple[float, ...]  # one per answered request
    fraction: float  # share of passing samples
    digest: bytes  # of the first output, JSON canonicalised (b"" when there is none)
    at: int = -1  # where the first output is in the spool (-1: held in `text` or none)
    size: int = 0
    text: str | None = None
    matched: bool = False
    tool_calls: tuple[dict[str, Any], ...] = ()  # the first sample's calls (name, arguments)
    turns: int = 1  # the first sample's model turns
    ttft: float | None = None  # the first sample's time to first token
    not_run: str | None = None  # why it has no verdict (results/verdicts.py)
    unreviewed: bool = False  # it failed for want of a reviewed snapshot
    confidence: float = 0.95


def _digest(text: str | None, calls: Sequence[dict[str, Any]] = ()) -> bytes:
    """Equal digests ⇔ :func:`output_changes` and :func:`tool_changes` see no change."""
    if calls:
        shape = [(c.get("name"), c.get("arguments")) for c in calls]
        text = json.dumps(shape, sort_keys=True, default=str) + "\x00" + (text or "")
    if text is None:
        return b""
    parsed = parsed_output(text)
    body = (
        "j" + json.dumps(parsed, sort_keys=True, separators=(",", ":"))
        if isinstance(parsed, (dict, list))
        else "t" + text
    )
    return hashlib.blake2b(body.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _slim(result: CaseResult) -> _Slim:
    samples = result.samples
    return _Slim(
        passed=result.passed,
        samples=(result.samples_passed, len(samples)) if samples else None,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cost=result.cost_usd,
        latency=result.latency_ms,
        latencies=tuple(s.latency_ms for s in samples if s.answered),
        fraction=result.samples_passed / len(samples) if samples else 0.0,
        digest=_digest(
            samples[0].output if samples else None, samples[0].tool_calls if samples else ()
        ),
        text=samples[0].output if samples else None,
        tool_calls=tuple(
            {"name": c.get("name"), "arguments": c.get("arguments")} for c in samples[0].tool_calls
        )
        if samples
        else (),
        turns=max(len(samples[0].turns), 1) if samples else 1,
        ttft=samples[0].ttft_ms if samples else None,
        not_run=result.not_run_reason,
        unreviewed=any(s.unreviewed for s in samples),
        confidence=result.confidence,
    )


class _Spool:
    """Side A's first outputs, on disk: a diff keeps their digests, and reads an output
    back only for a case diff it lists."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0

    def put(self, slim: _Slim) -> None:
        if slim.text is None:
            return
        data = slim.text.encode("utf-8", "surrogatepass")
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._file.seek(self._end)
        self._file.write(data)
        slim.at, slim.size, slim.text = self._end, len(data), None
        self._end += len(data)

    def text(self, slim: _Slim) -> str | None:
        if slim.at < 0 or self._file is None:
            return slim.text
        self._file.seek(slim.at)
        return self._file.read(slim.size).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _case_diff(
    suite: str,
    case: str,
    a: _Slim | None,
    b: _Slim | None,
    status: str,
    out_a: str | None,
    out_b: str | None,
    labels: tuple[str, str] = ("A", "B"),
) -> CaseDiff:
    changes, text = output_changes(out_a, out_b)
    calls = tool_changes(list(a.tool_calls) if a else [], list(b.tool_calls) if b else [])
    ttft = None
    if a is not None and b is not None and a.ttft is not None and b.ttft is not None:
        ttft = b.ttft - a.ttft
    cost = None
    if a is not None and b is not None and a.cost is not None and b.cost is not None:
        cost = b.cost - a.cost
    noise = _noise(a, b) if a is not None and b is not None else None
    return CaseDiff(
        suite=suite,
        case=case,
        status=status,
        noise_p=None if noise is None else round(noise.p_value, 6),
        settle=noise.samples_to_settle if noise is not None and status == "flip" else None,
        a_passed=a.passed if a else None,
        b_passed=b.passed if b else None,
        reason=_why_not_comparable(a, b, labels) if a and b else None,
        a_samples=a.samples if a else None,
        b_samples=b.samples if b else None,
        changes=changes,
        text_diff=text,
        d_input_tokens=(b.input_tokens - a.input_tokens) if a and b else 0,
        d_output_tokens=(b.output_tokens - a.output_tokens) if a and b else 0,
        d_cost_usd=cost,
        d_latency_ms=(b.latency - a.latency) if a and b else 0.0,
        tool_changes=calls,
        d_turns=(b.turns - a.turns) if a and b else 0,
        d_ttft_ms=ttft,
    )


def _why_not_comparable(a: _Slim, b: _Slim, labels: tuple[str, str]) -> str | None:
    """Why this pair's verdicts cannot be compared (see the module), or None."""
    for side, label in ((b, labels[1]), (a, labels[0])):
        if side.not_run:
            return f"{label} did not run: {side.not_run}"
    if a.unreviewed != b.unreviewed:
        label = labels[1] if b.unreviewed else labels[0]
        return f"no reviewed snapshot under {label}"
    return None


def _status(a: _Slim | None, b: _Slim | None) -> str:
    if a is None:
        return "only-b"
    if b is None:
        return "only-a"
    if _why_not_comparable(a, b, ("A", "B")) is not None:
        return "not-comparable"
    if a.passed != b.passed:
        noise = _noise(a, b)
        if noise is not None and noise.decision is Change.WITHIN_NOISE:
            return "flip"  # the verdicts differ, the samples do not show a change
        return "regression" if a.passed else "fix"
    return "pass" if a.passed else "fail"


def _noise(a: _Slim, b: _Slim) -> Any:
    """The per-case test of a change beyond noise (one-sided Fisher on both sides'
    samples), when either side has repeats; None for single samples, whose verdict flip is
    the change."""
    if a.samples is None or b.samples is None or max(a.samples[1], b.samples[1]) < 2:
        return None
    if not a.samples[1] or not b.samples[1]:
        return None
    return noise_test(*a.samples, *b.samples, min(a.confidence, b.confidence), limit=100_000)


def _dropped(a: _Slim, b: _Slim) -> bool:
    """Fewer passing samples under B than under A (as :attr:`CaseDiff.samples_dropped`)."""
    if a.samples is None or b.samples is None:
        return False
    (ka, na), (kb, nb) = a.samples, b.samples
    return max(na, nb) > 1 and bool(na and nb) and kb / nb < ka / na


def compare_case(
    a: CaseResult | None, b: CaseResult | None, labels: tuple[str, str] = ("A", "B")
) -> CaseDiff:
    ref = a or b
    assert ref is not None
    sa, sb = (_slim(a) if a else None), (_slim(b) if b else None)
    return _case_diff(
        ref.suite,
        ref.case,
        sa,
        sb,
        _status(sa, sb),
        sa.text if sa else None,
        sb.text if sb else None,
        labels,
    )


@dataclass
class _SuiteFold:
    """One suite's statistics, folded pair by pair."""

    paired: int = 0
    a_passed: int = 0
    b_passed: int = 0
    a_figures: SuiteFigures = field(default_factory=SuiteFigures)
    b_figures: SuiteFigures = field(default_factory=SuiteFigures)
    regressions: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    not_comparable: list[NotComparable] = field(default_factory=list)
    sample_drops: list[str] = field(default_factory=list)
    repeat: int = 1
    fractions_a: list[float] = field(default_factory=list)
    fractions_b: list[float] = field(default_factory=list)
    flips: list[str] = field(default_factory=list)
    flips_down: int = 0  # of the flips, those passing under A
    counts: list[PairedCounts] = field(default_factory=list)  # repeated cases, both sides
    confidence: float = 0.95


def _fold_usage(figures: SuiteFigures, side: _Slim) -> None:
    """The part of :meth:`SuiteFigures.add` a diff's sides show: cost per case and
    latencies over requests."""
    figures.cases += 1
    figures.cost = None if side.cost is None or figures.cost is None else figures.cost + side.cost
    figures.latencies.extend(side.latencies)


def _side(label: str, passed: int, total: int, figures: SuiteFigures) -> Side:
    low, high = wilson(passed, total)
    return Side(
        label=label,
        passed=passed,
        total=total,
        low=low,
        high=high,
        cost_per_1000=figures.cost_per_1000,
        p50_ms=figures.p50_ms,
        p95_ms=figures.p95_ms,
    )


LIMIT = 1000  # case diffs a big comparison lists per group (see Comparer)
_ORDER = {
    "regression": 0,
    "not-comparable": 1,
    "flip": 2,
    "fix": 3,
    "only-a": 4,
    "only-b": 5,
    "fail": 6,
    "pass": 7,
}
_GROUPS = ("regression", "not-comparable", "flip", "fix", "only-a", "only-b", "changed", "same")


class Comparer:
    """A paired comparison fed case by case: every case of side A first
    (:meth:`add_a`, the last result of a case winning), then side B's (:meth:`add_b`, each
    case once), then :meth:`finish`.

    ``limit`` bounds the case diffs kept per group (regressions, fixes, only-a, only-b,
    changed outputs, unchanged): None keeps every one; past the limit a group keeps its
    first ``limit`` cases by suite and case, and unchanged cases are not listed at all
    (``DiffReport.counts`` and ``omitted`` say how many there were)."""

    def __init__(self, label_a: str = "A", label_b: str = "B", *, limit: int | None = None):
        self.label_a, self.label_b, self.limit = label_a, label_b, limit
        self._a: dict[tuple[str, str], _Slim] = {}
        self._spool = _Spool()
        self._suites: dict[str, _SuiteFold] = {}
        self._kept: dict[str, list[tuple[tuple[str, str], CaseDiff]]] = {g: [] for g in _GROUPS}
        self._cut: dict[str, tuple[str, str] | None] = dict.fromkeys(_GROUPS)
        self._overflow = False
        self.counts: dict[str, int] = {}

    def add_a(self, result: CaseResult) -> None:
        slim = _slim(result)
        self._spool.put(slim)
        self._a[(sys.intern(result.suite), result.case)] = slim
        self._suites.setdefault(result.suite, _SuiteFold())

    def add_b(self, result: CaseResult) -> None:
        key = (sys.intern(result.suite), result.case)
        a, b = self._a.get(key), _slim(result)
        fold = self._suites.setdefault(result.suite, _SuiteFold())
        status = _status(a, b)
        changed = False
        if a is not None:
            a.matched = True
            if status == "not-comparable":
                reason = _why_not_comparable(a, b, (self.label_a, self.label_b))
                fold.not_comparable.append(
                    NotComparable(case=key[1], reason=reason or "", blocking=not b.passed)
                )
                _fold_usage(fold.a_figures, a)  # what it cost is known, its verdict is not
                _fold_usage(fold.b_figures, b)
            else:
                self._pair(fold, key, a, b, status)
                changed = a.digest != b.digest or _dropped(a, b)
        group = status if status not in ("pass", "fail") else ("changed" if changed else "same")
        self._count(status, group == "changed")
        self._offer(group, key, status, a, b, b.text)

    def _pair(
        self, fold: _SuiteFold, key: tuple[str, str], a: _Slim, b: _Slim, status: str
    ) -> None:
        fold.paired += 1
        fold.a_passed += a.passed
        fold.b_passed += b.passed
        _fold_usage(fold.a_figures, a)
        _fold_usage(fold.b_figures, b)
        if status == "regression":
            fold.regressions.append(key[1])
        elif status == "fix":
            fold.fixes.append(key[1])
        elif status == "flip":
            fold.flips.append(key[1])
            if a.passed:
                fold.flips_down += 1
        if a.samples and b.samples and max(a.samples[1], b.samples[1]) > 1:
            fold.counts.append(PairedCounts(*a.samples, *b.samples))
            fold.confidence = min(fold.confidence, a.confidence, b.confidence)
        if _dropped(a, b):
            fold.sample_drops.append(key[1])
        fold.repeat = max(
            fold.repeat, a.samples[1] if a.samples else 0, b.samples[1] if b.samples else 0
        )
        fold.fractions_a.append(a.fraction)
        fold.fractions_b.append(b.fraction)

    def _count(self, status: str, changed: bool) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        if changed:
            self.counts["changed"] = self.counts.get("changed", 0) + 1

    def _offer(
        self,
        group: str,
        key: tuple[str, str],
        status: str,
        a: _Slim | None,
        b: _Slim | None,
        out_b: str | None,
    ) -> None:
        """Keep this case's diff if its group has room for it (building it only then:
        that is when side A's output is read back)."""
        cut = self._cut[group]
        if cut is not None and key >= cut:
            self._overflow = True
            return
        out_a = self._spool.text(a) if a is not None else None
        kept = self._kept[group]
        labels = (self.label_a, self.label_b)
        kept.append((key, _case_diff(key[0], key[1], a, b, status, out_a, out_b, labels)))
        if self.limit is not None and len(kept) >= 2 * self.limit:
            self._trim(group)

    def _trim(self, group: str) -> None:
        kept = self._kept[group]
        if self.limit is not None and len(kept) > self.limit:
            kept.sort(key=lambda item: item[0])
            self._cut[group] = kept[self.limit][0]
            del kept[self.limit :]
            self._overflow = True

    def finish(self) -> DiffReport:
        for key, a in self._a.items():
            if not a.matched:
                self._count("only-a", False)
                self._offer("only-a", key, "only-a", a, None, None)
        for group in _GROUPS:
            self._trim(group)
        self._spool.close()
        listed = [
            d for g in _GROUPS if not (self._overflow and g == "same") for _, d in self._kept[g]
        ]
        listed.sort(key=lambda c: (_ORDER[c.status], c.suite, c.case))
        total = sum(v for k, v in self.counts.items() if k != "changed")
        suites = [self._suite_diff(name, fold) for name, fold in sorted(self._suites.items())]
        return DiffReport(
            a=self.label_a,
            b=self.label_b,
            suites=suites,
            cases=listed,
            counts=dict(self.counts),
            omitted=total - len(listed),
        )

    def _suite_diff(self, name: str, fold: _SuiteFold) -> SuiteDiff:
        bootstrap = None
        if fold.repeat > 1:
            bootstrap = paired_bootstrap(fold.fractions_a, fold.fractions_b)
        return SuiteDiff(
            suite=name,
            paired=fold.paired,
            a=_side(self.label_a, fold.a_passed, fold.paired, fold.a_figures),
            b=_side(self.label_b, fold.b_passed, fold.paired, fold.b_figures),
            regressions=sorted(fold.regressions),
            fixes=sorted(fold.fixes),
            not_comparable=sorted(fold.not_comparable, key=lambda n: n.case),
            sample_drops=sorted(fold.sample_drops),
            # over every pair whose verdicts differ, a flip within noise included
            mcnemar_p=mcnemar_exact(
                len(fold.regressions) + fold.flips_down,
                len(fold.fixes) + len(fold.flips) - fold.flips_down,
            ),
            repeat=fold.repeat,
            bootstrap=bootstrap,
            flips=sorted(fold.flips),
            noise=_suite_noise(fold),
        )


def _suite_noise(fold: _SuiteFold) -> SuiteNoise | None:
    if not fold.counts:
        return None
    change = suite_noise_test(fold.counts, fold.confidence, limit=100_000)
    return SuiteNoise(
        decision=change.decision.value,
        p_regression=round(change.p_regression, 6),
        p_fix=round(change.p_fix, 6),
        method=change.method,
        cases=change.cases,
        settle=change.samples_to_settle if change.decision is Change.WITHIN_NOISE else None,
    )


def compare(
    a: Iterable[CaseResult],
    b: Iterable[CaseResult],
    label_a: str = "A",
    label_b: str = "B",
    *,
    limit: int | None = None,
) -> DiffReport:
    """Pair two runs' results by suite and case (variants aside; the last result of a case
    wins on each side) and compare them. Every case diff is listed unless ``limit``."""
    comparer = Comparer(label_a, label_b, limit=limit)
    for result in a:
        comparer.add_a(result)
    for result in {(r.suite, r.case): r for r in b}.values():
        comparer.add_b(result)
    return comparer.finish()


__all__ = [
    "CaseDiff",
    "Comparer",
    "DiffReport",
    "Figures",
    "NotComparable",
    "compare",
    "compare_case",
    "output_changes",
]
