"""pytest front: ``pytest --evalkit [PATH...]`` collects YAML suites as items.

Thin by design: options come from :data:`evalkit.config.OPTIONS`, collection loads and
plans suites through the library, items ask the shared engine for their result, and the
session gate folds the items' outcomes with the results layer's :class:`Verdicts` (on the
xdist controller too). The only logic of its own is pytest's: reporting and junit
properties.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..checks.snapshot_store import snapshot_variant
from ..config import OPTIONS, Settings, activate_root, find_root, load_settings
from ..engine.run import Engine
from ..errors import ConfigError, EvalkitError
from ..io.redaction import Redactor, redact
from ..project.plan import PlannedCase, plan
from ..project.shard import HELP as SHARD_HELP
from ..project.shard import METAVAR as SHARD_METAVAR
from ..project.shard import PYTEST_FLAG as SHARD_FLAG
from ..project.shard import Shard
from ..project.suite import Suite, is_suite_file, load_suite
from ..results import CaseOutcome, CaseResult, Verdicts, dump_outcome
from ..results.folder import RunMeta, RunWriter, create_run, new_run_id

REMEDIES = {"record": "run with --evalkit-mode=record"}
_OUTCOME = "evalkit_outcome"


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


def _overrides(config: pytest.Config) -> dict[str, Any]:
    """Settings given as options; a bad choice is a ConfigError (a collection error, exit 2)."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = config.getoption(f"evalkit_{option.setting}")
        if option.choices and value is not None and value not in option.choices:
            raise ConfigError(
                f"{option.pytest_flag} {value!r}: use one of {', '.join(option.choices)}"
            )
        values[option.setting] = value
    if config.getoption("update_snapshots", False):  # syrupy's flag
        values["update_snapshots"] = True
    return values


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
    suites: dict[Path, set[str]] = field(default_factory=dict)  # root → suite files collected
    whole_suites: dict[Path, list[tuple[str, str | None]]] = field(default_factory=dict)
    redact: Redactor = field(default_factory=Redactor)  # compiled once: it runs per item

    def settings_for(self, path: Path) -> Settings:
        root = find_root(path)
        if root not in self.settings:
            self.settings[root] = load_settings(root, _overrides(self.config))
            activate_root(root)
            names = {n for known in self.settings.values() for n in known.secret_names()}
            self.redact = Redactor(tuple(sorted(names)))  # the servers' key variables too
        return self.settings[root]

    @property
    def shard(self) -> Shard | None:
        """``--evalkit-shard K/N``; a bad value is a ConfigError (a collection error, exit 2)."""
        return Shard.parse_optional(self.config.getoption("evalkit_shard"), SHARD_FLAG)

    def engine(self, settings: Settings) -> Engine:
        if settings.root not in self.engines:
            self.engines[settings.root] = Engine(settings)
        return self.engines[settings.root]

    def writer(self, settings: Settings) -> RunWriter:
        """The run's results.jsonl, as `evalkit run` writes it (one per xdist worker)."""
        if settings.root not in self.writers:
            worker = getattr(self.config, "workerinput", {}).get("workerid")
            meta = RunMeta(
                run_id=new_run_id() + (f"-{worker}" if worker else ""),
                front="pytest",
                mode=settings.mode,
                variant=self.config.getoption("evalkit_variant"),
                suites=sorted(self.suites.get(settings.root, set())),
                overrides={k: v for k, v in _overrides(self.config).items() if v is not None},
                shard=str(self.shard) if self.shard else None,
            )
            folder = create_run(settings.results_dir, meta)
            self.writers[settings.root] = RunWriter(folder, settings.secret_names())
            self.engine(settings).attach_run(folder, meta.run_id)  # batch state, spend
        return self.writers[settings.root]

    def run(self, engine: Engine, cases: list[PlannedCase]) -> None:
        if self.runner is None:
            self.runner = asyncio.Runner()
        try:
            engine.check_cost(cases)  # over the --evalkit-max-cost cap: not started
        except EvalkitError as exc:
            pytest.exit(redact(str(exc)), returncode=2)
        writer = self.writer(engine.settings)

        def keep(result: CaseResult) -> None:
            writer.write(result)  # at once: an interrupted session loses no finished case
            self.results[result.item_id] = result

        try:
            self.runner.run(engine.run(cases, keep, close=False, check_cost=False))
        except EvalkitError as exc:  # found at run time, still the user's input: exit 2
            pytest.exit(redact(str(exc)), returncode=2)

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
    if state is None:
        return None
    named = file_path.resolve() in state.explicit
    if not is_suite_file(file_path, named=named) or not _wanted(state, file_path):
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
            planned = plan(suite, variant, state.shard)
        except ConfigError as exc:
            raise EvalkitCollectError(redact(str(exc))) from None
        state.suites.setdefault(settings.root, set()).add(str(suite.path))
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
        if len(mine) == len(self.planned) and state.shard is None:
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
        properties: list[tuple[str, object]] = [
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
            (_OUTCOME, dump_outcome(result)),
        ]
        clean = state.redact
        self.user_properties += [
            (name, clean(value) if isinstance(value, str) else value) for name, value in properties
        ]
        if not result.passed:
            raise CaseFailed(clean(result.failure_report(REMEDIES)))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, (CaseFailed, ConfigError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = (self.planned.case.line or 1) - 1
        return self.planned.case.file, line, self.planned.item_id


class _Gate:
    """Folds item outcomes (on the xdist controller too) into suite verdicts."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.verdicts = Verdicts()
        self.other_failures = 0

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if report.when == "call" and _OUTCOME in props:
            self.verdicts.add(CaseOutcome.model_validate_json(str(props[_OUTCOME])))
        elif report.failed:
            self.other_failures += 1

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        summaries = self.verdicts.summaries()
        if not summaries:
            return
        if not self.verdicts.passed:
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and not self.other_failures:
            session.exitstatus = pytest.ExitCode.OK  # every failure is within its threshold

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        summaries = self.verdicts.summaries()
        if not summaries:
            return
        terminalreporter.section("evalkit")
        for summary in summaries:
            terminalreporter.write_line(summary.line())
        state = self.config.stash.get(_STATE, None)
        if state is not None:
            for writer in state.writers.values():
                terminalreporter.write_line(f"results: {writer.path}")
            for root, suites in state.whole_suites.items():
                if root in state.engines:
                    for line in state.engines[root].snapshots.finish(suites).lines():
                        terminalreporter.write_line(line)
        tolerated = [s for s in summaries if s.gate_passed and s.passed < s.total]
        if tolerated and self.verdicts.passed and not self.other_failures:
            terminalreporter.write_line(
                "every failed case is within its suite's threshold: the gate passes"
            )


@pytest.fixture
def evalkit_suite(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``evalkit_suite("suites/triage.yaml")`` → a handle whose ``run(id, vars)`` answers the
    suite's prompt under the session's mode and recordings (see evalkit.runs.handwritten)."""
    from ..runs.handwritten import open_suite

    runner = asyncio.Runner()
    handles: list[Any] = []
    overrides = _overrides(request.config)

    def opener(path: str | Path) -> Any:
        try:
            handle = open_suite(path, overrides, runner)
        except ConfigError as exc:
            raise pytest.UsageError(redact(str(exc))) from None
        handles.append(handle)
        return handle

    yield opener
    for handle in handles:
        runner.run(handle.engine.aclose())
    runner.close()
