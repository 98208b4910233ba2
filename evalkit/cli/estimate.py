"""``evalkit estimate [SUITE...] [--variant V|--all-variants] [--mode M] [--max-cost USD]
[--json FILE]``: before any call, what a run would send and cost, live and batch
(:func:`evalkit.runs.estimate.estimate_project`); under a cap, whether a run would start.
Prints the estimate, writes it as JSON on request; exit 0 (bad input 2).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Mode
from ..errors import ConfigError
from ..io.redaction import redact
from .common import EXIT_OK

if TYPE_CHECKING:
    from ..runs.estimate import CapVerdict

MODES = ("record", "batch", "rerecord", "live")  # replay sends nothing: nothing to estimate
RATE_LABELS = {"standard": "live or record", "batch": "batch"}


def add_parser(subparsers: Any) -> None:
    estimate = subparsers.add_parser(
        "estimate",
        help="before any call: requests to send, tokens and cost (live and batch)",
    )
    estimate.add_argument("suites", nargs="*", metavar="SUITE")
    estimate.add_argument("--variant", help="a named variant (or base, or key=value)")
    estimate.add_argument(
        "--all-variants", action="store_true", help="the suites as written and every variant"
    )
    estimate.add_argument(
        "--mode",
        choices=MODES,
        default=None,
        help="record or batch (default): recorded requests are not sent; rerecord or live: "
        "every request is",
    )
    estimate.add_argument(
        "--max-cost",
        type=float,
        dest="max_cost_usd",
        metavar="USD",
        help="say whether a run under this cap would start",
    )
    estimate.add_argument("--json", metavar="FILE", help="write the estimate as JSON")


def run(args: argparse.Namespace) -> int:
    from ..runs.estimate import estimate_project

    found = estimate_project(
        args.suites,
        variant=args.variant,
        all_variants=args.all_variants,
        mode=Mode(args.mode) if args.mode else Mode.RECORD,
        max_cost_usd=args.max_cost_usd,
    )
    print(redact(found.estimate.text()))
    if found.cap_usd is not None:
        if found.unknown_price:
            print(redact(found.unknown_price))
        for verdict in found.verdicts:
            print(
                f"with --max-cost {verdict.cap_usd:g}, a {RATE_LABELS[verdict.rate]} run {words(verdict)}"
            )
    if args.json:
        path = Path(args.json)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(found.estimate.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the estimate: {exc.strerror or exc}", path) from None
        print(f"json estimate: {args.json}")
    return EXIT_OK


def words(verdict: CapVerdict) -> str:
    upper, cap = verdict.upper_usd, verdict.cap_usd
    if upper is None:
        return "would not start (its upper bound is unknown)"
    if upper > cap:
        return f"would not start (up to ${upper:.4f} > ${cap:g})"
    return f"would start (up to ${upper:.4f} <= ${cap:g})"
