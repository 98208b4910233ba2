"""evalkit: prompt regression tests for the OpenAI API.

What users import lives here; everything else is an implementation detail and may change.

- load and run: :func:`load_suite`, :func:`run`, :func:`check` (checks on an answer in a
  hand-written test), :class:`Suite`, :class:`Case`, :class:`Settings`, :class:`Mode`;
- results: :class:`CaseResult` (alias :data:`Result`), :class:`SampleResult`,
  :class:`CheckResult`, :class:`SuiteSummary`, :class:`Verdicts`;
- errors: :class:`EvalkitError` and its tree (see evalkit.errors);
- the testing server is :mod:`evalkit.testing` (``from evalkit.testing import TestingServer``);
- runs as pandas DataFrames: :mod:`evalkit.analysis` (``from evalkit import analysis``; not
  imported here, so the CLI and the pytest plugin do not load pandas).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import (
    ApiCallError,
    CaseError,
    CircuitOpen,
    ConfigError,
    EvalkitError,
    LockError,
    RecordingError,
    RecordingMissing,
    RequestRefused,
    TemplateError,
    TransportError,
)

if TYPE_CHECKING:
    from .config import Settings
    from .options import Mode
    from .project.loader import load_suite
    from .project.suite import Case, Suite
    from .results import CaseResult, CheckResult, SampleResult, SuiteSummary, Verdicts
    from .runs.handwritten import Answer, check

    Result = CaseResult

# Imported when first used (PEP 562), so `evalkit` on the command line and the pytest plugin
# load only the layers a command needs: start-up is a per-run cost every CI job pays.
_LAZY = {
    "Mode": ".options",
    "Settings": ".config",
    "load_suite": ".project.loader",
    "Case": ".project.suite",
    "Suite": ".project.suite",
    "CaseResult": ".results",
    "Result": ".results",
    "CheckResult": ".results",
    "SampleResult": ".results",
    "SuiteSummary": ".results",
    "Verdicts": ".results",
    "Answer": ".runs.handwritten",
    "check": ".runs.handwritten",
}

__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], __name__)
    # Not cached in this module: the name follows whatever module Python holds now (a test
    # runner that unloads modules between runs, as pytester does, gets today's classes).
    return getattr(module, "CaseResult" if name == "Result" else name)


def run(
    suites: list[str | Path] | None = None,
    *,
    mode: Mode | str | None = None,
    variant: str | None = None,
    **settings: Any,
) -> list[CaseResult]:
    """Run suites as ``evalkit run`` does (replay by default) and return their results.
    Settings are keyword arguments (``concurrency=4``); nothing is written to a run folder."""
    import asyncio

    from .project.open import open_project
    from .runs.session import ephemeral

    project = open_project(suites, {"mode": mode, **settings})
    session = ephemeral(project.settings, "api")
    results: list[CaseResult] = []
    asyncio.run(session.run(results.append, project.plan(variant, only_defining=True)))
    return results


__all__ = [
    "Answer",
    "ApiCallError",
    "Case",
    "CaseError",
    "CaseResult",
    "CheckResult",
    "CircuitOpen",
    "ConfigError",
    "EvalkitError",
    "LockError",
    "Mode",
    "RecordingError",
    "RecordingMissing",
    "RequestRefused",
    "Result",
    "SampleResult",
    "Settings",
    "Suite",
    "SuiteSummary",
    "TemplateError",
    "TransportError",
    "Verdicts",
    "__version__",
    "check",
    "load_suite",
    "run",
]
