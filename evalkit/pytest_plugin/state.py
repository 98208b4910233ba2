"""The plugin's state for one pytest session (on the config's stash, never module-global):
the project and the run :class:`~evalkit.runs.session.Session` of each project root, the
event loop items run on, and finished results waiting for their item to report."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..config import OPTIONS, find_root
from ..errors import ConfigError, EvalkitError
from ..io.redaction import redact
from ..project.open import Project
from ..project.plan import PlannedCase
from ..project.shard import PYTEST_FLAG as SHARD_FLAG
from ..project.shard import Shard
from ..project.suite import Suite
from ..results import CaseResult
from ..results.folder import RunMeta, new_run_id
from ..runs.forked import Deliver
from ..runs.session import Session, remembered


def overrides(config: pytest.Config) -> dict[str, Any]:
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
class State:
    config: pytest.Config
    explicit: set[Path]
    projects: dict[Path, Project] = field(default_factory=dict)
    sessions: dict[Path, Session] = field(default_factory=dict)
    runner: asyncio.Runner | None = None
    results: dict[str, CaseResult] = field(default_factory=dict)
    lacking: list[Suite] = field(default_factory=list)  # collected, without the variant asked
    defining: int = 0  # suites collected that define it
    said: set[str] = field(default_factory=set)  # lifecycle warnings given (once each)
    froze: bool = False  # collection's objects moved out of the collector (hooks.py)
    shared_index: dict[str, int] = field(default_factory=dict)  # item -> its shared case
    shared_keep: Deliver | None = None  # keeps what the shared suite's helpers send
    let_go: list[Callable[[], None]] = field(default_factory=list)  # each suite node's

    def variant_lines(self) -> list[str]:
        """What ``--evalkit-variant`` skipped; a ConfigError when no suite defines it."""
        variant = self.config.getoption("evalkit_variant")
        if not self.lacking:
            return []
        if not self.defining:
            defined = "; ".join(
                f"{s.name}: {', '.join(s.variants) or 'none'}" for s in self.lacking
            )
            raise ConfigError(f"no suite defines variant {variant!r} (variants: {defined})")
        names = ", ".join(sorted(s.name for s in self.lacking))
        return [
            f"evalkit: variant {variant}: skipped {len(self.lacking)} suite(s) that do not "
            f"define it: {names}"
        ]

    def project_for(self, path: Path) -> Project:
        """The project ``path`` belongs to (opened once per root)."""
        root = find_root(path)
        if root not in self.projects:
            self.projects[root] = Project.at(root, overrides(self.config))
        return self.projects[root]

    @property
    def shard(self) -> Shard | None:
        """``--evalkit-shard K/N``; a bad value is a ConfigError (a collection error, exit 2)."""
        return Shard.parse_optional(self.config.getoption("evalkit_shard"), SHARD_FLAG)

    def session_for(self, project: Project) -> Session:
        """The project's run session; its run folder is made when a case first runs (one
        per xdist worker, named after it)."""
        root = project.settings.root
        if root not in self.sessions:
            worker = getattr(self.config, "workerinput", {}).get("workerid")
            meta = RunMeta(
                run_id=new_run_id() + (f"-{worker}" if worker else ""),
                front="pytest",
                mode=project.settings.mode,
                variant=self.config.getoption("evalkit_variant"),
                suites=sorted(str(s.path) for s in project.suites),
                overrides=remembered(overrides(self.config)),
                shard=str(self.shard) if self.shard else None,
            )
            self.sessions[root] = Session.open(project.settings, meta)
        return self.sessions[root]

    def keep(self, result: CaseResult) -> None:
        self.results[result.item_id] = result

    def run(self, project: Project, cases: list[PlannedCase]) -> None:
        """Run ``cases`` now; each result waits in ``results`` for its item."""
        if self.runner is None:
            self.runner = asyncio.Runner()
        session = self.session_for(project)
        try:
            self.runner.run(session.run(self.keep, cases, close=False))
        except EvalkitError as exc:  # the cost cap, or the user's input found at run time
            pytest.exit(redact(str(exc)), returncode=2)

    # -- a big replay shared with helper processes (evalkit/runs/forked.py) --------------

    def start(self, project: Project, cases: list[PlannedCase]) -> None:
        """A suite's selected cases, before its first item: shared with helper processes
        when they are a big replay (each item then waits for its own case, so pytest's
        own work overlaps the helpers'), else run now."""
        session = self.session_for(project)
        try:
            shared = session.share(cases) > 1
        except EvalkitError as exc:  # the cost cap, or a results folder that cannot be made
            pytest.exit(redact(str(exc)), returncode=2)
        if shared:
            self.shared_index = {p.item_id: i for i, p in enumerate(cases)}
            self.shared_keep = session.keeper(self.keep)
        else:
            self.run(project, cases)

    def result_for(self, project: Project, planned: PlannedCase) -> CaseResult:
        """The result of an item's case: kept already, from the helpers, or run now."""
        key = planned.item_id
        session = self.session_for(project)
        helpers = session.shared
        if key not in self.results and helpers is not None and key in self.shared_index:
            assert self.shared_keep is not None  # set with shared_index
            with _plain_interrupt():
                helpers.until(
                    self.shared_index[key], self.shared_keep, lambda c: self.run(project, c)
                )
        if key not in self.results:
            self.run(project, [planned])
        return self.results.pop(key)

    def end(self, project: Project, *, stop: bool = False) -> None:
        """After a suite's last item: the helpers' run ends (``stop``: interrupted)."""
        session = self.session_for(project)
        if session.shared is not None:
            kept = self.shared_keep or session.keeper(self.keep)
            with _plain_interrupt():
                session.end_shared(kept, lambda c: self.run(project, c), stop=stop)
            self.shared_index, self.shared_keep = {}, None

    def close(self) -> None:
        for project in self.projects.values():
            if project.settings.root in self.sessions:
                self.end(project, stop=True)  # an interrupted session: stop the helpers
        if self.runner is not None:
            for session in self.sessions.values():
                self.runner.run(session.aclose())
            self.runner.close()
            self.runner = None
        for session in self.sessions.values():
            session.close_writer()

    def release(self) -> None:
        """After the session (its summary printed, its writers closed): let go of every
        project, session, result and planned case, so the interpreter's garbage
        collections at exit walk only what pytest itself keeps."""
        for let_go in self.let_go:
            let_go()
        self.let_go.clear()
        self.projects.clear()
        self.sessions.clear()
        self.results.clear()
        self.lacking.clear()
        self.shared_index, self.shared_keep = {}, None


@contextlib.contextmanager
def _plain_interrupt() -> Iterator[None]:
    """Ctrl-C while waiting on helper processes surfaces here, as a KeyboardInterrupt of
    this frame: raised at any instruction of the waiting loop, it can land on one with no
    line number (CPython 3.11), and pytest's interrupt report then fails to render it,
    ending the session with an internal error instead of exit 2."""
    try:
        yield
    except KeyboardInterrupt:
        raise KeyboardInterrupt from None


STATE = pytest.StashKey[State]()
