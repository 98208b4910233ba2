"""From runs (and comparisons of them) to the page: the one HTML renderer of evalkit.

``evalkit view``, ``evalkit report --html`` and ``evalkit diff --html`` all end here, so a run
and a comparison look the same wherever they were made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from ..compare.diff import DiffReport, compare
from .history import DEFAULT_LIMIT, load_history
from .load import LoadedRun, load_run, merge
from .models import CaseDiffView, ComparisonView, History, Payload, Start
from .page import render

RunLike = LoadedRun | Path


def _loaded(run: RunLike) -> LoadedRun:
    return run if isinstance(run, LoadedRun) else load_run(run)


def _headline(report: DiffReport) -> str:
    return report.headline()  # the diff's own words: regressions and what was not comparable


def comparison_view(
    a_index: int, b_index: int, a: LoadedRun, b: LoadedRun, report: DiffReport
) -> ComparisonView:
    """The diff's rows, each pointing at its two sides' cases in the page.

    :func:`evalkit.diff.compare` pairs by (suite, case), the last result winning, and so does
    this, so every row finds the results it was computed from."""
    where_a = {(c.suite, c.case): i for i, c in enumerate(a.view.cases)}
    where_b = {(c.suite, c.case): i for i, c in enumerate(b.view.cases)}
    rows = [
        CaseDiffView(
            status=c.status,
            suite=c.suite,
            case=c.case,
            a=where_a.get((c.suite, c.case)),
            b=where_b.get((c.suite, c.case)),
            reason=c.reason,
            changes=[ch.model_dump(mode="json") for ch in c.changes] or None,
            text_diff=c.text_diff,
            d_input_tokens=c.d_input_tokens,
            d_output_tokens=c.d_output_tokens,
            d_cost_usd=c.d_cost_usd,
            d_latency_ms=c.d_latency_ms,
        )
        for c in report.cases
    ]
    return ComparisonView(
        a=a_index,
        b=b_index,
        label_a=report.a,
        label_b=report.b,
        headline=_headline(report),
        suites=[s.model_dump(mode="json") for s in report.suites],
        cases=rows,
    )


def _pairs(count: int) -> list[tuple[int, int]]:
    """Which runs of a multi-run page are compared: every pair of a few runs, else each run
    against the one before it (the comparisons' rows are the page's biggest part)."""
    if count <= 4:
        return list(combinations(range(count), 2))
    return [(i, i + 1) for i in range(count - 1)]


def _history(
    results_dir: Path | None, runs: Sequence[LoadedRun], out: Path | None, limit: int
) -> History | None:
    if results_dir is None or limit <= 0:
        return None
    return load_history(results_dir, runs, out, limit)


def render_view(
    runs: Sequence[RunLike],
    *,
    results_dir: Path | None = None,
    out: Path | None = None,
    history_limit: int = DEFAULT_LIMIT,
    reports: dict[tuple[int, int], DiffReport] | None = None,
    start: Start | None = None,
    title: str | None = None,
) -> str:
    """The page for one or more runs: each run, and comparisons between them (two runs open
    on their comparison); ``results_dir`` adds the history charts of the runs kept there,
    with links relative to ``out`` (where the page will be written)."""
    loaded = [_loaded(r) for r in runs]
    if not loaded:
        raise ValueError("render_view needs at least one run")
    _unique_ids(loaded)
    given = dict(reports or {})
    comparisons = []
    for a, b in sorted(set(_pairs(len(loaded))) | set(given)):
        report = given.get((a, b)) or compare(
            loaded[a].results, loaded[b].results, loaded[a].view.label, loaded[b].view.label
        )
        comparisons.append(comparison_view(a, b, loaded[a], loaded[b], report))
    if start is None:
        start = Start(kind="cmp", index=0) if comparisons else Start(kind="run", index=0)
    labels = [r.view.label for r in loaded]
    payload = Payload(
        title=title
        or "evalkit: " + (" → ".join(labels) if len(labels) == 2 else ", ".join(labels)),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        runs=[r.view for r in loaded],
        comparisons=comparisons,
        start=start,
        history=_history(results_dir, loaded, out, history_limit),
    )
    return render(payload)


def _unique_ids(runs: Sequence[LoadedRun]) -> None:
    """Runs from different folders may share a name (two CI artifacts' ``head``): the page
    addresses runs by id, so later ones get a suffix."""
    seen: set[str] = set()
    for run in runs:
        base, n = run.view.id, 2
        while run.view.id in seen:
            run.view.id = f"{base}~{n}"
            n += 1
        seen.add(run.view.id)


def render_run(
    run: RunLike | Sequence[RunLike],
    *,
    results_dir: Path | None = None,
    out: Path | None = None,
    history_limit: int = DEFAULT_LIMIT,
) -> str:
    """One run as a page (``evalkit report RUN... --html``): several shards of a run are
    shown as their union."""
    shards = [run] if isinstance(run, (LoadedRun, Path)) else list(run)
    merged = merge([_loaded(r) for r in shards])
    return render_view([merged], results_dir=results_dir, out=out, history_limit=history_limit)


def render_comparison(
    a: RunLike | Sequence[RunLike],
    b: RunLike | Sequence[RunLike],
    *,
    report: DiffReport | None = None,
    results_dir: Path | None = None,
    out: Path | None = None,
    history_limit: int = DEFAULT_LIMIT,
    labels: tuple[str, str] | None = None,
) -> str:
    """A comparison as a page (``evalkit diff --html``), opened on the comparison, with both
    runs browsable. ``report`` is the diff already computed (else it is computed here); in
    memory results come in through :func:`evalkit.view.load.from_results`. ``labels`` name
    the sides when several runs (shards) make one."""
    sides = []
    for index, side in enumerate((a, b)):
        shards = [side] if isinstance(side, (LoadedRun, Path)) else list(side)
        label = labels[index] if labels and len(shards) > 1 else None
        sides.append(merge([_loaded(r) for r in shards], label))
    reports = {(0, 1): report} if report is not None else None
    return render_view(
        sides,
        results_dir=results_dir,
        out=out,
        history_limit=history_limit,
        reports=reports,
        start=Start(kind="cmp", index=0),
    )
