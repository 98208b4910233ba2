"""cli/main.py: the parser built from each command module, the dispatch, exit codes and
Ctrl-C; the entry points (`evalkit`, `python -m evalkit.cli`)."""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import tomllib
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from evalkit.cli.main import COMMANDS, EXIT_FAILED, EXIT_INTERRUPTED, build_parser, entry, main

from .support import usage_error

REPO = Path(__file__).resolve().parents[2]
ORDER = ["run", "record", "check", "models", "calibrate", "diff", "report", "export", "init", "lock", "prune", "view", "import",
         "estimate", "batch"]  # fmt: skip


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def test_every_command_module_adds_its_commands_in_help_order() -> None:
    assert list(COMMANDS) == subcommands(build_parser()) == ORDER
    for name, module in COMMANDS.items():
        assert callable(module.add_parser) and callable(module.run), name
        assert module.__name__.startswith("evalkit.cli."), name
    assert COMMANDS["run"] is COMMANDS["record"]  # a family in one module


def test_each_command_parses_to_its_own_name() -> None:
    parser = build_parser()
    for argv in (["run"], ["record"], ["check"], ["diff", "a", "b"], ["report", "r"],
                 ["export", "r"], ["init"], ["lock"], ["view"], ["import", "promptfoo", "c.yaml"],
                 ["estimate"], ["batch", "status", "r"], ["prune"], ["models"], ["calibrate"]):  # fmt: skip
        assert parser.parse_args(argv).command == argv[0]


def test_no_command_or_an_unknown_one_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert usage_error(capsys) == "the following arguments are required: command"
    assert usage_error(capsys, "nosuch").startswith(
        "argument command: invalid choice: 'nosuch' (choose from 'run', 'record',"
    )
    assert usage_error(capsys, "run", "--bogus") == "unrecognized arguments: --bogus"


def test_bad_input_found_by_a_command_is_one_line_and_exit_2(
    project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "nope"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("no run 'nope': expected a run folder")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def fake(run: Any) -> types.ModuleType:
    module = types.ModuleType("evalkit.cli.fake")
    module.add_parser = lambda sub: sub.add_parser("lock")  # type: ignore[attr-defined]
    module.run = run  # type: ignore[attr-defined]
    return module


def test_ctrl_c_outside_a_run_says_interrupted_and_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(COMMANDS, "lock", fake(interrupted))
    assert main(["lock"]) == EXIT_INTERRUPTED == 130
    assert capsys.readouterr() == ("", "interrupted\n")


def test_the_command_s_exit_code_is_main_s(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []

    def failed(args: argparse.Namespace) -> int:
        seen.append(args)
        return EXIT_FAILED

    monkeypatch.setitem(COMMANDS, "lock", fake(failed))
    assert main(["lock"]) == 1 and seen[0].command == "lock"


def test_main_in_process_leaves_the_garbage_collector_as_it_was() -> None:
    """Only the process entry (``entry``) freezes its objects before exiting."""
    frozen = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["--help"])
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_entry_points_reach_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["evalkit"] == "evalkit.cli.main:entry"
    (script,) = metadata.entry_points(group="console_scripts", name="evalkit")
    assert script.load() is entry
    shown = subprocess.run(
        [sys.executable, "-m", "evalkit.cli", "--help"], capture_output=True, text=True
    )
    assert (
        shown.returncode == 0 and "{run,record,check,models,calibrate,diff,report," in shown.stdout
    )
    bad = subprocess.run([sys.executable, "-m", "evalkit.cli"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "evalkit: error: the following arguments are required: command"
    )


IMPORT_EACH = """
import importlib, sys
import evalkit.cli.main
# the parser and a usage error need no SDK: the commands that call the API import it
assert "openai" not in sys.modules, "evalkit.cli.main imports the SDK"
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "evalkit" or m.startswith("evalkit.")]:
        del sys.modules[loaded]
    importlib.import_module(name)
"""


def test_each_command_module_imports_on_its_own() -> None:
    """No module needs another to be imported first (an import circle fails here), and the
    command line itself does not load the SDK."""
    names = sorted({m.__name__ for m in COMMANDS.values()} | {"evalkit.cli.common"})
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *names, "evalkit.view"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


ONLY_RUN = """
import sys
from evalkit.cli.main import build_parser
parser = build_parser("run")
assert parser.parse_args(["run"]).command == "run"
assert "{run,record,check,models,calibrate,diff," in parser.format_usage()  # every command listed
heavy = ("evalkit.view", "evalkit.project.validate", "evalkit.importers", "evalkit.compare.diff")
loaded = [m for m in sys.modules if m.startswith(heavy)]
assert not loaded, loaded
"""


def test_a_command_line_loads_only_the_command_it_runs() -> None:
    """`evalkit run` does not import the viewer, the validator, the importers or the
    comparer (start-up is paid by every command), and its usage still lists them all."""
    done = subprocess.run([sys.executable, "-c", ONLY_RUN], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
