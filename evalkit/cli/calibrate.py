"""``evalkit calibrate [SUITE...]``: measure each labelled judge against its human labels
(:mod:`evalkit.runs.calibrate`) and write its record under snapshots/calibrations/.

Prints one line per judge (agreement, kappa, TPR and TNR with their intervals, where the
record went); exit 0 when every judge was measured and meets its ``min_agreement``, 1 when
one is below its bar, or a call failed or the cost cap stopped it (nothing is written for
that judge), 2 for bad input.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ..errors import display_path
from ..io.redaction import redact
from .common import EXIT_FAILED, EXIT_OK, overrides, settings_flags

if TYPE_CHECKING:
    from ..runs.calibrate import Calibrated


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="measure each labelled judge against its human labels (agreement, kappa)",
        description="Run every judge that has `labels:` over its labelled outputs (recorded "
        "like every call) and write its calibration under snapshots/calibrations/.",
    )
    parser.add_argument("suites", nargs="*", metavar="SUITE")
    settings_flags(parser, skip=("processes",))  # calibration sets are small


def _interval(pair: tuple[float, float] | None) -> str:
    return f" [{pair[0]:.2f}, {pair[1]:.2f}]" if pair is not None else ""


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def describe(result: Calibrated) -> str:
    name = f"{result.judge.suite.name}/{result.judge.judge}"
    if result.record is None:
        return f"not calibrated: {name}: {result.error}"
    r = result.record
    c = r.confusion
    lines = [
        f"calibrated {name}: {r.line()}",
        f"  agreement {_rate(r.agreement)}{_interval(r.agreement_interval)}, "
        f"kappa {_rate(r.kappa)}{_interval(r.kappa_interval)}, "
        f"TPR {_rate(r.tpr)}{_interval(r.tpr_interval)}, "
        f"TNR {_rate(r.tnr)}{_interval(r.tnr_interval)} ({r.confidence:.0%} intervals)",
        f"  labels pass/judge pass {c.tp}, pass/fail {c.fn}, fail/pass {c.fp}, fail/fail {c.tn}; "
        f"{len(r.disagreements)} disagreement{'s' if len(r.disagreements) != 1 else ''}; "
        f"{result.calls} judge call{'s' if result.calls != 1 else ''}"
        + (f", ${result.cost_usd:.4f}" if result.cost_usd else ""),
    ]
    if result.path is not None:
        lines.append(f"  written to {display_path(result.path)}")
    bar = result.judge.spec.args.min_agreement
    if result.below:
        lines.append(
            f"below the bar: agreement {_rate(r.agreement)} < min_agreement {bar:g}: the judge "
            "will fail its checks until it agrees better (improve the rubric, prompt or model)"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..runs.calibrate import calibrate

    found = calibrate(args.suites, overrides(args))
    for result in found.results:
        print(redact(describe(result)))
    if found.stopped:
        print(f"stopped: {found.stopped}; the judges after it were not calibrated")
    return EXIT_OK if found.passed else EXIT_FAILED
