"""What pytest collects from a suite file: the suite, and one item per case (and variant).

A suite's selected cases run concurrently when its first item is set up (under xdist each
worker runs its own items one at a time); each item then reports its case's result, with
the case's figures as junit properties and its outcome for the session gate.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..errors import CaseFailed, CollectError, ConfigError, InconclusiveCase, ModelRetiring
from ..io.redaction import redact
from ..project.lifecycle import notices
from ..project.open import Project
from ..project.plan import PlannedCase
from ..project.suite import Suite
from ..results import dump_outcome
from .state import STATE

REMEDIES = {"record": "run with --evalkit-mode=record"}
OUTCOME = "evalkit_outcome"  # the user property the session gate reads (xdist-safe)


class SuiteFile(pytest.File):
    def collect(self) -> Iterator[pytest.Collector]:
        state = self.config.stash[STATE]
        variant = self.config.getoption("evalkit_variant")
        try:
            project = state.project_for(self.path)
            suite = project.add(self.path)
            if not suite.has_variant(variant):  # a run of a variant skips suites without it
                state.lacking.append(suite)
                return
            state.defining += 1
            planned = project.plan_suite(suite, variant, state.shard)
            retiring = notices(project, [suite])
        except ConfigError as exc:
            raise CollectError(redact(str(exc))) from None
        errors = [n.text() for n in retiring if n.level == "error"]
        if errors:  # a shut-down model fails every request: the suite must move first
            raise CollectError(redact("\n".join(errors)))
        for notice in retiring:
            if notice.text() not in state.said:  # the models file's age: once a session
                state.said.add(notice.text())
                warnings.warn_explicit(  # shown at the line where the model is pinned
                    ModelRetiring(redact(notice.message)),
                    ModelRetiring,
                    notice.file or str(self.path),
                    notice.line or 1,
                )
        yield SuiteNode.from_parent(
            self, name=suite.name, project=project, suite=suite, planned=planned
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, CollectError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class SuiteNode(pytest.Collector):
    def __init__(
        self, *, project: Project, suite: Suite, planned: list[PlannedCase], **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.project = project
        self.suite = suite
        self.planned = planned
        self.cases: list[CaseItem] = []
        self.config.stash[STATE].let_go.append(self.let_go)

    def collect(self) -> Iterator[pytest.Item]:
        for planned in self.planned:
            name = planned.case.id + (
                f"[{planned.target.variant}]" if planned.target.variant else ""
            )
            item = CaseItem.from_parent(self, name=name, planned=planned)
            self.cases.append(item)
            yield item

    def let_go(self) -> None:
        """At the session's end, the suite, its project and its planned cases go: pytest
        keeps its items until the process exits, and the interpreter's last garbage
        collections would walk all of them (with the state's sessions, 5,000 replayed
        cases: 0.4 s). Safe to call twice; an item keeps its ``reportinfo()``."""
        for item in self.cases:
            vars(item).pop("planned", None)
        for name in ("project", "suite", "planned"):
            vars(self).pop(name, None)
        self.cases = []

    def setup(self) -> None:
        """Run this suite's selected cases concurrently before its first item reports, or,
        a big replay, hand them to helper processes (each item then waits for its own).
        Under xdist each worker runs only its own items, one at a time."""
        if hasattr(self.config, "workerinput"):
            return
        state = self.config.stash[STATE]
        mine = [
            item.planned
            for item in self.session.items
            if isinstance(item, CaseItem) and item.parent is self
        ]
        session = state.session_for(self.project)
        if len(mine) == len(self.planned) and state.shard is None and self.planned:
            session.whole_suite_ran(self.suite.name, self.planned[0].target.variant)
        state.start(self.project, mine)

    def teardown(self) -> None:
        """After the suite's last item, or when the session stops early (Ctrl-C, ``-x``,
        ``pytest.exit``: then shared helpers are stopped, not waited for)."""
        if hasattr(self.config, "workerinput"):
            return
        session = self.session
        early = session.exitstatus != 0 or bool(session.shouldstop or session.shouldfail)
        self.config.stash[STATE].end(self.project, stop=early)


class CaseItem(pytest.Item):
    def __init__(self, *, planned: PlannedCase, **kwargs: Any):
        super().__init__(**kwargs)
        self.planned = planned
        case = planned.case
        self.where = (case.file, (case.line or 1) - 1, planned.item_id)  # kept after let_go

    @property
    def project(self) -> Project:
        parent = self.parent
        assert isinstance(parent, SuiteNode)
        return parent.project

    def runtest(self) -> None:
        state = self.config.stash[STATE]
        result = state.result_for(self.project, self.planned)
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
            (OUTCOME, dump_outcome(result)),
        ]
        clean = state.session_for(self.project).redact
        self.user_properties += [
            (name, clean(value) if isinstance(value, str) else value) for name, value in properties
        ]
        if not result.passed:
            raise CaseFailed(clean(result.failure_report(REMEDIES)))
        if result.case_verdict == "inconclusive" and result.on_inconclusive == "warn":
            warnings.warn(InconclusiveCase(clean(result.failure_report(REMEDIES))), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, (CaseFailed, ConfigError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.where
