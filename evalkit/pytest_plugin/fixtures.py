"""Fixtures for hand-written tests: ``evalkit_suite`` (a suite's prompt answered under the
session's mode and recordings, see :mod:`evalkit.runs.handwritten`) and ``evalkit_openai``
(the application's own OpenAI calls recorded and replayed, see :mod:`evalkit.apprecord`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..errors import ConfigError
from ..io.redaction import redact

# what the fixtures need of the plugin's state and items is imported when a test asks for
# one: the plugin module (and so this one) is loaded by every pytest run, --evalkit or not


@pytest.fixture
def evalkit_suite(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``evalkit_suite("suites/triage.yaml")`` → a handle whose ``run(id, vars)`` answers the
    suite's prompt under the session's mode and recordings (see evalkit.runs.handwritten)."""
    from ..runs.handwritten import open_suite
    from .items import REMEDIES
    from .state import overrides

    runner = asyncio.Runner()
    handles: list[Any] = []
    given = overrides(request.config)

    def opener(path: str | Path) -> Any:
        try:
            name = request.node.nodeid.split("::", 1)[-1]  # its recordings name it
            handle = open_suite(path, given, runner, REMEDIES, (request.node.path, name))
        except ConfigError as exc:
            raise pytest.UsageError(redact(str(exc))) from None
        handles.append(handle)
        return handle

    yield opener
    for handle in handles:
        runner.run(handle.aclose())
    runner.close()


CALL_PASSED = pytest.StashKey[bool]()  # whether the test's call phase passed


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember whether the test itself passed: ``evalkit_openai`` fails a passing test at
    teardown when a call went unanswered (the code may have caught the SDK's error)."""
    report = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


@pytest.fixture
def evalkit_openai(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """OpenAI clients (``.client()``, ``.async_client()``, and any the code builds itself
    from ``OPENAI_BASE_URL``) whose calls are recorded and replayed under the session's
    mode (see evalkit.apprecord)."""
    from ..apprecord import open_app_recorder
    from .items import REMEDIES
    from .state import overrides

    try:
        name = request.node.nodeid.split("::", 1)[-1]
        app = open_app_recorder(
            request.node.path, name, overrides(request.config), REMEDIES["record"]
        )
    except ConfigError as exc:
        pytest.fail(redact(str(exc)), pytrace=False)
    for variable, value in app.environment().items():  # undone after the test
        monkeypatch.setenv(variable, value)
    try:
        yield app
    finally:
        problem = app.close(passed=request.node.stash.get(CALL_PASSED, False))
    if problem and request.node.stash.get(CALL_PASSED, False):
        pytest.fail(problem, pytrace=False)
