"""``evalkit prune [SUITE...] [--yes]``: list the recordings and output snapshots that no
case, variant or hand-written test uses any more (see :mod:`evalkit.project.prune`), and
with ``--yes`` delete them.

Prints one line per file (path: why), then what was done. Exit 0; 2 when prune refuses
(a suite that does not load, a case that does not plan: nothing is deleted then).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import display_path
from ..project.prune import delete, find_unused
from .common import EXIT_OK


def add_parser(subparsers: Any) -> None:
    prune = subparsers.add_parser(
        "prune", help="list (and with --yes delete) recordings and snapshots nothing uses"
    )
    prune.add_argument(
        "suites", nargs="*", metavar="SUITE", help="only these suites' files (default: all)"
    )
    prune.add_argument("--yes", action="store_true", help="delete the files listed")


def run(args: argparse.Namespace) -> int:
    report = find_unused(args.suites)
    for item in report.unused:
        print(f"{display_path(item.path)}: unused {item.kind}: {item.why}")
    for path, why in report.unreadable:
        print(f"{display_path(path)}: kept, its owner cannot be read ({why})")
    count = len(report.unused)
    if not count:
        print("nothing to prune: every recording and snapshot has an owner")
    elif args.yes:
        delete(report)
        print(f"deleted {count} unused file(s)")
    else:
        print(f"{count} unused file(s); delete them with `evalkit prune --yes`")
    return EXIT_OK
