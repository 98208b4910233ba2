"""``evalkit check``: everything that can be verified without an API call."""

from __future__ import annotations

import sys

from .engine.recordings import RecordingStore
from .engine.run import plan
from .errors import ConfigError
from .project import open_project
from .prompts import PromptStore


def run_check(paths: list[str], strict: bool = False) -> int:
    """Validate suites (shape, assertions, schemas, prompts, pins), render every case of
    every variant, verify the prompt lock, and look for missing recordings."""
    try:
        project = open_project(paths)
        planned = [
            item
            for suite in project.suites
            for variant in (None, *suite.variants)
            for item in plan(suite, variant)
        ]
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings = project.settings
    failures = 0
    for problem in PromptStore(settings.prompts_dir).check_lock():
        print(f"error: {problem}", file=sys.stderr)
        failures += 1
    store = RecordingStore(settings.snapshots_dir / "recordings")
    missing = 0
    for item in planned:
        for request in item.requests:
            if store.get(item.suite.name, item.case.id, request) is None:
                missing += 1
                level = "error" if strict else "warning"
                where = f"{item.case.file}:{item.case.line}"
                print(
                    f"{level}: {where}: {item.item_id}: no recording for the current request "
                    f"(replay would fail; run `evalkit record`)",
                    file=sys.stderr,
                )
                break
    if strict and missing:
        failures += missing
    cases = len(planned)
    print(
        f"checked {len(project.suites)} suite(s), {cases} case plan(s): "
        f"{failures} error(s), {missing if not strict else 0} warning(s)"
    )
    return 1 if failures else 0
