"""``evalkit export RUN... --table cases|samples|checks|requests``: a frame of
:mod:`evalkit.analysis` as CSV, JSON lines or Parquet, for a notebook, a spreadsheet or a
warehouse.

Each RUN is its own run (a ``run`` column tells them apart); ``--union`` reads them as one,
as ``evalkit report`` does (CI shards). What was left out of a damaged run is said on
stderr in report's words; the export goes on with what was readable. Without ``-o`` CSV and
JSON lines go to stdout; a file is written whole or not at all and an existing one is
replaced only with ``--force``. Exit 0 when written, 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_OK, print_note, results_dir

TABLES = ("cases", "samples", "checks", "requests")
FORMATS = ("csv", "jsonl", "parquet")


def add_parser(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export", help="runs as a table (cases, samples, checks, requests): CSV, JSONL, Parquet"
    )
    export.add_argument(
        "runs", nargs="+", metavar="RUN", help="run folders, results files or run ids"
    )
    export.add_argument(
        "--table", choices=TABLES, default="cases", help="one row per ... (default: cases)"
    )
    export.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        help="default: from -o's suffix (.csv, .jsonl, .parquet), else csv",
    )
    export.add_argument("-o", "--output", metavar="FILE", help="the file (default: stdout)")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.add_argument(
        "--union",
        action="store_true",
        help="read the runs as one run, as `evalkit report` does (CI shards of one split)",
    )


SUFFIXES = {
    "csv": "csv",
    "jsonl": "jsonl",
    "json": "jsonl",
    "ndjson": "jsonl",
    "parquet": "parquet",
    "pq": "parquet",
}


def _format(args: argparse.Namespace) -> str:
    """--format, else -o's suffix, else csv."""
    if args.fmt:
        return str(args.fmt)
    suffix = Path(args.output).suffix.lstrip(".").lower() if args.output else ""
    return SUFFIXES.get(suffix, "csv")


def run(args: argparse.Namespace) -> int:
    from ..analysis import export, table
    from ..errors import ConfigError

    fmt = _format(args)
    if fmt == "parquet":
        if not args.output:
            raise ConfigError("--format parquet writes a binary file: give -o FILE")
        export.needs_pyarrow()
    if args.output:  # before reading: a refusal costs nothing
        export.check_target(Path(args.output), force=args.force, runs=[])
    runs = [list(args.runs)] if args.union else list(args.runs)
    got = table(args.table, runs, results_dir())
    for warning in got.warnings:
        print_note(f"warning: {warning}")
    if not args.output:
        sys.stdout.write(export.text(got.frame, fmt))
        return EXIT_OK
    export.write(got.frame, fmt, Path(args.output), force=args.force, runs=got.paths)
    print(f"{args.table}: {len(got.frame):,} rows to {args.output} ({fmt})")
    return EXIT_OK
