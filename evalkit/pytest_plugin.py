"""pytest front: ``pytest --evalkit [PATH...]`` collects YAML suites as items.

Thin by design: collection loads and plans suites through the same functions the CLI uses,
items ask the shared :class:`~evalkit.engine.run.Engine` for their result, and the only
logic of its own is pytest's: reporting, junit properties and the session-end gate for
suite thresholds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .config import Mode, Settings, activate_root, find_root, load_settings
from .engine.run import Engine, PlannedCase, plan
from .errors import ConfigError
from .results import CaseResult, RunWriter, SuiteSummary, new_run_id
from .snapshots import snapshot_variant
from .suite import Suite, is_suite_file, load_suite

_PROP = "evalkit"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evalkit", "evalkit prompt regression suites")
    group.addoption(
        "--evalkit",
        action="store_true",
        help="collect evalkit YAML suites from the paths given (default: the suites folder); "
        "only suites are collected unless test paths are given too",
    )
    group.addoption(
        "--evalkit-mode",
        default=None,
        metavar="MODE",
        help="replay (default), record, rerecord or live; also EVALKIT_MODE",
    )
    group.addoption(
        "--evalkit-variant", default=None, metavar="NAME", help="run a named variant of the suites"
    )


@dataclass
class _State:
    """Per-session plugin state (kept on the config's stash, never module-global)."""

    config: pytest.Config
    explicit: set[Path]
    settings: dict[Path, Settings] = field(default_factory=dict)
    engines: dict[Path, Engine] = field(default_factory=dict)
    runner: asyncio.Runner | None = None
    results: dict[str, CaseResult] = field(default_factory=dict)
    writers: dict[Path, RunWriter] = field(default_factory=dict)
    whole_suites: dict[Path, list[tuple[str, str | None]]] = field(
        default_factory=dict
    )  # root → (suite, variant) run whole

    def settings_for(self, path: Path) -> Settings:
        root = find_root(path)
        if root not in self.settings:
            mode = self.config.getoption("evalkit_mode")
            if mode is not None and mode not in {m.value for m in Mode}:
                raise ConfigError(
                    f"--evalkit-mode {mode!r}: use one of replay, record, rerecord, live"
                )
            update = bool(self.config.getoption("update_snapshots", False))  # syrupy's flag
            self.settings[root] = load_settings(
                root, {"mode": mode, "update_snapshots": update or None}
            )
            activate_root(root)
        return self.settings[root]

    def engine(self, settings: Settings) -> Engine:
        if settings.root not in self.engines:
            self.engines[settings.root] = Engine(settings)
        return self.engines[settings.root]

    def writer(self, settings: Settings) -> RunWriter:
        """The run's results.jsonl, as `evalkit run` writes it (one per xdist worker)."""
        if settings.root not in self.writers:
            worker = getattr(self.config, "workerinput", {}).get("workerid")
            run_id = new_run_id() + (f"-{worker}" if worker else "")
            meta: dict[str, object] = {
                "run_id": run_id,
                "front": "pytest",
                "mode": settings.mode.value,
            }
            self.writers[settings.root] = RunWriter(settings.results_dir / run_id, meta)
        return self.writers[settings.root]

    def run(self, engine: Engine, cases: list[PlannedCase]) -> None:
        if self.runner is None:
            self.runner = asyncio.Runner()
        writer = self.writer(engine.settings)

        def keep(result: CaseResult) -> None:
            writer.write(result)  # at once: an interrupted session loses no finished case
            self.results[result.item_id] = result

        self.runner.run(engine.run(cases, keep, close=False))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        if self.runner is not None:
            for engine in self.engines.values():
                self.runner.run(engine.aclose())
            self.runner.close()
            self.runner = None


_STATE = pytest.StashKey[_State]()


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("evalkit"):
        return
    invocation = Path(config.invocation_params.dir)
    explicit = (
        {(invocation / arg.split("::")[0]).resolve() for arg in config.args}
        if config.args_source == pytest.Config.ArgsSource.ARGS
        else set()
    )
    config.stash[_STATE] = _State(config, explicit)
    config.pluginmanager.register(_Gate(config), "evalkit-gate")
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        try:
            suites = load_settings(find_root(invocation)).suites_dir
        except ConfigError:
            suites = invocation / "suites"
        config.args[:] = [str(suites)]
        config.stash[_STATE].explicit = {suites.resolve()}


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def _wanted(state: _State, path: Path) -> bool:
    """Named on the command line, or inside a named folder other than the project root,
    or inside the project's suites folder."""
    resolved = path.resolve()
    if resolved in state.explicit:
        return True
    root = find_root(resolved)
    if any(folder != root and folder in resolved.parents for folder in state.explicit):
        return True
    try:
        return state.settings_for(resolved).suites_dir.resolve() in resolved.parents
    except ConfigError:
        return True  # let collection report the bad settings


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(_STATE, None)
    if state is None or not is_suite_file(file_path) or not _wanted(state, file_path):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


class EvalkitCollectError(Exception):
    """A configuration error found while collecting: shown as ``file:line: message``."""


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Collector]:
        state = self.config.stash[_STATE]
        variant = self.config.getoption("evalkit_variant")
        try:
            settings = state.settings_for(self.path)
            suite = load_suite(self.path, settings)
            if variant is not None and variant not in suite.variants:
                known = ", ".join(suite.variants) or "none defined"
                raise ConfigError(
                    f"--evalkit-variant {variant!r}: suite {suite.name!r} has no such variant (variants: {known})",
                    self.path,
                    1,
                )
            planned = plan(suite, variant)
        except ConfigError as exc:
            raise EvalkitCollectError(str(exc)) from None
        yield SuiteNode.from_parent(self, name=suite.name, suite=suite, planned=planned)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, EvalkitCollectError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class SuiteNode(pytest.Collector):
    def __init__(self, *, suite: Suite, planned: list[PlannedCase], **kwargs: Any):
        super().__init__(**kwargs)
        self.suite = suite
        self.planned = planned

    def collect(self) -> Iterator[pytest.Item]:
        for planned in self.planned:
            name = planned.case.id + (
                f"[{planned.target.variant}]" if planned.target.variant else ""
            )
            yield CaseItem.from_parent(self, name=name, planned=planned)

    def setup(self) -> None:
        """Run this suite's selected cases concurrently before its first item reports.
        Under xdist each worker runs only its own items, one at a time."""
        if hasattr(self.config, "workerinput"):
            return
        state = self.config.stash[_STATE]
        mine = [
            item.planned
            for item in self.session.items
            if isinstance(item, CaseItem) and item.parent is self
        ]
        if len(mine) == len(self.planned):
            variant = snapshot_variant(self.planned[0].target.variant) if self.planned else None
            state.whole_suites.setdefault(self.suite.settings.root, []).append(
                (self.suite.name, variant)
            )
        state.run(state.engine(self.suite.settings), mine)


class CaseFailed(Exception):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, planned: PlannedCase, **kwargs: Any):
        super().__init__(**kwargs)
        self.planned = planned

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        key = self.planned.item_id
        if key not in state.results:
            state.run(state.engine(self.planned.suite.settings), [self.planned])
        result = state.results.pop(key)
        self.user_properties += [
            ("evalkit_suite", result.suite),
            ("evalkit_variant", result.variant or ""),
            ("evalkit_passed", result.passed),
            ("evalkit_samples", f"{result.samples_passed}/{len(result.samples)}"),
            ("evalkit_input_tokens", result.input_tokens),
            ("evalkit_output_tokens", result.output_tokens),
            ("evalkit_cost_usd", "" if result.cost_usd is None else f"{result.cost_usd:.8f}"),
            ("evalkit_latency_ms", round(result.latency_ms, 1)),
            ("evalkit_model", ",".join(sorted({s.model for s in result.samples if s.model}))),
            ("evalkit_request_id", ",".join(s.request_id for s in result.samples if s.request_id)),
            ("evalkit_threshold", self.planned.suite.threshold),
        ]
        if not result.passed:
            raise CaseFailed(result.failure_report())

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, (CaseFailed, ConfigError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = (self.planned.case.line or 1) - 1
        return self.planned.case.file, line, self.planned.item_id


class _Gate:
    """Collects item outcomes (on the xdist controller too) and applies suite thresholds."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.outcomes: dict[tuple[str, str | None], list[tuple[bool, int, int]]] = {}
        self.thresholds: dict[str, float] = {}
        self.other_failures = 0

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when == "call" and "evalkit_suite" in props:
            suite = str(props["evalkit_suite"])
            key = (suite, str(props.get("evalkit_variant") or "") or None)
            k, _, n = str(props.get("evalkit_samples", "1/1")).partition("/")
            self.outcomes.setdefault(key, []).append(
                (bool(props["evalkit_passed"]), int(k), int(n))
            )
            self.thresholds[suite] = float(str(props["evalkit_threshold"]))
        elif report.failed:
            self.other_failures += 1

    def summaries(self) -> list[SuiteSummary]:
        return [
            SuiteSummary(
                suite=s,
                variant=v,
                total=len(o),
                passed=sum(passed for passed, _, _ in o),
                threshold=self.thresholds.get(s, 1.0),
                repeat=max((n for _, _, n in o), default=1),
                every_sample=sum(k == n > 0 for _, k, n in o),
            )
            for (s, v), o in sorted(
                self.outcomes.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
            )
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        summaries = self.summaries()
        if not summaries:
            return
        if any(not s.gate_passed for s in summaries):
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and not self.other_failures:
            session.exitstatus = (
                pytest.ExitCode.OK
            )  # every case failure is within its suite's threshold

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summaries = self.summaries()
        if not summaries:
            return
        terminalreporter.section("evalkit")
        for summary in summaries:
            terminalreporter.write_line(summary.line())
        state = self.config.stash.get(_STATE, None)
        if state is not None:
            from .cli import snapshot_lines

            for writer in state.writers.values():
                terminalreporter.write_line(f"results: {writer.path}")
            for root, suites in state.whole_suites.items():
                if root in state.engines:
                    for line in snapshot_lines(state.engines[root], suites):
                        terminalreporter.write_line(line)
        tolerated = [s for s in summaries if s.gate_passed and s.passed < s.total]
        if tolerated and all(s.gate_passed for s in summaries) and not self.other_failures:
            terminalreporter.write_line(
                "every failed case is within its suite's threshold: the gate passes"
            )


@pytest.fixture
def evalkit_suite(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``evalkit_suite("suites/triage.yaml")`` → a handle whose ``run(id, vars)`` answers the
    suite's prompt under the session's mode and recordings (see evalkit.handwritten)."""
    from .handwritten import open_suite

    runner = asyncio.Runner()
    handles: list[Any] = []
    mode = request.config.getoption("evalkit_mode")

    def opener(path: str | Path) -> Any:
        try:
            handle = open_suite(path, mode, runner)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        handles.append(handle)
        return handle

    yield opener
    for handle in handles:
        runner.run(handle.engine.aclose())
    runner.close()
