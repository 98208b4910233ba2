"""What every command module shares: exit codes, the parser class, the settings and output
flags, and the few helpers that write a report file or wait for a signal.

Rules: nothing here knows a command; settings flags come from :data:`evalkit.config.OPTIONS`
only (so the CLI and the pytest plugin cannot drift); every text written or printed that may
carry a secret goes through :func:`evalkit.io.redaction.redact`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..config import OPTIONS, find_root, load_settings
from ..errors import ConfigError
from ..io.redaction import redact

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# How the CLI words a failure's remedy (a CaseError names the remedy, each front its flags).
REMEDIES = {"record": "run with --mode record (or `evalkit record`)"}


class Parser(argparse.ArgumentParser):
    """evalkit's parser: every usage error is the usage line, one reason line, exit 2."""

    def error(self, message: str) -> Any:
        """A usage error: the usage line, the reason, exit 2 (as every usage error here)."""
        self.print_usage(sys.stderr)
        print(f"evalkit: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def settings_flags(parser: argparse.ArgumentParser, *, skip: tuple[str, ...] = ()) -> None:
    """One flag per setting of :data:`OPTIONS` (but ``skip``), its value under the setting's
    name, so :func:`overrides` hands it to the library unchanged."""
    for option in OPTIONS:
        if option.setting in skip:
            continue
        parser.add_argument(
            option.flag,
            dest=option.setting,
            type=option.type,
            choices=option.choices,
            metavar=option.metavar,
            help=option.help + (f"; also {option.env}" if option.env else ""),
        )


def output_flags(parser: argparse.ArgumentParser) -> None:
    """The report files a command can write besides what it prints."""
    parser.add_argument("--markdown", metavar="FILE", help="write a markdown report")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--json", metavar="FILE", help="write the report as JSON")


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags (those not given are left to pyproject and the
    environment)."""
    keys = [o.setting for o in OPTIONS] + ["update_snapshots"]
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def results_dir() -> Path:
    """The results folder of the project the command runs in."""
    return load_settings(find_root(Path.cwd())).results_dir


def write_output(target: str, text: str, what: str) -> None:
    """Write a report file (redacted), its folders first; say where. An unwritable path is
    a ConfigError (exit 2) naming it."""
    path = Path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the {what}: {exc.strerror or exc}", path) from None
    print(f"{what}: {target}")


def write_html(target: str, render: Callable[[Path], str]) -> None:
    """The viewer page (one HTML renderer for report, diff and view); ``render`` is given
    the page's path, so its links are relative to where it is written."""
    write_output(target, render(Path(target)), "html report")


def print_note(text: str | None) -> None:
    """A note to the person at the terminal (stderr, redacted); nothing when ``None``."""
    if text:
        print(redact(text), file=sys.stderr)


async def until_signal(work: Callable[[], Awaitable[None]]) -> None:
    """Await ``work()``; SIGINT or SIGTERM cancels it cleanly (a run's finished cases are
    already written), so the caller sees a CancelledError and says how to resume."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await work()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
