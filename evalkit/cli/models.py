"""``evalkit models [SUITE...] [--refresh] [--format text|json]``: every model the project
uses, where it is pinned, its shutdown date, status and days left (see
:mod:`evalkit.project.lifecycle`).

``--refresh`` first asks each server the models live on (``GET /v1/models``) and writes
``snapshots/models.json``, to commit so offline CI knows the dates. Exit 0 (the table is
information; ``evalkit check`` and pytest are the gates); 2 on bad input or a server that
cannot be asked.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..errors import display_path
from ..project.lifecycle import (
    STALE_DAYS,
    ModelsFile,
    ModelState,
    models_path,
    project_states,
    refresh,
)
from ..project.open import open_project
from ..wire.lifecycle import today
from .common import EXIT_OK


def add_parser(subparsers: Any) -> None:
    models = subparsers.add_parser(
        "models", help="the models the project uses: where pinned, shutdown dates, days left"
    )
    models.add_argument(
        "suites", nargs="*", metavar="SUITE", help="only these suites' models (default: all)"
    )
    models.add_argument(
        "--refresh",
        action="store_true",
        help="ask each server's /v1/models first and write snapshots/models.json",
    )
    models.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    project = open_project(args.suites)
    day = today()
    if args.refresh:
        path = refresh(project)
        print(f"wrote {display_path(path)}: commit it, so offline CI knows the dates")
    found, models = project_states(project, today=day)
    if args.format == "json":
        payload = {
            "today": day.isoformat(),
            "models_file": _file_note(models, day, project),
            "models": [state.model_dump(mode="json") for state in found],
        }
        print(json.dumps(payload, indent=1, default=str))
        return EXIT_OK
    print(table(found))
    print(_file_note(models, day, project))
    return EXIT_OK


def table(found: list[ModelState]) -> str:
    """One row per model, then each place it is pinned."""
    rows = [("MODEL", "STATUS", "SHUTDOWN", "DAYS LEFT", "SERVER")]
    for state in found:
        rows.append(
            (
                state.model,
                state.status + (" (not listed)" if state.listed is False else ""),
                f"{state.shutdown_date:%Y-%m-%d}" if state.shutdown_date else "-",
                "-" if state.days_left is None else str(max(state.days_left, 0)),
                state.server,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    width = max((len(u.where) for s in found for u in s.uses), default=0)
    for index, row in enumerate(rows):
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in pairs]
        lines.append("  ".join(cells).rstrip())
        if index:
            state = found[index - 1]
            for use in state.uses:
                lines.append(f"    {use.where.ljust(width)}  {use.what}")
    if not found:
        lines.append("(no models: the suites call none)")
    return "\n".join(lines)


def _file_note(models: ModelsFile | None, day: Any, project: Any) -> str:
    path = display_path(models_path(project.settings))
    if models is None:
        return (
            f"dates: OpenAI's announced shutdowns bundled with evalkit (no {path}: "
            "`evalkit models --refresh` asks the servers and writes it)"
        )
    age = models.age_days(day)
    old = f"; over {STALE_DAYS} days old: refresh it" if age > STALE_DAYS else ""
    return (
        f"dates: {path} (refreshed {models.refreshed_at:%Y-%m-%d}, {max(age, 0)} days ago{old}), "
        "then OpenAI's announced shutdowns bundled with evalkit"
    )
