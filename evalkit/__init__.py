"""evalkit: prompt regression tests for the OpenAI API.

The public API is re-exported here; everything else is an implementation detail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Mode, Settings, load_settings
from .engine.run import Engine, PlannedCase, plan
from .errors import ConfigError, EvalkitError
from .handwritten import Answer, check
from .project import Project, open_project
from .results import CaseResult, SampleResult, SuiteSummary, summarize
from .suite import Case, Suite, load_suite

Result = CaseResult

__version__ = "0.1.0"


def run(
    suites: list[str | Path] | None = None,
    *,
    mode: Mode | str | None = None,
    variant: str | None = None,
    **settings: Any,
) -> list[CaseResult]:
    """Run suites as ``evalkit run`` does (replay by default) and return their results."""
    project = open_project(suites, {"mode": mode, **settings})
    return Engine(project.settings).run_sync(project.plan(variant))


__all__ = [
    "Answer",
    "Case",
    "CaseResult",
    "ConfigError",
    "Engine",
    "EvalkitError",
    "Mode",
    "PlannedCase",
    "Project",
    "Result",
    "SampleResult",
    "Settings",
    "Suite",
    "SuiteSummary",
    "check",
    "load_settings",
    "load_suite",
    "open_project",
    "plan",
    "run",
    "summarize",
]
