"""pytest front: ``pytest --evalkit [PATH...]`` collects YAML suites as items.

This is the module pytest loads (entry point ``evalkit``), in every pytest run of a project
that has evalkit installed, so it imports nothing heavy: its options come from
:data:`evalkit.options.OPTIONS`, and the rest of evalkit is imported only under
``--evalkit`` (a run without it loads no settings, pydantic, YAML or Jinja from here).
Thin by design: collection opens the project and plans suites through
:class:`~evalkit.project.open.Project`, items run through the project's run
:class:`~evalkit.runs.session.Session` (:mod:`.items`), and the session gate folds the items'
outcomes with the results layer's verdicts (:mod:`.gate`). The fixtures live in
:mod:`.fixtures`.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import ConfigError
from ..io.redaction import redact
from ..options import OPTIONS
from ..project.shard import HELP as SHARD_HELP
from ..project.shard import METAVAR as SHARD_METAVAR
from ..project.shard import PYTEST_FLAG as SHARD_FLAG
from .fixtures import evalkit_openai, evalkit_suite, pytest_runtest_makereport

if TYPE_CHECKING:
    from .state import State


def _state(config: pytest.Config) -> State | None:
    """The session's evalkit state; None without ``--evalkit`` (nothing else imported)."""
    if not config.getoption("evalkit"):
        return None
    from .state import STATE

    return config.stash.get(STATE, None)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evalkit", "evalkit prompt regression suites")
    group.addoption(
        "--evalkit",
        action="store_true",
        help="collect evalkit YAML suites from the paths given (default: the suites folder); "
        "only suites are collected unless test paths are given too",
    )
    for option in OPTIONS:
        group.addoption(
            option.pytest_flag,
            dest=f"evalkit_{option.setting}",
            default=None,
            type=option.type,
            metavar=option.metavar or option.setting.upper(),
            help=option.help + (f"; also {option.env}" if option.env else ""),
        )
    group.addoption(
        "--evalkit-variant",
        default=None,
        metavar="NAME",
        help="run a named variant of the suites (or base, or key=value)",
    )
    group.addoption(
        SHARD_FLAG, dest="evalkit_shard", default=None, metavar=SHARD_METAVAR, help=SHARD_HELP
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("evalkit"):
        return
    from ..config import find_root, load_settings
    from .gate import Gate
    from .state import STATE, State

    invocation = Path(config.invocation_params.dir)
    explicit = (
        {(invocation / arg.split("::")[0]).resolve() for arg in config.args}
        if config.args_source == pytest.Config.ArgsSource.ARGS
        else set()
    )
    config.stash[STATE] = State(config, explicit)
    config.pluginmanager.register(Gate(config), "evalkit-gate")
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        try:
            suites = load_settings(find_root(invocation)).suites_dir
        except ConfigError:
            suites = invocation / "suites"
        config.args[:] = [str(suites)]
        config.stash[STATE].explicit = {suites.resolve()}


def pytest_unconfigure(config: pytest.Config) -> None:
    state = _state(config)
    if state is not None:
        state.close()
        state.release()
        if state.froze:
            # After pytest's own unconfigure, which collects garbage to report unraisable
            # exceptions: frozen, the collected items are not walked again (5,000 replayed
            # items: about 0.15 s); a cleanup runs after every plugin's unconfigure.
            config.add_cleanup(gc.unfreeze)


def _wanted(state: State, path: Path) -> bool:
    """Named on the command line, or inside a named folder other than the project root,
    or inside the project's suites folder."""
    from ..config import find_root

    resolved = path.resolve()
    if resolved in state.explicit:
        return True
    root = find_root(resolved)
    if any(folder != root and folder in resolved.parents for folder in state.explicit):
        return True
    try:
        return state.project_for(resolved).settings.suites_dir.resolve() in resolved.parents
    except ConfigError:
        return True  # let collection report the bad settings


def pytest_collection_finish(session: pytest.Session) -> None:
    """A variant no collected suite defines is a usage error (exit 2), as in the CLI."""
    state = _state(session.config)
    if state is None:
        return
    try:
        state.variant_lines()
    except ConfigError as exc:
        pytest.exit(redact(str(exc)), returncode=2)
    if state.defining and gc.isenabled():
        # The collected items and their planned cases live until the session ends; every
        # full collection would walk them all again (5,000 cases: 0.5 s of a replay's
        # session). Frozen, they are skipped by the collector, and unfrozen at the end.
        gc.freeze()
        state.froze = True


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    """Under the collection line: the suites a run of a variant skipped."""
    state = _state(config)
    if state is None:
        return []
    try:
        return state.variant_lines()
    except ConfigError:
        return []  # pytest_collection_finish stops the session with it


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """`pytest suites/` without --evalkit collects nothing from YAML suites: say how."""
    if config.getoption("evalkit") or exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED:
        return
    invocation = Path(config.invocation_params.dir)
    given = [a for a in config.args if not a.startswith("-")]
    holding = [a for a in given if _holds_suites(invocation / a.split("::")[0])]
    if holding:
        terminalreporter.write_line(
            "hint: evalkit suites are YAML files, collected only with --evalkit: "
            f"pytest --evalkit {' '.join(holding)}"
        )


def _holds_suites(path: Path) -> bool:
    from ..project.discover import is_suite_file

    if path.is_file():
        return is_suite_file(path, named=True)
    if path.is_dir():
        return any(is_suite_file(p) for p in sorted(path.rglob("*.y*ml"))[:200])
    return False


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = _state(parent.config)
    if state is None:
        return None
    from ..project.discover import is_suite_file
    from .items import SuiteFile

    named = file_path.resolve() in state.explicit
    if not is_suite_file(file_path, named=named) or not _wanted(state, file_path):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


__all__ = [
    "evalkit_openai",
    "evalkit_suite",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_collection_finish",
    "pytest_configure",
    "pytest_report_collectionfinish",
    "pytest_runtest_makereport",
    "pytest_unconfigure",
]
