"""Fixtures for hand-written tests: ``evalkit_suite`` (a suite's prompt answered under the
session's mode and recordings, see :mod:`evalkit.runs.handwritten`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..errors import ConfigError
from ..io.redaction import redact
from .items import REMEDIES
from .state import overrides


@pytest.fixture
def evalkit_suite(request: pytest.FixtureRequest) -> Iterator[Any]:
    """``evalkit_suite("suites/triage.yaml")`` → a handle whose ``run(id, vars)`` answers the
    suite's prompt under the session's mode and recordings (see evalkit.runs.handwritten)."""
    from ..runs.handwritten import open_suite

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
