"""Hand-written tests over a suite's prompt, for the cases YAML cannot express.

The ``evalkit_suite`` pytest fixture gives a :class:`SuiteHandle`: ``run()`` renders the
suite's prompt with the test's own variables and answers it under the session's mode and
the same recordings (``snapshots/recordings/<suite>/<id>.json``); :func:`check` applies the
same checks to what came back and fails the test with the same messages.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..checks import AssertionSpec, CheckContext, Observation, evaluate
from ..config import Mode, find_root, load_settings
from ..io.jsonfile import loads_value
from ..project.loader import load_suite, parse_assertions
from ..project.plan import plan_case
from ..project.recordings import Owner, OwnerMark
from ..project.suite import Case, Suite
from ..prompts import PromptStore
from ..results import CaseResult
from .session import Session, ephemeral


@dataclass
class Answer:
    """What the model said for a hand-written case, with its result and the suite's schema."""

    text: str
    result: CaseResult
    suite: Suite

    @property
    def json(self) -> Any:
        return loads_value(self.text)

    @property
    def passed(self) -> bool:
        return self.result.passed


class SuiteHandle:
    def __init__(
        self,
        suite: Suite,
        session: Session,
        runner: asyncio.Runner,
        remedies: Mapping[str, str] | None = None,
        test: str | None = None,
    ):
        self.suite = suite
        self.session = session
        self.runner = runner
        self.remedies = remedies  # the front's words for a remedy ("run with ...")
        self.test = test  # "tests/test_x.py::test_name": the owner its recordings name

    async def aclose(self) -> None:
        await self.session.aclose()

    def run(
        self,
        id: str,
        vars: dict[str, Any] | None = None,
        *,
        variant: str | None = None,
        asserts: list[Any] | None = None,
    ) -> Answer:
        """Answer the suite's prompt for these variables; ``asserts`` (including ``similar``
        and ``judge``, which need API calls) are checked by the engine like a suite's."""
        caller = inspect.stack()[1]
        where = Path(caller.filename)
        specs = parse_assertions(list(asserts or []), where, self.suite.settings)
        case = Case(
            id=id, vars=dict(vars or {}), asserts=tuple(specs), file=where, line=caller.lineno
        )
        results: list[CaseResult] = []
        if self.test:  # its recording is the test's, not a suite case's (recordings.owner_kind)
            mode = self.session.settings.mode
            self.session.engine.store.mark(
                Owner(self.suite.name, id),
                OwnerMark(owner="test", test=self.test),
                write=mode in (Mode.RECORD, Mode.RERECORD, Mode.BATCH),
            )
        planned = [plan_case(self.suite, case, variant)]
        self.runner.run(self.session.run(results.append, planned, close=False))
        (result,) = results
        sample = result.samples[0]
        if sample.error and sample.output is None:
            raise AssertionError(result.failure_report(self.remedies))
        return Answer(sample.output or "", result, self.suite)


class Observed(Protocol):
    """What application code returned, with its calls' usage (``evalkit_openai.answer``)."""

    def observation(self) -> Observation: ...


def check(answer: Answer | Observed | str, *assertions: Any) -> None:
    """Apply evalkit checks to an answer (or any text); raise AssertionError with every
    failure's message. For an :class:`Answer`, ``schema`` uses the suite's schema and the
    budgets use the call's usage; for an application's answer (``evalkit_openai.answer``)
    the budgets use the usage its recorded calls report."""
    if not isinstance(answer, (Answer, str)):
        settings, obs = load_settings(find_root(Path.cwd())), answer.observation()
    elif isinstance(answer, Answer):
        settings, schema = answer.suite.settings, answer.suite.base.schema_model
        sample = answer.result.samples[0]
        obs = Observation(
            text=answer.text,
            schema=schema,
            finish_reason=sample.finish_reason,
            input_tokens=sample.input_tokens,
            output_tokens=sample.output_tokens,
            cost_usd=sample.cost_usd,
            latency_ms=sample.latency_ms,
            model=sample.model or "",
        )
    else:
        settings, obs = load_settings(find_root(Path.cwd())), Observation(text=answer)
    caller = inspect.stack()[1]
    specs: list[AssertionSpec] = parse_assertions(list(assertions), Path(caller.filename), settings)
    failures = []
    ctx = CheckContext(settings, PromptStore(settings.prompts_dir))
    for index, spec in enumerate(specs):
        if spec.check.needs(spec, obs, ctx):
            raise AssertionError(
                f"{spec.type} needs API calls: pass it to run(..., asserts=[...]) instead"
            )
        outcome = evaluate(spec, obs)
        if not outcome.passed:
            failures.append(f"check[{index}] {spec.describe()}: {outcome.message}")
    if failures:
        raise AssertionError("\n".join(failures))


def open_suite(
    path: str | Path,
    overrides: dict[str, Any] | None,
    runner: asyncio.Runner,
    remedies: Mapping[str, str] | None = None,
    test: tuple[Path, str] | None = None,
) -> SuiteHandle:
    """A handle on a suite, under the session's settings (mode, concurrency ...);
    ``remedies``: how the front words a failure's remedy; ``test``: the calling test's file
    and name, which its recordings carry as their owner."""
    resolved = Path(path).resolve()
    settings = load_settings(find_root(resolved), overrides)
    suite = load_suite(resolved, settings)
    owner = None
    if test is not None:
        file, name = test
        try:
            where = file.resolve().relative_to(settings.root.resolve()).as_posix()
        except ValueError:
            where = file.as_posix()
        owner = f"{where}::{name}"
    return SuiteHandle(suite, ephemeral(settings, "pytest"), runner, remedies, owner)
