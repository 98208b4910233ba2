"""Reading run folders for the viewer: whatever is readable, with a note for what is not.

A run folder is ``<results>/<run-id>/`` with ``run.json`` and ``results.jsonl``. The viewer
is what a person opens when something went wrong, so it reads damaged runs too: a torn last
line (a crash mid-write), a line of another shape or a missing ``run.json`` become notes the
page shows next to what could be read, never an exception. Only a path that is no run at all
is a usage error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ConfigError, display_path
from ..io.jsonfile import load_bounded
from ..results import CaseResult, percentile
from ..results.folder import RESULTS, ResultsFile, meta_file, results_file
from ..results.verdicts import not_run_reason
from ..stats import wilson
from .models import RunView, Skipped, SuiteStats, Verdict, ViewCase, ViewSample


@dataclass
class LoadedRun:
    """A run for the page (``view``) and, slimmed, for :func:`evalkit.diff.compare`."""

    view: RunView
    results: list[CaseResult] = field(default_factory=list)
    folder: Path | None = None


def check_kind(type_: str, path: str | None) -> str:
    """``not contains at summary`` → ``contains``: the assertion type alone."""
    kind = type_.removeprefix("not ")
    if path and kind.endswith(f" at {path}"):
        kind = kind[: -len(f" at {path}")]
    return kind


def verdict(case: ViewCase) -> Verdict:
    """The case's verdict by the results layer's rule (a case that did not run has none)."""
    if not_run_reason(case.status, case.samples) is not None:
        return "not run"
    if case.verdict == "inconclusive":
        return "inconclusive"
    if case.passed:
        return "passed"
    if any(s.error for s in case.samples):
        return "error"
    return "failed"


def _slim(result: CaseResult) -> CaseResult:
    """What a comparison needs of a result (verdicts, outputs, usage), not its checks."""
    samples = [s.model_copy(update={"checks": [], "aux": []}) for s in result.samples]
    return result.model_copy(update={"samples": samples})


def _slim_result(data: dict[str, Any]) -> CaseResult:
    """The same from a results line, without validating the checks twice (the page's
    model validates them)."""
    samples = data.get("samples")
    if isinstance(samples, list):
        data = {
            **data,
            "samples": [
                {**s, "checks": [], "aux": []} if isinstance(s, dict) else s for s in samples
            ],
        }
    return CaseResult.model_validate(data)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def view_case(data: dict[str, Any], line_no: int | None = None) -> ViewCase:
    """A result's JSON as the page shows it: verdict and check kinds filled in."""
    case = ViewCase.model_validate(data)
    if case.file:
        case.file = display_path(case.file)  # suites/triage.yaml, not the absolute path
    for sample in case.samples:
        for check in sample.checks:
            check.kind = check_kind(check.type, check.path)
    case.verdict = verdict(case)
    case.line_no = line_no
    return case


def read_results_file(path: Path) -> tuple[list[ViewCase], list[CaseResult], list[Skipped]]:
    """Every readable result (the last line per case wins: a resumed run appends its
    re-runs), and every line that was skipped with why."""
    cases: dict[str, tuple[ViewCase, CaseResult]] = {}
    skipped: list[Skipped] = []
    shown = display_path(path)
    try:
        records = list(ResultsFile(path).records())
    except ConfigError as exc:
        return [], [], [Skipped(file=shown, line=0, reason=exc.message)]
    for number, line, data in records:
        index = number - 1
        if isinstance(data, ConfigError):
            why = (
                "cut short (a crash mid-write?); `evalkit run --resume` runs that case again"
                if not line.endswith("\n")
                else data.message
            )
            skipped.append(Skipped(file=shown, line=number, reason=why))
            continue
        if not isinstance(data, dict):
            skipped.append(Skipped(file=shown, line=index + 1, reason="not a case result"))
            continue
        try:
            case = view_case(data, index + 1)
            result = _slim_result(data)
        except ValidationError as exc:
            skipped.append(
                Skipped(
                    file=shown, line=index + 1, reason=f"not a case result ({_first_error(exc)})"
                )
            )
            continue
        cases[case.item_id] = (case, result)
    return [c for c, _ in cases.values()], [r for _, r in cases.values()], skipped


def _read_meta(folder: Path, notes: list[str]) -> dict[str, Any]:
    path = meta_file(folder)
    if not path.is_file():
        notes.append(f"{display_path(path)} is missing: the run's settings are unknown")
        return {}
    try:
        meta = load_bounded(path, what="the run metadata", max_bytes=1024 * 1024)
    except ConfigError as exc:
        notes.append(f"{exc}; the run's settings are unknown")
        return {}
    if not isinstance(meta, dict):
        notes.append(f"{display_path(path)}: not a JSON object; the run's settings are unknown")
        return {}
    return meta


def load_run(path: Path) -> LoadedRun:
    """Read a run folder or a results file (see :func:`evalkit.results.folder.find_run` for a run id)."""
    notes: list[str] = []
    if path.is_dir():
        folder: Path | None = path
        results_path = results_file(path)
        meta = _read_meta(path, notes)
    else:
        folder, results_path = None, path
        meta = _read_meta(path.parent, []) if path.name == RESULTS else {}
        if path.name == RESULTS:
            folder = path.parent
    if results_path.is_file():
        cases, results, skipped = read_results_file(results_path)
    else:
        cases, results, skipped = [], [], []
        notes.append(f"{display_path(results_path)} is missing: the run finished no case")
    if skipped:
        notes.append(
            f"{len(skipped)} line(s) of {display_path(results_path)} skipped: "
            + "; ".join(f"line {s.line}: {s.reason}" for s in skipped[:5])
            + ("; ..." if len(skipped) > 5 else "")
        )
    label = str(meta.get("run_id") or (folder.name if folder else path.stem))
    view = RunView(
        id=label,
        label=label,
        source=display_path(folder if folder else path),
        meta=meta,
        cases=cases,
        skipped=skipped,
        notes=notes,
        suites=suite_stats(cases),
    )
    return LoadedRun(view=view, results=results, folder=folder)


def from_results(label: str, results: Iterable[CaseResult]) -> LoadedRun:
    """A run held in memory (``evalkit diff`` of two variants runs both without folders)."""
    kept = list(results)
    cases = [view_case(r.model_dump(mode="json")) for r in kept]
    view = RunView(id=label, label=label, cases=cases, suites=suite_stats(cases))
    return LoadedRun(view=view, results=[_slim(r) for r in kept])


def merge(runs: Sequence[LoadedRun], label: str | None = None) -> LoadedRun:
    """Several shards of one run (CI machines) as one: the union of their cases."""
    if len(runs) == 1 and label is None:
        return runs[0]
    name = label or "+".join(r.view.label for r in runs)
    by_id: dict[str, tuple[ViewCase, CaseResult]] = {}
    for run in runs:
        for case, result in zip(run.view.cases, run.results, strict=True):
            by_id[case.item_id] = (case, result)
    cases = [c for c, _ in by_id.values()]
    view = RunView(
        id=name,
        label=name,
        source=", ".join(r.view.source for r in runs if r.view.source),
        meta={"shards": [r.view.id for r in runs]},
        cases=cases,
        skipped=[s for r in runs for s in r.view.skipped],
        notes=[n for r in runs for n in r.view.notes],
        suites=suite_stats(cases),
    )
    return LoadedRun(view=view, results=[r for _, r in by_id.values()])


# -- statistics -------------------------------------------------------------------------


@dataclass
class Row:
    """One case reduced to what the suite statistics need."""

    suite: str
    variant: str | None
    verdict: Verdict
    cost_usd: float | None
    latencies: list[float]  # one per answered sample (request), as the results layer counts
    tokens: int


def row_of(case: ViewCase) -> Row:
    costs = [s.cost_usd for s in case.samples]
    return Row(
        suite=case.suite,
        variant=case.variant,
        verdict=case.verdict,
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        latencies=[s.latency_ms for s in case.samples if s.error is None],
        tokens=sum(s.input_tokens + s.output_tokens for s in case.samples),
    )


def row_of_json(data: dict[str, Any]) -> Row | None:
    """The same from a results line without validating all of it (history reads every run
    in the results folder, so it reads only what it needs)."""
    try:
        raw_samples = data.get("samples") or []
        samples = [
            ViewSample.model_construct(
                passed=bool(s.get("passed")),
                error=s.get("error"),
                remedy=_text(s.get("remedy")),
                not_run=_text(s.get("not_run")),
                cost_usd=s.get("cost_usd"),
                latency_ms=float(s.get("latency_ms") or 0.0),
                input_tokens=int(s.get("input_tokens") or 0),
                output_tokens=int(s.get("output_tokens") or 0),
            )
            for s in raw_samples
            if isinstance(s, dict)
        ]
        case = ViewCase.model_construct(
            suite=str(data["suite"]),
            case=str(data["case"]),
            variant=data.get("variant"),
            passed=bool(data["passed"]),
            status=str(data.get("status", "done")),
            samples=samples,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    case.verdict = verdict(case)
    return row_of(case)


def _text(value: Any) -> str | None:
    """A results line's optional text field as read without validating it."""
    return value if isinstance(value, str) else None


def stats_of_rows(rows: Iterable[Row], split: str = "variants") -> list[SuiteStats]:
    """Per suite[variant] (``split="variants"``: a run's summary), or per suite, apart by
    variant only where the rows hold several variants of it (``split="mixed"``: the history,
    where a suite is one series whichever variant each run used)."""
    rows = list(rows)
    variants: dict[str, set[str | None]] = {}
    for row in rows:
        variants.setdefault(row.suite, set()).add(row.variant)
    groups: dict[str, list[Row]] = {}
    for row in rows:
        apart = split == "variants" or len(variants[row.suite]) > 1
        group = row.suite + (f"[{row.variant}]" if apart and row.variant else "")
        groups.setdefault(group, []).append(row)
    out = []
    for group in sorted(groups):
        items = groups[group]
        total = len(items)
        passed = sum(r.verdict == "passed" for r in items)
        not_run = sum(r.verdict == "not run" for r in items)
        ran = total - not_run  # a case that did not run has no verdict: in neither count
        low, high = wilson(passed, ran)
        costs = [r.cost_usd for r in items]
        cost = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)
        latencies = [x for r in items for x in r.latencies]
        out.append(
            SuiteStats(
                suite=group,
                total=total,
                passed=passed,
                failed=sum(r.verdict == "failed" for r in items),
                errors=sum(r.verdict == "error" for r in items),
                not_run=not_run,
                pass_rate=passed / ran if ran else 0.0,
                low=low,
                high=high,
                cost_per_1000=None if cost is None or not total else cost / total * 1000,
                p50_ms=percentile(latencies, 50),
                p95_ms=percentile(latencies, 95),
                tokens=sum(r.tokens for r in items),
                cost_usd=cost,
            )
        )
    return out


def suite_stats(cases: Iterable[ViewCase], split: str = "variants") -> list[SuiteStats]:
    return stats_of_rows((row_of(c) for c in cases), split)
