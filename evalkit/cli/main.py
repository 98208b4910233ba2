"""``evalkit``: the parser, the dispatch and the exit codes (0 passed, 1 a gate failed, 2 bad
input, 130 interrupted).

Each command lives in a module of its own with an ``add_parser(subparsers)`` / ``run(args)``
pair (:data:`COMMANDS` lists them in the order ``evalkit --help`` shows); a module may add
a family (``run`` adds ``run`` and ``record``). A command parses, calls the library, prints
and returns its exit code; bad input anywhere is an :class:`EvalkitError`, printed here as
its one line (redacted) with exit 2. Ctrl-C: a run's own handling cancels it cleanly
(SIGINT and SIGTERM, common.until_signal) and says how to resume; anywhere else it is
``interrupted`` and exit 130, with nothing half-written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from ..errors import EvalkitError
from ..io.redaction import redact
from . import (
    batch,
    calibrate,
    check,
    diff,
    estimate,
    export,
    imports,
    init,
    lock,
    models,
    prune,
    report,
    view,
)
from . import run as run_command
from .common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, Parser

__all__ = [
    "COMMANDS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

# command → its module, in the order of `evalkit --help`
COMMANDS: dict[str, ModuleType] = {
    "run": run_command,
    "record": run_command,
    "check": check,
    "models": models,
    "calibrate": calibrate,
    "diff": diff,
    "report": report,
    "export": export,
    "init": init,
    "lock": lock,
    "prune": prune,
    "view": view,
    "import": imports,
    "estimate": estimate,
    "batch": batch,
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="evalkit", description="Prompt regression tests for the OpenAI API.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in dict.fromkeys(COMMANDS.values()):  # each module once, in order
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(diff.head_runs_then_options(words))
    try:
        code: int = COMMANDS[args.command].run(args)
        return code
    except EvalkitError as exc:  # bad input, found before or during the run
        print(redact(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before or after a run's own handling: nothing half-written
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
