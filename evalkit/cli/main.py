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
import gc
import importlib
import sys
from collections.abc import Iterator, MutableMapping, Sequence
from types import ModuleType
from typing import NoReturn

from ..errors import EvalkitError
from ..io.redaction import redact
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


class Commands(MutableMapping[str, ModuleType]):
    """Command → its module, imported when first asked for: ``evalkit run`` loads the run
    command's modules and not the viewer's, the importers' or the validator's (about a
    fifth of a command's start-up)."""

    def __init__(self, names: dict[str, str]):
        self._names = dict(names)
        self._modules: dict[str, ModuleType] = {}

    def __getitem__(self, command: str) -> ModuleType:
        if command not in self._modules:
            module = importlib.import_module(f"{__package__}.{self._names[command]}")
            for other, name in self._names.items():  # a family shares one module
                if name == self._names[command]:
                    self._modules.setdefault(other, module)
        return self._modules[command]

    def __setitem__(self, command: str, module: ModuleType) -> None:
        self._names.setdefault(command, module.__name__.rpartition(".")[2])
        self._modules[command] = module

    def __delitem__(self, command: str) -> None:
        del self._names[command]
        self._modules.pop(command, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


# command → its module, in the order of `evalkit --help`
COMMANDS = Commands(
    {
        "run": "run",
        "record": "run",
        "check": "check",
        "models": "models",
        "calibrate": "calibrate",
        "diff": "diff",
        "report": "report",
        "export": "export",
        "init": "init",
        "lock": "lock",
        "prune": "prune",
        "view": "view",
        "import": "imports",
        "estimate": "estimate",
        "batch": "batch",
    }
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of ``command``'s module (what a command line
    naming it needs; the usage line still lists every command)."""
    parser = Parser(prog="evalkit", description="Prompt regression tests for the OpenAI API.")
    if command is None:
        sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
        modules = [COMMANDS[name] for name in COMMANDS]
    else:
        sub = parser.add_subparsers(
            dest="command",
            required=True,
            parser_class=Parser,
            metavar="{" + ",".join(COMMANDS) + "}",
        )
        modules = [COMMANDS[command]]
    for module in dict.fromkeys(modules):  # each module once, in order
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and words[0] in COMMANDS else None
    if command == "diff":
        words = COMMANDS["diff"].head_runs_then_options(words)
    args = build_parser(command).parse_args(words)
    try:
        code: int = COMMANDS[args.command].run(args)
        return code
    except EvalkitError as exc:  # bad input, found before or during the run
        print(redact(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # before or after a run's own handling: nothing half-written
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def entry() -> NoReturn:
    """The ``evalkit`` command as a process (the console script, ``python -m evalkit.cli``).

    Its objects are frozen out of the garbage collector before the interpreter exits:
    Python's last collection would walk every one of them (a replay's cases and results, a
    live run's SDK objects: 0.1 s and more of a short command) only to free what the
    process's exit frees anyway. Finalizers and atexit handlers still run. ``main`` alone,
    called in process, leaves the collector as it found it."""
    code = main()
    gc.disable()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
