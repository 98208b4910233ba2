"""``evalkit init``'s example project, written and recorded: the files come from
:func:`evalkit.project.scaffold.scaffold`, then every suite and variant is recorded against
the bundled testing server (:func:`evalkit.runs.session.record_project`), so ``pytest
--evalkit suites/`` passes at once, offline. The recording run's folder is removed: only
the recordings and snapshots are the project's.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..project.scaffold import scaffold
from .session import record_project

SCRIPT = Path("scripts") / "triage-model.yaml"  # the example's scripted model


@dataclass(frozen=True)
class Example:
    """What ``evalkit init`` made."""

    folder: Path
    files: list[Path]  # every file written (recordings and snapshots aside)
    passed: bool  # the example's own suites passed when recorded


def init_project(folder: Path, requirement: str) -> Example:
    """Scaffold ``folder`` (its pyproject depending on evalkit as ``requirement``; nothing
    is overwritten) and record its suites against the bundled testing server."""
    files = scaffold(folder, requirement)
    return Example(folder, files, record_example(folder))


def record_example(folder: Path) -> bool:
    """Record the project in ``folder`` with the testing server playing its script; whether
    its base suites passed (the v1 variant fails one case on purpose: its diff shows v2
    fixing it)."""
    from ..testing import Script, TestingServer

    script = Script.load(folder / SCRIPT)
    results = folder / ".evalkit" / "init"
    with TestingServer(script) as server:
        session = record_project(folder, server.base_url, results=results)
    shutil.rmtree(results, ignore_errors=True)
    base = [s for s in session.summaries() if s.variant is None]
    return bool(base) and all(s.gate_passed for s in base)
